// One health answer on both transports, against a broker SIGKILLed under idle sidecars: the producer of an idle
// sidecar has not noticed the outage (it sent nothing), so only the probe of the brokers can tell. Without a spool,
// GET /health is 502 DOWN and grpc.health.v1 NOT_SERVING; with one, 200 DEGRADED and SERVING. (gRPC health used to
// follow the producer alone, and said SERVING where /health said DOWN.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, startTestSidecar, type TestSidecar } from '../helpers/sidecar.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { healthClient, nextMessage } from '../helpers/grpc.js';
import { spoolDir } from '../helpers/spool.js';

async function answers(t: { after(fn: () => void): void }, sidecar: TestSidecar) {
  const grpc = healthClient(sidecar.sidecar.grpcPort);
  t.after(() => grpc.close());
  return async () => {
    const http = await call(`${sidecar.url}/health`);
    return {
      http: http.status,
      status: (http.body as { status: string }).status,
      grpc: (await grpc.check()).status,
      service: (await grpc.check('mojaloop.events.EventLoggerService')).status,
    };
  };
}

test('an idle sidecar whose broker died: /health and gRPC health say the same, with and without a spool', async (t) => {
  const broker = await dedicatedBroker(t, { prefix: 'kafka-health-' });
  await broker.start();
  const env = { KAFKA_BROKERS: broker.brokers.join(','), KAFKA_CONNECTION_TIMEOUT_MS: '1000' };
  const off = await startTestSidecar(t, { ...env, SPOOL_DIR: 'off' });
  const spooled = await startTestSidecar(t, { ...env, SPOOL_DIR: spoolDir(t, 'spool-health-it-') });
  const offNow = await answers(t, off);
  const spooledNow = await answers(t, spooled);
  const watch = healthClient(off.sidecar.grpcPort);
  t.after(() => watch.close());
  const stream = watch.watch('mojaloop.events.EventLoggerService');
  stream.on('error', () => undefined);
  t.after(() => stream.cancel());
  await nextMessage(stream, (m) => m.status === 'SERVING');

  const up = { http: 200, status: 'OK', grpc: 'SERVING', service: 'SERVING' };
  assert.deepEqual(await offNow(), up);
  assert.deepEqual(await spooledNow(), up);

  const notServing = nextMessage(stream, (m) => m.status === 'NOT_SERVING', 30_000);
  broker.kill();
  // The probe's answer is cached for a second: within a few, both transports of each sidecar have turned.
  let off502 = await offNow();
  for (let i = 0; i < 40 && off502.http !== 502; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    off502 = await offNow();
  }
  assert.equal(off.sidecar.producer.health().state, 'connected', 'the idle producer has not noticed');
  assert.deepEqual(off502, { http: 502, status: 'DOWN', grpc: 'NOT_SERVING', service: 'NOT_SERVING' });
  await notServing;
  assert.deepEqual(await spooledNow(), { http: 200, status: 'DEGRADED', grpc: 'SERVING', service: 'SERVING' });
});
