// Partition choice pinned to Kafka's and kafkajs's numbers: murmur2, the strategies and the partition maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import type { EventType } from '@event-sidecar/contract';
import {
  defaultPartitionMap,
  eventTypePartition,
  murmur2,
  parsePartitionMap,
  partitionsForType,
  ProducerError,
  toPositive,
  traceIdPartition,
  type PartitionMap,
} from '../src/index.js';
import { createChooser, normalizePartitionMap, resolvePartitionMap } from '../src/partitioning.js';
import { makeEvent } from './fixtures.js';

const require = createRequire(import.meta.url);
// kafkajs's Java-compatible murmur2 (the one its DefaultPartitioner uses).
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: string | Buffer,
) => number;

const A = 'bbd7b2c7bbd7b2c7bbd7b2c7bbd7b2c7';
const B = '0123456789abcdef0123456789abcdef';
const C = 'aabbccddeeff00112233445566778899';
const TYPES: EventType[] = ['log', 'audit', 'trace', 'error'];

test('murmur2 matches the values pinned by Kafka (UtilsTest.testMurmur2)', () => {
  const java: [string | Buffer, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    [Buffer.from([0x61, 0x62, 0x63]), 479470107],
    // more outputs of Kafka's Utils.murmur2, as pinned by other Java-compatible ports
    ['1', -1993445489],
    ['12', 126087238],
    ['123', -267702483],
    ['1234', -1614185708],
    ['12345', -1188365604],
  ];
  for (const [key, expected] of java) assert.equal(murmur2(key), expected, `murmur2(${String(key)})`);
});

test('murmur2 equals kafkajs DefaultPartitioner hash for any string or bytes (UTF-8)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
      assert.equal(murmur2(s), kafkajsMurmur2(s));
      assert.equal(murmur2(Buffer.from(s)), murmur2(s));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.equal(murmur2(Buffer.from(bytes)), kafkajsMurmur2(Buffer.from(bytes)));
    }),
    { numRuns: 1000 },
  );
});

test('toPositive clears the sign bit like Kafka (not Math.abs)', () => {
  assert.equal(toPositive(-973932308), 1173551340);
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(-2147483648), 0);
  assert.equal(toPositive(5), 5);
});

test('trace-id strategy: pinned partitions, and the same as kafkajs DefaultPartitioner for any trace id', () => {
  assert.equal(traceIdPartition(makeEvent('log', A), 12), 3);
  assert.equal(traceIdPartition(makeEvent('audit', B), 12), 5);
  assert.equal(traceIdPartition(makeEvent('trace', C), 12), 8);
  assert.equal(traceIdPartition(makeEvent('error', C), 1), 0);
  const partitioner = Partitioners.DefaultPartitioner();
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9a-f]{32}$/), fc.integer({ min: 1, max: 64 }), (traceId, n) => {
      const partitionMetadata = Array.from({ length: n }, (_, i) => ({
        partitionId: i,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      const kafkajs = partitioner({ topic: 't', partitionMetadata, message: { key: traceId, value: 'x' } });
      assert.equal(traceIdPartition(makeEvent('log', traceId), n), kafkajs);
    }),
    { numRuns: 500 },
  );
});

test('event-type strategy with a given map: pinned partitions per type and trace', () => {
  const map = parsePartitionMap('log=0-3,audit=4-5,trace=6-9,error=10-11');
  const expected: Record<string, Record<EventType, number>> = {
    [A]: { log: 3, audit: 5, trace: 9, error: 11 },
    [B]: { log: 1, audit: 5, trace: 7, error: 11 },
    [C]: { log: 0, audit: 4, trace: 6, error: 10 },
  };
  for (const [traceId, byType] of Object.entries(expected)) {
    for (const type of TYPES) {
      assert.equal(eventTypePartition(makeEvent(type, traceId), 12, map), byType[type], `${type} ${traceId}`);
    }
  }
});

test('event-type strategy with the default split', () => {
  // 12 partitions: log 0-2, audit 3-5, trace 6-8, error 9-11
  const twelve: Record<string, Record<EventType, number>> = {
    [A]: { log: 0, audit: 3, trace: 6, error: 9 },
    [B]: { log: 2, audit: 5, trace: 8, error: 11 },
  };
  for (const [traceId, byType] of Object.entries(twelve)) {
    for (const type of TYPES) assert.equal(eventTypePartition(makeEvent(type, traceId), 12), byType[type]);
  }
  // 6 partitions: log 0-1, audit 2, trace 3-4, error 5
  assert.deepEqual(
    TYPES.map((t) => eventTypePartition(makeEvent(t, A), 6)),
    [1, 2, 4, 5],
  );
  // fewer partitions than types: round-robin in the order log, audit, trace, error
  for (const traceId of [A, B, C]) {
    assert.deepEqual(
      TYPES.map((t) => eventTypePartition(makeEvent(t, traceId), 1)),
      [0, 0, 0, 0],
    );
    assert.deepEqual(
      TYPES.map((t) => eventTypePartition(makeEvent(t, traceId), 2)),
      [0, 1, 0, 1],
    );
    assert.deepEqual(
      TYPES.map((t) => eventTypePartition(makeEvent(t, traceId), 3)),
      [0, 1, 2, 0],
    );
  }
});

test('defaultPartitionMap splits evenly, remainder to log, trace, audit', () => {
  const show = (m: PartitionMap) => TYPES.map((t) => `${t}=${m[t].join('+')}`).join(',');
  assert.equal(show(defaultPartitionMap(1)), 'log=0,audit=0,trace=0,error=0');
  assert.equal(show(defaultPartitionMap(2)), 'log=0,audit=1,trace=0,error=1');
  assert.equal(show(defaultPartitionMap(3)), 'log=0,audit=1,trace=2,error=0');
  assert.equal(show(defaultPartitionMap(4)), 'log=0,audit=1,trace=2,error=3');
  assert.equal(show(defaultPartitionMap(5)), 'log=0+1,audit=2,trace=3,error=4');
  assert.equal(show(defaultPartitionMap(6)), 'log=0+1,audit=2,trace=3+4,error=5');
  assert.equal(show(defaultPartitionMap(7)), 'log=0+1,audit=2+3,trace=4+5,error=6');
  assert.equal(show(defaultPartitionMap(12)), 'log=0+1+2,audit=3+4+5,trace=6+7+8,error=9+10+11');
  // every partition is used exactly once when there are at least 4
  for (let n = 4; n <= 40; n++) {
    const all = TYPES.flatMap((t) => defaultPartitionMap(n)[t]).sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: n }, (_, i) => i),
    );
  }
  assert.throws(() => defaultPartitionMap(0), { code: 'INVALID_OPTIONS' });
});

test('partitionsForType gives consumers exactly the partitions of a type', () => {
  assert.deepEqual(partitionsForType('trace', 12, 'log=0-3,audit=4-5,trace=6-9,error=10-11'), [6, 7, 8, 9]);
  assert.deepEqual(partitionsForType('audit', 12), [3, 4, 5]);
  assert.deepEqual(partitionsForType('error', 2), [1]);
  assert.deepEqual(partitionsForType('log', 12, { log: [3, 1], audit: [4], trace: [5], error: [6] }), [1, 3]);
  assert.throws(() => partitionsForType('trace', 8, 'log=0-3,audit=4-5,trace=6-9,error=10-11'), {
    code: 'NOT_ENOUGH_PARTITIONS',
    message: /"trace" uses partition\(s\) 8, 9 but the topic has 8/,
  });
  // whatever the trace, the chosen partition is in the type's set
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9a-f]{32}$/), fc.integer({ min: 1, max: 48 }), (traceId, n) => {
      for (const type of TYPES) {
        assert.ok(partitionsForType(type, n).includes(eventTypePartition(makeEvent(type, traceId), n)));
      }
    }),
    { numRuns: 300 },
  );
});

test('parsePartitionMap accepts ranges, single partitions, + lists and spaces', () => {
  assert.deepEqual(parsePartitionMap(' log = 0-3 , audit=4-5,trace=6-9 ,error=10+11'), {
    log: [0, 1, 2, 3],
    audit: [4, 5],
    trace: [6, 7, 8, 9],
    error: [10, 11],
  });
  assert.deepEqual(parsePartitionMap('error=3,trace=2,audit=1,log=0+5'), {
    log: [0, 5],
    audit: [1],
    trace: [2],
    error: [3],
  });
  // types may share partitions
  assert.deepEqual(parsePartitionMap('log=0-1,audit=0-1,trace=2,error=2').audit, [0, 1]);
});

test('parsePartitionMap rejects bad maps with every problem listed', () => {
  const bad = (spec: string, pattern: RegExp) =>
    assert.throws(
      () => parsePartitionMap(spec),
      (e: unknown) => e instanceof ProducerError && e.code === 'INVALID_OPTIONS' && pattern.test(e.message),
      spec,
    );
  bad('', /empty/);
  bad('log=0-3,audit=4-5,trace=6-9', /"error" has no partitions/);
  bad('log=0-3,audit=4-5,trace=6-9,error=', /"" for "error" is not a partition/);
  bad('log=3-1,audit=4,trace=5,error=6', /ends before it starts/);
  bad('log=0,audit=1,trace=2,error=3,log=4', /"log" is given twice/);
  bad('log=0,audit=1,trace=2,errors=3', /unknown event type "errors".*"error" has no partitions/);
  bad('log=0+0,audit=1,trace=2,error=3', /"log" lists a partition twice/);
  bad('log=a,audit=1,trace=2,error=3', /"a" for "log"/);
  bad('log:0,audit=1,trace=2,error=3', /"log:0" is not type=partitions/);
  assert.throws(() => normalizePartitionMap({ log: [], audit: [1], trace: [2], error: [-1] }), {
    message: /"log" has no partitions.*"error": partitions must be integers >= 0/,
  });
});

test('resolvePartitionMap checks the map against the topic', () => {
  assert.throws(() => resolvePartitionMap(4, 'log=0,audit=1,trace=2,error=4'), { code: 'NOT_ENOUGH_PARTITIONS' });
  assert.deepEqual(resolvePartitionMap(5, 'log=0,audit=1,trace=2,error=4').error, [4]);
  assert.deepEqual(resolvePartitionMap(2), defaultPartitionMap(2));
});

test('createChooser event-type: the pinned partitions of a given map and of the default split', () => {
  const mapped = createChooser('event-type', 'log=0-3,audit=4-5,trace=6-9,error=10-11', 12);
  assert.deepEqual(
    TYPES.map((t) => mapped(makeEvent(t, A))),
    [3, 5, 9, 11],
  );
  assert.deepEqual(
    TYPES.map((t) => mapped(makeEvent(t, C))),
    [0, 4, 6, 10],
  );
  // the same map as an object, as resolveOptions leaves it
  const object = createChooser('event-type', parsePartitionMap('log=0-3,audit=4-5,trace=6-9,error=10-11'), 12);
  assert.deepEqual(
    TYPES.map((t) => object(makeEvent(t, B))),
    [1, 5, 7, 11],
  );
  const split = createChooser('event-type', undefined, 12);
  assert.deepEqual(
    TYPES.map((t) => split(makeEvent(t, B))),
    [2, 5, 8, 11],
  );
  assert.deepEqual(
    TYPES.map((t) => createChooser('event-type', undefined, 2)(makeEvent(t, A))),
    [0, 1, 0, 1],
  );
  const bad = makeEvent('log', A);
  (bad.metadata.event as { type: string }).type = 'metric';
  assert.throws(() => split(bad), { code: 'INVALID_EVENT', message: /unknown event type "metric"/ });
});

test('createChooser event-type agrees with eventTypePartition for any trace and partition count', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9a-f]{32}$/), fc.integer({ min: 1, max: 48 }), (traceId, n) => {
      const choose = createChooser('event-type', undefined, n);
      for (const type of TYPES) {
        assert.equal(choose(makeEvent(type, traceId)), eventTypePartition(makeEvent(type, traceId), n));
      }
    }),
    { numRuns: 300 },
  );
});

test('createChooser trace-id: the pinned partitions of the trace id over all partitions', () => {
  const choose = createChooser('trace-id', undefined, 12);
  assert.equal(choose(makeEvent('log', A)), 3);
  assert.equal(choose(makeEvent('audit', B)), 5);
  assert.equal(choose(makeEvent('trace', C)), 8);
  assert.equal(createChooser('trace-id', undefined, 1)(makeEvent('error', C)), 0);
});

test('createChooser custom: the function decides; a throw or an answer out of range is a ProducerError', () => {
  const seen: number[] = [];
  const choose = createChooser(
    (event, n) => {
      seen.push(n);
      return event.metadata.event.type === 'audit' ? n - 1 : 0;
    },
    undefined,
    6,
  );
  assert.equal(choose(makeEvent('audit', A)), 5);
  assert.equal(choose(makeEvent('log', A)), 0);
  assert.deepEqual(seen, [6, 6]);
  assert.throws(() => createChooser(() => 6, undefined, 6)(makeEvent('log', A)), {
    code: 'UNKNOWN',
    message: /custom partitioner returned 6; expected an integer from 0 to 5/,
  });
  assert.throws(() => createChooser(() => 1.5, undefined, 6)(makeEvent('log', A)), { code: 'UNKNOWN' });
  assert.throws(
    () =>
      createChooser(
        () => {
          throw new Error('boom');
        },
        undefined,
        6,
      )(makeEvent('log', A)),
    { code: 'UNKNOWN', message: /custom partitioner threw: boom/ },
  );
});

test('createChooser refuses a map that does not fit the topic and a topic without partitions', () => {
  assert.throws(() => createChooser('event-type', 'log=0,audit=1,trace=2,error=4', 4), {
    code: 'NOT_ENOUGH_PARTITIONS',
  });
  assert.throws(() => createChooser('trace-id', undefined, 0), { code: 'INVALID_OPTIONS' });
  assert.throws(() => createChooser('round-robin' as never, undefined, 4), {
    code: 'INVALID_OPTIONS',
    message: /unknown partition strategy "round-robin"/,
  });
});
