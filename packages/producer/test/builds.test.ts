// The package's two builds, ESM (dist/) and CommonJS (dist-cjs/), loaded side by side as a service that both imports
// and requires the package would: the same exports, and each build's errors recognised by the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Producer from '../src/index.js';
import type * as Errors from '../src/errors.js';
import type * as Recorder from '../src/event-sdk.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const built = ['dist/index.js', 'dist/event-sdk.js', 'dist-cjs/index.js', 'dist-cjs/event-sdk.js'].every((f) =>
  existsSync(`${packageDir}${f}`),
);
const skip = built ? false : 'dist or dist-cjs is not built: run `npm run build` first';
const require = createRequire(import.meta.url);

async function builds<T>(entry: string): Promise<{ esm: T; cjs: T }> {
  const esm = (await import(pathToFileURL(`${packageDir}dist/${entry}.js`).href)) as T;
  const cjs = require(`${packageDir}dist-cjs/${entry}.js`) as T;
  return { esm, cjs };
}

test('each entry point exports the same names from both builds', { skip }, async () => {
  for (const entry of ['index', 'event-sdk']) {
    const { esm, cjs } = await builds<Record<string, unknown>>(entry);
    assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort(), entry);
  }
});

test(
  'a ProducerError of either build is a ProducerError to the other (instanceof and isProducerError)',
  { skip },
  async () => {
    const { esm, cjs } = await builds<typeof Producer>('index');
    assert.notEqual(cjs.ProducerError, esm.ProducerError, 'two copies of the class, as a dual load gives');
    const fromCjs = new cjs.ProducerError('KAFKA_UNAVAILABLE', 'down');
    const fromEsm = new esm.ProducerError('CLOSED', 'closing');
    assert.ok(fromCjs instanceof esm.ProducerError);
    assert.ok(fromEsm instanceof cjs.ProducerError);
    assert.ok(esm.isProducerError(fromCjs));
    assert.ok(cjs.isProducerError(fromEsm));
    // classifyKafkaError keeps a ProducerError as it is rather than wrapping it as UNKNOWN.
    const errors = await builds<typeof Errors>('errors');
    assert.equal(errors.esm.classifyKafkaError(fromCjs).error, fromCjs);
    for (const other of [new Error('x'), { code: 'CLOSED', canRetry: true }, null, 'CLOSED']) {
      assert.equal(esm.isProducerError(other), false);
      assert.equal(other instanceof cjs.ProducerError, false);
    }
  },
);

test('the CommonJS recorder refuses, with its own ProducerError, an event the contract refuses', { skip }, async () => {
  const { esm } = await builds<typeof Producer>('index');
  const { cjs } = await builds<typeof Recorder>('event-sdk');
  const recorder = new cjs.EventSdkRecorder({ publish: () => Promise.reject(new Error('not reached')) });
  await assert.rejects(recorder.record({ type: 'application/json', content: {} } as never, false), (e) => {
    assert.ok(esm.isProducerError(e));
    assert.equal((e as Producer.ProducerError).code, 'INVALID_EVENT');
    return true;
  });
});
