// A broker outage: the test runs its own broker, stops it and starts it again on the same data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { EventMessage } from '@event-sidecar/contract';
import { EventProducer, isProducerError, type ProducerState } from '@event-sidecar/producer';
import { createTopicsWithLeaders, uniqueName } from '../helpers/kafka.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/kafka-local.sh', import.meta.url));

/** Two ports free right now (both held until both are chosen, so they differ). */
async function freePorts(): Promise<[number, number]> {
  const servers = [createServer(), createServer()];
  for (const server of servers) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  return [ports[0]!, ports[1]!];
}

function event(seq: number, trace: string): EventMessage {
  return {
    id: `outage-${seq}`,
    type: 'application/json',
    content: { seq },
    metadata: {
      event: {
        id: `e-${seq}`,
        type: 'log',
        action: 'info',
        createdAt: new Date().toISOString(),
        state: { status: 'success' },
      },
      trace: { service: 'it-outage', traceId: trace, spanId: randomBytes(8).toString('hex') },
    },
  };
}

async function waitFor(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test(
  'broker stopped: typed errors within the timeout, health down, fail fast; restarted: publishing resumes',
  {
    timeout: 300_000,
  },
  async (t) => {
    const [port, controllerPort] = await freePorts();
    const workDir = await mkdtemp(join(tmpdir(), 'kafka-outage-'));
    const env = {
      ...process.env,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_WORK_DIR: workDir,
      KAFKA_HEAP_OPTS: '-Xms256m -Xmx256m',
    };
    const kafkaLocal = (command: string) => run(script, [command], { env, timeout: 180_000 });
    t.after(async () => {
      await kafkaLocal('stop').catch(() => undefined);
      await rm(workDir, { recursive: true, force: true });
    });
    await kafkaLocal('start');
    const brokers = [`127.0.0.1:${port}`];

    const kafka = new Kafka({ clientId: 'it-outage', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const topic = uniqueName('it-outage');
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 4 }]);
    await admin.disconnect();

    const states: ProducerState[] = [];
    const publishTimeoutMs = 4000;
    const producer = new EventProducer({
      brokers,
      topic,
      publishTimeoutMs,
      connectionTimeoutMs: 1000,
      requestTimeoutMs: 3000,
      metrics: { connectionState: (s) => states.push(s) },
    });
    t.after(() => producer.close());
    await producer.connect();
    const trace = randomBytes(16).toString('hex');
    const first = await producer.publish(event(0, trace));
    assert.equal(producer.health().state, 'connected');

    await kafkaLocal('stop');

    // In-flight and queued events fail with a typed, retriable error within the configured timeout.
    const started = Date.now();
    const outcomes = await producer.publishMany([1, 2, 3].map((i) => event(i, trace)));
    const elapsed = Date.now() - started;
    assert.ok(elapsed <= publishTimeoutMs + 500, `failed after ${elapsed} ms`);
    t.diagnostic(
      `broker stopped: publishes failed after ${elapsed} ms with ${outcomes.map((o) => (o.ok ? 'ok' : o.error.code)).join(', ')}`,
    );
    for (const o of outcomes) {
      assert.equal(o.ok, false);
      if (!o.ok) {
        assert.ok(['KAFKA_UNAVAILABLE', 'PUBLISH_TIMEOUT'].includes(o.error.code), o.error.code);
        assert.equal(o.error.canRetry, true);
      }
    }
    await waitFor('health down', 10_000, () => producer.health().state === 'down');
    const health = producer.health();
    assert.equal(health.lastError?.code, 'KAFKA_UNAVAILABLE');
    assert.equal(health.queueDepth, 0);

    // While down: fail fast instead of waiting for the timeout.
    const fastStart = Date.now();
    await assert.rejects(producer.publish(event(4, trace)), (e: unknown) => {
      assert.ok(isProducerError(e));
      assert.equal(e.code, 'KAFKA_UNAVAILABLE');
      assert.ok(e.retryAfterMs! >= 100);
      return true;
    });
    assert.ok(Date.now() - fastStart < 100);

    const restarted = Date.now();
    await kafkaLocal('start');
    t.diagnostic(`broker restarted in ${Date.now() - restarted} ms`);

    // The same producer recovers by itself.
    await waitFor('publishing again', 90_000, async () => {
      try {
        await producer.publish(event(5, trace));
        return true;
      } catch {
        return false;
      }
    });
    assert.equal(producer.health().state, 'connected');
    t.diagnostic(
      `publishing again ${Date.now() - restarted} ms after the restart began; states: ${states.join(' -> ')}`,
    );
    const after = await producer.publish(event(6, trace));
    assert.equal(after.partition, first.partition);
    assert.ok(BigInt(after.offset) > BigInt(first.offset));
    assert.ok(states.includes('down'));
    assert.equal(states.at(-1), 'connected');
  },
);
