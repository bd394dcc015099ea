// The SDK's await choice, every combination: Span awaits record() for the types not in its
// EVENT_SDK_ASYNC_OVERRIDE_EVENTS and drops the promise of the others (a rejection of those would be unhandled, and
// end the service). A service process per choice logs through EventSdkRecorder while its broker is stopped: each
// event fails by the deadline (PUBLISH_TIMEOUT) or the bound (OVERLOADED). None may surface as an unhandled
// rejection, and no awaited call may block past publishTimeoutMs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '../helpers/kafka.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';

const CHILD = fileURLToPath(new URL('../helpers/sdk-await-child.ts', import.meta.url));
const PUBLISH_TIMEOUT_MS = 1500;
const CHOICES = [
  ['everything awaited (the SDK default)', ''],
  ['audits awaited, logs and traces not', 'log,trace'],
  ['nothing awaited', 'audit,log,trace'],
] as const;

interface ChildResult {
  unhandled: string[];
  awaitedMs: number[];
  failures: Record<string, number>;
}

/** A service process: `ready` once it is connected, `result` after SIGUSR2 and its spans. */
function service(brokers: string[], asyncOverride: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      AWAIT_TOPIC_PREFIX: uniqueName('it-sdk-await'),
      AWAIT_PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS),
      EVENT_SDK_ASYNC_OVERRIDE_EVENTS: asyncOverride,
      EVENT_SDK_LOG_FILTER: 'none:none',
      // Span logs each failure it awaited through central-services-logger: not needed here.
      LOG_LEVEL: 'fatal',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let onReady = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.includes('READY\n')) onReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err = (err + chunk).slice(-4000)));
  const result = new Promise<ChildResult>((resolve, reject) =>
    // 'close', not 'exit': at 'exit' the end of the child's stdout (the RESULT line) may still be unread.
    child.once('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice('RESULT '.length)) as ChildResult);
      else reject(new Error(`the service exited ${code ?? signal} without a result:\n${err}`));
    }),
  );
  void result.catch(() => undefined).finally(onReady);
  return { child, ready, result };
}

test('every await choice of the SDK: no unhandled rejection, no awaited call past publishTimeoutMs', async (t) => {
  const broker = await dedicatedBroker(t, { prefix: 'kafka-sdk-await-' });
  await broker.start();
  const services = CHOICES.map(([, choice]) => service(broker.brokers, choice));
  t.after(() => {
    for (const s of services) s.child.kill('SIGKILL');
  });
  await Promise.all(services.map((s) => s.ready));
  await broker.stop();
  for (const s of services) s.child.kill('SIGUSR2');
  const results = await Promise.all(services.map((s) => s.result));
  for (const [i, [name, choice]] of CHOICES.entries()) {
    const r = results[i]!;
    t.diagnostic(
      `${name}: Span calls took up to ${Math.max(...r.awaitedMs).toFixed(0)} ms; failures ${JSON.stringify(r.failures)}`,
    );
    assert.deepEqual(r.unhandled, [], `${name}: the service saw no unhandled rejection`);
    assert.equal(r.awaitedMs.length, 10, `${name}: every Span call returned`);
    const longest = Math.max(...r.awaitedMs);
    // The deadline plus the turn of the event loop that notices it.
    assert.ok(longest < PUBLISH_TIMEOUT_MS + 1000, `${name}: a Span call took ${longest.toFixed(0)} ms`);
    // Each of the 10 events failed, reported once, by the deadline or (when Span does not wait) the full bound.
    const total = Object.values(r.failures).reduce((a, b) => a + b, 0);
    assert.equal(total, 10, `${name}: ${JSON.stringify(r.failures)}`);
    assert.deepEqual(
      Object.keys(r.failures).sort(),
      choice === '' ? ['PUBLISH_TIMEOUT'] : ['OVERLOADED', 'PUBLISH_TIMEOUT'],
      name,
    );
  }
});
