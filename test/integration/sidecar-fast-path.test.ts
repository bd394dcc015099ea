// The event routes are answered in front of express when a request has the common form (a Content-Length,
// application/json in UTF-8), and by express otherwise. Each case here is sent in both forms, the same bytes
// once with a Content-Length and once chunked, and must get the same answer; the published events are read
// back from Kafka. Which path answered is read from the fast path's counter on /metrics: each form must take
// the path it is meant for, or the comparison would compare express with itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { call, consume, metricValue, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** POSTs `bytes`, with a Content-Length or chunked (Transfer-Encoding: chunked, which express answers). */
function post(
  url: string,
  bytes: Buffer,
  form: 'length' | 'chunked',
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...headers,
          ...(form === 'length' ? { 'content-length': String(bytes.length) } : { 'transfer-encoding': 'chunked' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) as unknown });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (form === 'chunked') {
      // Two chunks, so that the body really arrives in pieces.
      const half = Math.floor(bytes.length / 2);
      req.write(bytes.subarray(0, half));
      req.end(bytes.subarray(half));
    } else req.end(bytes);
  });
}

/** The parts of an answer both forms must share: offsets differ, and so do generated request ids. */
function comparable(answer: RawAnswer): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, k === 'offset' ? typeof v : strip(v)] as [string, unknown]),
      );
    }
    return value;
  };
  return {
    status: answer.status,
    contentType: answer.headers['content-type'],
    retryAfter: answer.headers['retry-after'],
    requestId: typeof answer.headers['x-request-id'],
    body: strip(answer.body),
  };
}

test('the event routes answer alike in front of express and in it', async (t) => {
  const { url, topic } = await startTestSidecar(t, { MAX_BATCH_EVENTS: '3', MAX_BODY_BYTES: '8192' });
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const noContent = sampleEvent('log') as unknown as Record<string, unknown>;
  delete noContent.content;

  // The same bytes go in both forms: the answers then name the same ids and partitions (the sidecar does
  // not deduplicate events, so each is published twice).
  const cases: Array<{ name: string; path: string; body: () => Buffer; headers?: Record<string, string> }> = [
    { name: 'a valid event', path: '/event', body: () => json(sampleEvent('trace')) },
    {
      name: 'a valid event, charset=utf-8 and a request id',
      path: '/event',
      body: () => json(sampleEvent('error')),
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'fast-path-1' },
    },
    {
      name: 'a byte order mark before the event',
      path: '/event',
      body: () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(sampleEvent('log'))]),
    },
    {
      name: 'an event with malformed UTF-8 in a string',
      path: '/event',
      body: () => {
        const event = sampleEvent('log');
        const text = JSON.stringify(event);
        const at = text.indexOf('"payer-fsp"') + 1;
        return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xc3, 0x28]), Buffer.from(text.slice(at))]);
      },
    },
    { name: 'an event without content', path: '/event', body: () => json(noContent) },
    { name: 'not JSON', path: '/event', body: () => Buffer.from('{"id": ') },
    { name: 'a JSON string', path: '/event', body: () => Buffer.from('"event"') },
    { name: 'a JSON number after whitespace', path: '/event', body: () => Buffer.from(' \n\t 42') },
    { name: 'whitespace only', path: '/event', body: () => Buffer.from('   ') },
    { name: 'a byte order mark only', path: '/event', body: () => Buffer.from([0xef, 0xbb, 0xbf]) },
    { name: 'an array to /event', path: '/event', body: () => json([sampleEvent('log')]) },
    {
      name: 'a batch with an invalid event',
      path: '/events?source=test',
      body: () => json([sampleEvent('audit'), { id: 'x' }, sampleEvent('log')]),
    },
    { name: 'a valid batch', path: '/events', body: () => json([sampleEvent('audit'), sampleEvent('error')]) },
    { name: 'an object to /events', path: '/events', body: () => json(sampleEvent('log')) },
    { name: 'an empty batch', path: '/events', body: () => json([]) },
    {
      name: 'a batch over MAX_BATCH_EVENTS',
      path: '/events',
      body: () => json([1, 2, 3, 4].map(() => sampleEvent('log'))),
    },
  ];

  /** Requests the fast path answered so far, both routes. */
  const fastAnswered = async (): Promise<number> => {
    const text = (await call(url + '/metrics')).text;
    const name = 'event_sidecar_http_fast_path_requests_total';
    return metricValue(text, name, { route: 'event' }) + metricValue(text, name, { route: 'events' });
  };

  let published = 0;
  for (const c of cases) {
    const bytes = c.body();
    const before = await fastAnswered();
    const fast = await post(url + c.path, bytes, 'length', c.headers);
    assert.equal(await fastAnswered(), before + 1, `${c.name}: the form with a Content-Length took the fast path`);
    const slow = await post(url + c.path, bytes, 'chunked', c.headers);
    assert.equal(await fastAnswered(), before + 1, `${c.name}: the chunked form went to express`);
    assert.deepEqual(comparable(fast), comparable(slow), c.name);
    assert.ok(fast.status < 500, `${c.name}: ${fast.status}`);
    if (c.headers?.['x-request-id']) assert.equal(fast.headers['x-request-id'], c.headers['x-request-id']);
    for (const answer of [fast, slow]) {
      if (answer.status === 201) published += 1;
      const results = (answer.body as { results?: Array<{ status: string }> }).results ?? [];
      published += results.filter((r) => r.status === 'published').length;
    }
  }
  // 4 single events and 2 + 2 batch events, each case twice.
  assert.equal(published, 16);
  const records = await consume(topic, published);
  assert.equal(records.length, published);
  // The malformed bytes became U+FFFD in both forms, as body-parser decodes them.
  assert.equal(records.filter((r) => r.value.from === '\ufffd(payer-fsp').length, 2);
});
