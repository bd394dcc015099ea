// The HTTP side end to end against the real broker: every route, every client error with its
// exact body, events read back from Kafka on the partition the strategy predicts, metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenApiDocument } from '@event-sidecar/contract';
import { documentedEventTypePartition } from '../helpers/partition-oracle.js';
import { call, consume, metricValue, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';

test('POST /event publishes to Kafka before answering 201, on the partition of its type', async (t) => {
  const { url, topic, partitions } = await startTestSidecar(t);
  const events = [sampleEvent('log'), sampleEvent('audit'), sampleEvent('trace'), sampleEvent('error')];
  const answers: { id: string; topic: string; partition: number; offset: string }[] = [];
  for (const event of events) {
    const answer = await call(`${url}/event`, { body: event, headers: { 'x-request-id': `req-${event.id}` } });
    assert.equal(answer.status, 201, answer.text);
    assert.equal(answer.headers.get('x-request-id'), `req-${event.id}`);
    const body = answer.body as { id: string; topic: string; partition: number; offset: string };
    assert.deepEqual(Object.keys(body).sort(), ['id', 'offset', 'partition', 'topic']);
    assert.equal(body.id, event.id);
    assert.equal(body.topic, topic);
    assert.match(body.offset, /^\d+$/);
    const { type } = event.metadata.event;
    assert.equal(body.partition, documentedEventTypePartition(type, event.metadata.trace.traceId, partitions));
    answers.push(body);
  }

  const records = await consume(topic, events.length);
  for (const [i, event] of events.entries()) {
    const answer = answers[i]!;
    const record = records.find((r) => r.partition === answer.partition && r.offset === answer.offset);
    assert.ok(record, `event ${i} is at ${answer.partition}/${answer.offset}`);
    assert.equal(record.key, event.metadata.trace.traceId);
    const { metadata, ...rest } = record.value as { metadata: Record<string, unknown> };
    const { ['protocol.createdAt']: createdAt, ...eventMetadata } = metadata;
    assert.equal(typeof createdAt, 'number');
    assert.deepEqual({ ...rest, metadata: eventMetadata }, event);
  }
});

test('requests without an inbound id get a generated one', async (t) => {
  const { url } = await startTestSidecar(t);
  const answer = await call(`${url}/live`);
  assert.equal(answer.status, 200);
  assert.match(answer.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  const odd = await call(`${url}/live`, { headers: { 'x-request-id': 'has spaces and {braces}' } });
  assert.match(odd.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
});

test('POST /events publishes valid events and reports invalid ones one by one', async (t) => {
  const { url, topic } = await startTestSidecar(t, { MAX_BATCH_EVENTS: '5' });

  const good = [sampleEvent('log'), sampleEvent('trace')];
  const all = await call(`${url}/events`, { body: good });
  assert.equal(all.status, 200, all.text);
  const allResults = (all.body as { results: Array<Record<string, unknown>> }).results;
  assert.deepEqual(
    allResults.map((r) => [r.index, r.id, r.status, r.topic]),
    good.map((e, i) => [i, e.id, 'published', topic]),
  );

  const bad = sampleEvent('audit');
  (bad.metadata.trace as { traceId: string }).traceId = 'not-hex';
  const third = sampleEvent('error');
  const mixed = await call(`${url}/events`, { body: [sampleEvent('audit'), bad, third, { hello: 'world' }] });
  assert.equal(mixed.status, 207, mixed.text);
  const results = (mixed.body as { results: Array<Record<string, unknown>> }).results;
  assert.equal(results.length, 4);
  assert.equal(results[0]!.status, 'published');
  assert.equal(results[2]!.status, 'published');
  // `field` points into that event; `index` says which event.
  assert.deepEqual(results[1], {
    index: 1,
    id: bad.id,
    status: 'rejected',
    error: {
      errorCode: '3101',
      errorDescription: 'Malformed syntax - /metadata/trace/traceId must be 32 lowercase hex characters',
      field: '/metadata/trace/traceId',
    },
  });
  assert.deepEqual(results[3], {
    index: 3,
    status: 'rejected',
    error: {
      errorCode: '3102',
      errorDescription: 'Missing mandatory element - /content is required',
      field: '/content',
    },
  });

  // 2 + 2 published; the rejected ones never reach Kafka.
  const records = await consume(topic, 4);
  const ids = new Set(records.map((r) => r.value.id));
  assert.equal(ids.size, 4);
  assert.ok(!ids.has(bad.id));

  const tooMany = await call(`${url}/events`, { body: Array.from({ length: 6 }, () => sampleEvent()) });
  assert.equal(tooMany.status, 400);
  assert.deepEqual(tooMany.body, {
    errorInformation: {
      errorCode: '3103',
      errorDescription: 'Too many elements - the body must NOT have more than 5 items',
      field: '',
    },
  });
  const notArray = await call(`${url}/events`, { body: sampleEvent() });
  assert.equal(notArray.status, 400);
  assert.deepEqual(notArray.body, {
    errorInformation: { errorCode: '3101', errorDescription: 'Malformed syntax - the body must be array', field: '' },
  });
  const empty = await call(`${url}/events`, { body: [] });
  assert.equal(empty.status, 400);
  assert.equal((empty.body as { errorInformation: { errorCode: string } }).errorInformation.errorCode, '3101');
});

test('client errors answer in the Mojaloop shape and name the field', async (t) => {
  const { url } = await startTestSidecar(t, { MAX_BODY_BYTES: '4096' });

  const bad = sampleEvent('log');
  (bad.metadata.trace as { traceId: string }).traceId = 'ABC';
  const invalid = await call(`${url}/event`, { body: bad });
  assert.equal(invalid.status, 400);
  assert.deepEqual(invalid.body, {
    errorInformation: {
      errorCode: '3101',
      errorDescription: 'Malformed syntax - /metadata/trace/traceId must be 32 lowercase hex characters',
      field: '/metadata/trace/traceId',
    },
  });

  const wrongAction = sampleEvent('audit');
  (wrongAction.metadata.event as { action: string }).action = 'span';
  const action = await call(`${url}/event`, { body: wrongAction });
  assert.equal(action.status, 400);
  assert.deepEqual(action.body, {
    errorInformation: {
      errorCode: '3101',
      errorDescription:
        'Malformed syntax - /metadata/event/action must be one of the actions allowed for type audit: default, start, finish, ingress, egress',
      field: '/metadata/event/action',
    },
  });

  const { id: _id, ...noId } = sampleEvent('trace');
  const missing = await call(`${url}/event`, { body: noId });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, {
    errorInformation: {
      errorCode: '3102',
      errorDescription: 'Missing mandatory element - /id is required',
      field: '/id',
    },
  });

  const malformed = await call(`${url}/event`, { body: '{"id": ', headers: { 'content-type': 'application/json' } });
  assert.equal(malformed.status, 400);
  assert.deepEqual(malformed.body, {
    errorInformation: {
      errorCode: '3101',
      errorDescription: 'Malformed syntax - the body is not valid JSON',
      field: '',
    },
  });

  const large = sampleEvent('log', { content: { text: 'x'.repeat(5000) } });
  const tooLarge = await call(`${url}/event`, { body: large });
  assert.equal(tooLarge.status, 413);
  assert.deepEqual(tooLarge.body, {
    errorInformation: { errorCode: '3104', errorDescription: 'Too large payload - the body exceeds 4096 bytes' },
  });

  const wrongType = await call(`${url}/event`, {
    body: JSON.stringify(sampleEvent()),
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(wrongType.status, 415);
  assert.deepEqual(wrongType.body, {
    errorInformation: { errorCode: '3000', errorDescription: 'Generic client error - unsupported media type' },
  });

  const array = await call(`${url}/event`, { body: [sampleEvent()] });
  assert.equal(array.status, 400);
  assert.deepEqual(array.body, {
    errorInformation: {
      errorCode: '3101',
      errorDescription: 'Malformed syntax - the event must be of type object',
      field: '',
    },
  });
  const noBody = await call(`${url}/event`, { method: 'POST' });
  assert.equal(noBody.status, 415);

  const notFound = await call(`${url}/nowhere`);
  assert.equal(notFound.status, 404);
  assert.deepEqual(notFound.body, { errorInformation: { errorCode: '3002', errorDescription: 'Unknown URI' } });

  const wrongMethod = await call(`${url}/event`, { method: 'GET' });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get('allow'), 'POST');
  assert.deepEqual(wrongMethod.body, {
    errorInformation: { errorCode: '3000', errorDescription: 'Generic client error - method not allowed' },
  });

  for (const answer of [invalid, action, missing, malformed, tooLarge, wrongType, notFound, wrongMethod])
    assert.doesNotMatch(answer.text, /\bat .*\.(js|ts):\d+/, 'no stack trace in a response');
});

test('GET /health, /live, /openapi.json and /docs', async (t) => {
  const { url, sidecar } = await startTestSidecar(t);
  const health = await call(`${url}/health`);
  assert.equal(health.status, 200);
  const body = health.body as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['services', 'startTime', 'status', 'uptime', 'versionNumber']);
  assert.equal(body.status, 'OK');
  assert.equal(body.versionNumber, sidecar.version);
  assert.equal(body.startTime, sidecar.startTime.toISOString());
  assert.equal(typeof body.uptime, 'number');
  assert.deepEqual(body.services, [{ name: 'kafka', status: 'OK' }]);

  const live = await call(`${url}/live`);
  assert.equal(live.status, 200);
  assert.deepEqual(live.body, { status: 'OK' });

  const doc = await call(`${url}/openapi.json`);
  assert.equal(doc.status, 200);
  // The contract's document, with the configured batch limit.
  assert.deepEqual(doc.body, createOpenApiDocument({ maxBatchItems: sidecar.config.http.maxBatchEvents }));

  const docs = await call(`${url}/docs`);
  assert.equal(docs.status, 200);
  assert.match(docs.headers.get('content-type') ?? '', /text\/html/);
  assert.match(docs.text, /swagger-ui-bundle\.js/);
  assert.doesNotMatch(docs.text, /https?:\/\//, 'no CDN');
  for (const asset of ['/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/docs-init.js']) {
    const res = await fetch(`${url}${asset}`);
    assert.equal(res.status, 200, asset);
    await res.arrayBuffer();
  }
  const missing = await call(`${url}/docs/package.json`);
  assert.equal(missing.status, 404);
});

test('/metrics counters move with the traffic', async (t) => {
  const { url } = await startTestSidecar(t);
  const before = (await call(`${url}/metrics`)).text;
  assert.equal(metricValue(before, 'event_sidecar_events_received_total', { type: 'log', transport: 'http' }), 0);

  assert.equal((await call(`${url}/event`, { body: sampleEvent('log') })).status, 201);
  assert.equal((await call(`${url}/event`, { body: sampleEvent('log') })).status, 201);
  const bad = sampleEvent('audit');
  (bad.metadata.trace as { spanId: string }).spanId = 'nope';
  assert.equal((await call(`${url}/event`, { body: bad })).status, 400);
  assert.equal((await call(`${url}/events`, { body: [sampleEvent('trace'), sampleEvent('trace')] })).status, 200);

  const metrics = await call(`${url}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  const text = metrics.text;
  const value = (name: string, labels: Record<string, string>) => metricValue(text, name, labels);
  assert.equal(value('event_sidecar_events_received_total', { type: 'log', transport: 'http' }), 2);
  assert.equal(value('event_sidecar_events_published_total', { type: 'log', transport: 'http' }), 2);
  assert.equal(value('event_sidecar_events_received_total', { type: 'audit', transport: 'http' }), 1);
  assert.equal(value('event_sidecar_events_rejected_total', { type: 'audit', transport: 'http' }), 1);
  assert.equal(value('event_sidecar_events_published_total', { type: 'trace', transport: 'http' }), 2);
  assert.equal(value('event_sidecar_request_batch_events_count', { transport: 'http' }), 1);
  assert.equal(value('event_sidecar_request_batch_events_sum', { transport: 'http' }), 2);
  assert.ok(value('event_sidecar_publish_latency_seconds_count', {}) >= 4);
  assert.ok(value('event_sidecar_kafka_batch_events_count', {}) >= 1);
  assert.equal(value('event_sidecar_kafka_connection_state', { state: 'connected' }), 1);
  assert.equal(value('event_sidecar_producer_queue_depth', {}), 0);
  assert.ok(value('event_sidecar_process_cpu_user_seconds_total', {}) > 0, 'default process metrics');
});
