// What the spool's integration tests share: a spool directory removed after the test, the CLI's
// environment for a spooling sidecar, and reading a topic until every acknowledged event is on it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consume, type ConsumedRecord } from './sidecar.js';

/** A fresh directory for a spool, removed when the test ends. */
export function spoolDir(t: { after(fn: () => void): void }, prefix = 'spool-it-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The environment of the built CLI for these tests: ports of the system's choosing, a topic of 4 partitions,
 * timeouts short enough for an outage to show within a test, and the spool in `dir` (without it: off).
 */
export function spoolCliEnv(
  brokers: readonly string[],
  topic: string,
  dir?: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    GRPC_HOST: '127.0.0.1',
    KAFKA_BROKERS: brokers.join(','),
    EVENT_TOPIC: topic,
    KAFKA_CREATE_TOPIC_PARTITIONS: '4',
    PUBLISH_TIMEOUT_MS: '3000',
    KAFKA_CONNECTION_TIMEOUT_MS: '1000',
    KAFKA_REQUEST_TIMEOUT_MS: '2000',
    SPOOL_DIR: dir ?? 'off',
    ...extra,
  };
}

/** Reads `topic` until a record of every id in `ids` is there (duplicates allowed), within 60 s. */
export function consumeIds(topic: string, ids: Iterable<string>, brokers?: string[]): Promise<ConsumedRecord[]> {
  const wanted = new Set(ids);
  return consume(topic, wanted.size, {
    ...(brokers ? { brokers } : {}),
    timeoutMs: 60_000,
    done: (records) => {
      const seen = new Set(records.map((r) => r.value.id as string));
      return [...wanted].every((id) => seen.has(id));
    },
  });
}
