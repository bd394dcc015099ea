import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config.js';

test('defaults to port 4001 and treats empty values as unset', () => {
  const config = loadConfig({ HTTP_PORT: '', KAFKA_BROKERS: ' ' });
  assert.equal(config.httpPort, 4001);
  assert.deepEqual(config.kafkaBrokers, ['127.0.0.1:9092']);
  assert.ok(Object.isFrozen(config));
});

test('rejects a port that is not a number', () => {
  assert.throws(() => loadConfig({ HTTP_PORT: 'abc' }), /HTTP_PORT/);
});
