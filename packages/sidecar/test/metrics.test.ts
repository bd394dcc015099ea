import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createMetrics } from '../src/metrics.js';
import { createGrpcCallMetrics } from '../src/grpc/metrics.js';

const line = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(series + ' '));

test('event counters: counts on the hot path reach the registry when it is read, per label set', async () => {
  const registry = new Registry();
  const metrics = createMetrics(registry, { processMetrics: false });
  metrics.received('log', 'grpc');
  metrics.received('log', 'grpc', 4);
  metrics.received('audit', 'http');
  metrics.rejected('log', 'http', 2);
  let text = await registry.metrics();
  assert.equal(
    line(text, 'event_sidecar_events_received_total{type="log",transport="grpc"}'),
    'event_sidecar_events_received_total{type="log",transport="grpc"} 5',
  );
  assert.match(text, /events_received_total\{type="audit",transport="http"\} 1\n/);
  assert.match(text, /events_rejected_total\{type="log",transport="http"\} 2\n/);
  metrics.received('log', 'grpc');
  text = await registry.metrics();
  assert.match(text, /events_received_total\{type="log",transport="grpc"\} 6\n/, 'read twice, counted once');
  assert.doesNotMatch(text, /events_published_total\{/);
});

test('gRPC call counter: two servers on one registry share it', async () => {
  const registry = new Registry();
  createGrpcCallMetrics(registry).handled('Log', 'OK', 0.001);
  createGrpcCallMetrics(registry).handled('Log', 'OK', 0.002);
  createGrpcCallMetrics(registry).handled('Log', 'UNAVAILABLE', 0.002);
  const text = await registry.metrics();
  assert.match(text, /grpc_server_handled_total\{method="Log",code="OK"\} 2\n/);
  assert.match(text, /grpc_server_handled_total\{method="Log",code="UNAVAILABLE"\} 1\n/);
  assert.match(text, /grpc_server_handling_seconds_count\{method="Log",code="OK"\} 2\n/);
});
