// The Kafka record of an event, byte for byte as the original sidecar wrote it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { EventMessage } from '@event-sidecar/contract';
import { toKafkaRecord } from '../src/index.js';
import { RECORD_HEADERS, stableStringify, traceparentOf } from '../src/record.js';
import { makeEvent } from './fixtures.js';

const NOW = 1704164645700;
const TRACE = 'bbd7b2c7bbd7b2c7bbd7b2c7bbd7b2c7';

test('toKafkaRecord: key, byte-exact sorted JSON value with protocol.createdAt, headers', () => {
  const record = toKafkaRecord(makeEvent('log', TRACE), NOW);
  assert.equal(record.key, TRACE);
  const expected =
    '{"content":{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1},"from":"dfsp1",' +
    '"id":"aa398930-f210-4dcd-8af0-7c769cea1660",' +
    '"metadata":{"event":{"action":"info","createdAt":"2024-01-02T03:04:05.678Z",' +
    '"id":"3920382d-f78c-4023-adf9-0d7a4a2a3a2a","state":{"code":0,"description":"action successful",' +
    '"status":"success"},"type":"log"},"protocol.createdAt":1704164645700,"trace":{"flags":1,"sampled":1,' +
    '"service":"central-ledger-prepare-handler","spanId":"1234567890abcdef",' +
    '"startTimestamp":"2024-01-02T03:04:05.600Z","tags":{"transactionId":"aa398930",' +
    '"transactionType":"transfer"},"traceId":"bbd7b2c7bbd7b2c7bbd7b2c7bbd7b2c7"}},"to":"dfsp2",' +
    '"type":"application/json"}';
  assert.ok(Buffer.isBuffer(record.value));
  assert.equal(record.value.toString('utf8'), expected);
  assert.deepEqual(record.headers, {
    'event-type': 'log',
    'event-action': 'info',
    'content-type': 'application/json',
    traceparent: `00-${TRACE}-1234567890abcdef-01`,
  });
  assert.deepEqual(Object.values(RECORD_HEADERS), ['event-type', 'event-action', 'content-type', 'traceparent']);
});

test('toKafkaRecord: text content, missing from/to/pp omitted, UTF-8 bytes', () => {
  const event = makeEvent('audit', TRACE, { type: 'text/plain', content: 'héllo "wörld"\n' });
  delete event.from;
  delete event.to;
  event.pp = undefined;
  const value = toKafkaRecord(event, 1).value;
  const text = value.toString('utf8');
  assert.ok(text.startsWith('{"content":"héllo \\"wörld\\"\\n","id":'), text);
  assert.ok(!text.includes('"from"') && !text.includes('"to"') && !text.includes('"pp"'));
  assert.ok(text.endsWith('"type":"text/plain"}'));
  assert.equal(value.length, Buffer.byteLength(text));
  assert.equal(toKafkaRecord(event, 1).headers['content-type'], 'text/plain');
  assert.equal(toKafkaRecord(event, 1).headers['event-action'], 'default');
});

test('toKafkaRecord does not change the event', () => {
  const event = makeEvent('trace', TRACE);
  const before = structuredClone(event);
  toKafkaRecord(event, NOW);
  assert.deepEqual(event, before);
});

test('toKafkaRecord rejects events it cannot key or serialize with INVALID_EVENT', () => {
  const noTrace = makeEvent('log', TRACE);
  (noTrace.metadata.trace as { traceId?: string }).traceId = undefined;
  assert.throws(() => toKafkaRecord(noTrace, NOW), { code: 'INVALID_EVENT', canRetry: false });
  assert.throws(() => toKafkaRecord({ id: 'x' } as unknown as EventMessage, NOW), { code: 'INVALID_EVENT' });
  const circular = makeEvent('log', TRACE);
  (circular.content as Record<string, unknown>).self = circular.content;
  assert.throws(() => toKafkaRecord(circular, NOW), { code: 'INVALID_EVENT', message: /nested too deeply/ });
  const big = makeEvent('log', TRACE, { content: { n: 1n } as unknown as Record<string, unknown> });
  assert.throws(() => toKafkaRecord(big, NOW), { code: 'INVALID_EVENT', message: /BigInt/ });
});

test('traceparent: flags from sampled; no header for ids that are not W3C ids', () => {
  const event = makeEvent('log', TRACE);
  event.metadata.trace.sampled = 0;
  assert.equal(traceparentOf(event), `00-${TRACE}-1234567890abcdef-00`);
  delete event.metadata.trace.sampled;
  assert.equal(traceparentOf(event), `00-${TRACE}-1234567890abcdef-00`);
  event.metadata.trace.traceId = 'not-hex';
  assert.equal(traceparentOf(event), undefined);
  assert.equal(toKafkaRecord(event, NOW).headers.traceparent, undefined);
  assert.equal(toKafkaRecord(event, NOW).key, 'not-hex');
  event.metadata.trace.traceId = '0'.repeat(32);
  assert.equal(traceparentOf(event), undefined);
  event.metadata.trace.traceId = TRACE.toUpperCase();
  assert.equal(traceparentOf(event), undefined);
});

test('stableStringify: sorted keys at every level, JSON.stringify rules otherwise', () => {
  assert.equal(stableStringify({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
  // integer-like keys sort as strings (Object.keys would list them numerically first)
  assert.equal(stableStringify({ b: 1, 10: 'x', 2: 'y', a: 0 }), '{"10":"x","2":"y","a":0,"b":1}');
  assert.equal(
    stableStringify({ u: undefined, f: () => 1, n: NaN, i: -Infinity, z: -0, arr: [undefined, () => 1, 1] }),
    '{"arr":[null,null,1],"i":null,"n":null,"z":0}',
  );
  assert.equal(stableStringify({ d: new Date(0) }), '{"d":"1970-01-01T00:00:00.000Z"}');
  assert.equal(stableStringify({ s: '\u2028\ud800"\\' }), JSON.stringify({ s: '\u2028\ud800"\\' }));
  assert.equal(stableStringify(undefined), undefined);
  assert.equal(stableStringify([]), '[]');
  assert.equal(stableStringify({}), '{}');
});

test('stableStringify equals JSON.stringify of a key-sorted copy for any JSON value', () => {
  const sortCopy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortCopy);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const k of Object.keys(v).sort()) out[k] = sortCopy((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const hasIntegerKey = JSON.stringify(value)?.match(/"\d+":/);
      fc.pre(!hasIntegerKey);
      assert.equal(stableStringify(value), JSON.stringify(sortCopy(value)));
      assert.deepEqual(JSON.parse(stableStringify(value)!), JSON.parse(JSON.stringify(value)));
    }),
    { numRuns: 1000 },
  );
});

test('stableStringify writes any string exactly as JSON.stringify does', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme-ascii' }), (s, ascii) => {
      assert.equal(stableStringify(s), JSON.stringify(s));
      assert.equal(stableStringify(ascii), JSON.stringify(ascii));
      assert.equal(stableStringify({ [s]: ascii }), JSON.stringify({ [s]: ascii }));
    }),
    { numRuns: 3000 },
  );
  for (let c = 0; c < 0x80; c++) {
    const s = `a${String.fromCharCode(c)}b`;
    assert.equal(stableStringify(s), JSON.stringify(s), `char ${c}`);
  }
});
