import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { poolEncoderBuffers } from '../src/kafkajs-fixes.js';

const require = createRequire(import.meta.url);
type Encoded = { encode(): Promise<{ buffer: Buffer }> };
const produce = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (r: object) => Encoded;
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => { buf: Buffer };

/** A produce request of `count` records of various sizes (one larger than the pool's 4 KiB), as a lane sends it. */
function request(count: number): Encoded {
  const messages = Array.from({ length: count }, (_, i) => ({
    key: `${i}`.padStart(32, 'f'),
    value: Buffer.from(`{"n":${i},"text":"${'é✓'.repeat(i * 37)}"}`),
    headers: { 'event-type': 'log', 'event-action': 'info', traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
    timestamp: String(1704164645700 + i),
  }));
  const topicData = [
    { topic: 'topic-event', partitions: [{ partition: 3, firstSequence: 7, messages }] },
    { topic: 'topic-event-audit', partitions: [{ partition: 0, firstSequence: 0, messages: messages.slice(0, 2) }] },
  ];
  return produce({ acks: -1, timeout: 30000, compression: 0, topicData, producerId: 9, producerEpoch: 1 });
}

test('poolEncoderBuffers: produce requests encode to the same bytes, from unzeroed pooled buffers', async () => {
  const before = await Promise.all([1, 2, 40].map(async (n) => (await request(n).encode()).buffer));
  assert.equal(new Encoder().buf.length, 512);
  assert.equal(poolEncoderBuffers(), true);
  assert.equal(poolEncoderBuffers(), true, 'applied once');
  const encoder = new Encoder();
  assert.equal(encoder.buf.length, 0, 'an encoder starts empty');
  const after = await Promise.all([1, 2, 40].map(async (n) => (await request(n).encode()).buffer));
  after.forEach((bytes, i) => assert.ok(bytes.equals(before[i]!), `request ${i} encodes alike`));
  assert.ok(after[2]!.length > 4096);
});
