// Helpers for the sidecar's end-to-end tests: a sidecar started in-process on port 0 against the
// real broker, sample events, and a consumer that reads a topic back.
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { EventMessage } from '@event-sidecar/contract';
import {
  createLogger,
  loadConfig,
  startSidecar,
  type LogLevel,
  type Sidecar,
  type SidecarDeps,
} from '@event-sidecar/sidecar';
import { readRecords, testBrokers, uniqueName } from './kafka.js';

export const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** A valid event of the given type, as an SDK would build it. */
export function sampleEvent(type: 'log' | 'audit' | 'trace' | 'error' = 'log', overrides: Partial<EventMessage> = {}) {
  const action = { log: 'info', audit: 'default', trace: 'span', error: 'internal' }[type];
  return {
    id: randomUUID(),
    from: 'payer-fsp',
    to: 'payee-fsp',
    type: 'application/json',
    content: { message: `a ${type} event`, amount: { currency: 'USD', value: '10.5' } },
    metadata: {
      event: {
        id: randomUUID(),
        type,
        action,
        createdAt: new Date().toISOString(),
        state: { status: 'success', code: 0, description: 'action successful' },
      },
      trace: {
        service: 'central-ledger',
        traceId: hex(16),
        spanId: hex(8),
        sampled: 1,
        flags: 0,
        startTimestamp: new Date().toISOString(),
        tags: { tracestate: 'acmevendor=1234', transactionId: randomUUID() },
      },
    },
    ...overrides,
  } as EventMessage;
}

/** Log lines a sidecar wrote, parsed. */
export class LogCapture {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly logger: Logger;

  constructor(level: LogLevel = 'info') {
    const lines = this.lines;
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    // The sidecar's own logger factory, so that redaction is what production does.
    this.logger = createLogger(level, stream);
  }
}

export interface TestSidecar {
  sidecar: Sidecar;
  url: string;
  topic: string;
  partitions: number;
  logs: LogCapture;
}

/** Starts a sidecar on 127.0.0.1:0 with its own topic (created with `partitions`); closed after the test. */
export async function startTestSidecar(
  t: TestContext,
  env: Record<string, string> = {},
  deps: SidecarDeps = {},
): Promise<TestSidecar> {
  const topic = env.EVENT_TOPIC ?? uniqueName('it-sidecar');
  const partitions = Number(env.KAFKA_CREATE_TOPIC_PARTITIONS ?? 8);
  const config = loadConfig({
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    KAFKA_BROKERS: testBrokers().join(','),
    KAFKA_CLIENT_ID: uniqueName('it-sidecar'),
    EVENT_TOPIC: topic,
    KAFKA_CREATE_TOPIC_PARTITIONS: String(partitions),
    SHUTDOWN_TIMEOUT_MS: '10000',
    // Off unless the test gives a directory: a test never writes into the user's state directory (the default),
    // and sidecars of tests running at once would each hold it.
    SPOOL_DIR: 'off',
    ...env,
  });
  const logs = new LogCapture();
  const sidecar = await startSidecar(config, { logger: logs.logger, registry: new Registry(), ...deps });
  t.after(() => sidecar.close());
  return { sidecar, url: `http://127.0.0.1:${sidecar.httpPort}`, topic, partitions, logs };
}

export interface ConsumedRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * Reads `topic` from the beginning until `count` records arrived, or until `done` says so
 * (fails after `timeoutMs`).
 */
export function consume(
  topic: string,
  count: number,
  options: { brokers?: string[]; timeoutMs?: number; done?: (records: ConsumedRecord[]) => boolean } = {},
): Promise<ConsumedRecord[]> {
  const done = options.done ?? ((records: ConsumedRecord[]) => records.length >= count);
  return readRecords(
    [topic],
    ({ partition, offset, key, value, headers }): ConsumedRecord => ({
      partition,
      offset,
      key,
      value: JSON.parse(value.toString()) as Record<string, unknown>,
      headers,
    }),
    done,
    options,
  );
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** One HTTP request; the body is sent as JSON unless it is a string. */
export async function call(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (typeof init.body === 'string') body = init.body;
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  if (res.headers.get('content-type')?.includes('json')) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Value of one sample of a metric in Prometheus text, or 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([^{\s]+)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',');
    if (wanted.every((w) => have.includes(w))) return Number(match[3]);
  }
  return 0;
}
