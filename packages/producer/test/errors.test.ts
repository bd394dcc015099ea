// ProducerError's properties, every code described and documented, and the classification of kafkajs errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { isProducerError, PRODUCER_ERROR_CODES, PRODUCER_ERROR_DESCRIPTIONS, ProducerError } from '../src/index.js';
import { classifyKafkaError } from '../src/errors.js';

// kafkajs spreads its error classes into module.exports, which ESM named imports cannot see.
const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSError } = kafkajs;

/** What kafkajs throws for a Kafka error code (its constructor takes the entry of its error table). */
function protocolError(type: string, code: number, retriable: boolean) {
  return new KafkaJSProtocolError({ type, code, retriable, message: type.toLowerCase() } as unknown as Error);
}

test('ProducerError carries code, canRetry, retryAfterMs and cause as enumerable properties', () => {
  const cause = new Error('socket hang up');
  const e = new ProducerError('OVERLOADED', 'queue full', { retryAfterMs: 50, cause });
  assert.ok(e instanceof Error && isProducerError(e));
  assert.equal(e.name, 'ProducerError');
  assert.equal(e.cause, cause);
  const json = JSON.parse(JSON.stringify(e));
  assert.deepEqual(json, { code: 'OVERLOADED', message: 'queue full', canRetry: true, retryAfterMs: 50, cause: {} });
  assert.equal(new ProducerError('UNKNOWN', 'x').canRetry, false);
  assert.equal(new ProducerError('KAFKA_ERROR', 'x', { canRetry: true }).canRetry, true);
  assert.ok(!isProducerError(new Error('x')));
  assert.ok(e.stack?.includes('queue full'));
});

test('every error code is described and documented in the README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const code of PRODUCER_ERROR_CODES) {
    assert.ok(PRODUCER_ERROR_DESCRIPTIONS[code], code);
    assert.ok(readme.includes(`\`${code}\``), `README documents ${code}`);
  }
  assert.deepEqual(Object.keys(PRODUCER_ERROR_DESCRIPTIONS).sort(), [...PRODUCER_ERROR_CODES].sort());
});

test('classifyKafkaError maps kafkajs errors, looking through retry wrappers', () => {
  const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1');
  const wrapped = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 3, retryTime: 800 });
  let c = classifyKafkaError(wrapped);
  assert.equal(c.error.code, 'KAFKA_UNAVAILABLE');
  assert.equal(c.error.canRetry, true);
  assert.equal(c.unreachable, true);
  assert.equal(c.error.cause, wrapped);

  const tooLarge = protocolError('MESSAGE_TOO_LARGE', 10, false);
  c = classifyKafkaError(tooLarge);
  assert.equal(c.error.code, 'RECORD_TOO_LARGE');
  assert.equal(c.error.canRetry, false);
  assert.equal(c.unreachable, false);

  const notLeader = protocolError('NOT_LEADER_FOR_PARTITION', 6, true);
  c = classifyKafkaError(new KafkaJSNumberOfRetriesExceeded(notLeader, { retryCount: 5, retryTime: 1000 }));
  assert.equal(c.error.code, 'KAFKA_UNAVAILABLE');
  assert.equal(c.unreachable, false);

  const denied = protocolError('TOPIC_AUTHORIZATION_FAILED', 29, false);
  assert.deepEqual(
    [classifyKafkaError(denied).error.code, classifyKafkaError(denied).error.canRetry],
    ['KAFKA_ERROR', false],
  );
  // refused producer state: nothing written, a new producer can resend
  const fenced = classifyKafkaError(protocolError('INVALID_PRODUCER_EPOCH', 47, false));
  assert.deepEqual([fenced.error.code, fenced.error.canRetry, fenced.producerState], ['KAFKA_ERROR', true, true]);
  const retriable = protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER', 45, true);
  assert.equal(classifyKafkaError(retriable).error.canRetry, true);

  assert.deepEqual(
    [
      classifyKafkaError(new KafkaJSError('odd')).error.code,
      classifyKafkaError(new KafkaJSError('odd')).error.canRetry,
    ],
    ['KAFKA_ERROR', false],
  );
  const unknown = classifyKafkaError(new TypeError('boom'));
  assert.deepEqual([unknown.error.code, unknown.error.canRetry], ['UNKNOWN', false]);
  const own = new ProducerError('CLOSED', 'closed');
  assert.equal(classifyKafkaError(own).error, own);
});
