// The budget's attribution of profile samples to stages: node --import tsx --test scripts/bench/test/budget.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attribute, stageOf } from '../phases/budget.js';

const own = (path: string) => `file:///repo/packages/${path}`;
const dep = (path: string) => `file:///repo/node_modules/${path}`;

test('stageOf: our modules and libraries by file and function', () => {
  assert.equal(stageOf({ functionName: 'sortedCopy', url: own('producer/dist/record.js') }), 'serialize');
  assert.equal(stageOf({ functionName: 'toKafkaRecord', url: own('producer/dist/record.js') }), 'record');
  assert.equal(stageOf({ functionName: 'validate28', url: '' }), 'validate');
  assert.equal(stageOf({ functionName: 'inc', url: dep('prom-client/lib/counter.js') }), 'metrics');
  assert.equal(stageOf({ functionName: 'answer', url: own('sidecar/dist/grpc/server.js') }), 'answer');
  assert.equal(stageOf({ functionName: 'handle', url: own('sidecar/dist/grpc/server.js') }), 'ingress');
  assert.equal(stageOf({ functionName: 'decodeContent', url: own('sidecar/dist/grpc/decode.js') }), 'decode');
  assert.equal(stageOf({ functionName: 'sendBatch', url: dep('kafkajs/src/producer/index.js') }), 'produce request');
  assert.equal(stageOf({ functionName: 'write', url: dep('pino/lib/proto.js') }), 'logging');
  assert.equal(stageOf({ functionName: 'writeBuffer', url: '' }), undefined);
  assert.equal(stageOf({ functionName: 'respond', url: dep('@grpc/grpc-js/build/src/server.js') }), undefined);
});

test('attribute: the innermost stage on the stack wins; the rest is transport or runtime; windows bound it', () => {
  const frame = (functionName: string, url = '') => ({ functionName, url });
  const grpc = dep('@grpc/grpc-js/build/src/server-interceptors.js');
  const nodes = [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 7, 8, 9] },
    { id: 2, callFrame: frame('onData', grpc), children: [3] },
    { id: 3, callFrame: frame('answer', own('sidecar/dist/grpc/server.js')), children: [4] },
    { id: 4, callFrame: frame('writeBuffer') },
    { id: 5, callFrame: frame('send', dep('kafkajs/src/network/connection.js')), children: [6] },
    { id: 6, callFrame: frame('writeBuffer') },
    { id: 7, callFrame: frame('(garbage collector)') },
    { id: 8, callFrame: frame('(idle)') },
    { id: 9, callFrame: frame('onStreamRead', grpc) },
  ];
  // Sample i lasts timeDeltas[i + 1] µs; it is at startTime + the sum of timeDeltas[0..i].
  const profile = {
    nodes,
    startTime: 1000,
    samples: [4, 6, 6, 7, 8, 9, 4],
    timeDeltas: [0, 10, 20, 30, 40, 50, 60, 70],
  };
  const { us } = attribute(profile, [[1000, 1200]]);
  assert.equal(us.answer, 10);
  assert.equal(us['produce request'], 50);
  assert.equal(us.runtime, 40);
  assert.equal(us.transport, 60);
  assert.equal(
    Object.values(us).reduce((a, b) => a + b, 0),
    160,
    'idle and the sample outside the window left out',
  );
});
