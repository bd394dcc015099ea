// MAX_IN_FLIGHT_BYTES: the bodies being handled at once are bounded by their declared length. A request
// that would pass the bound while others are in flight is answered 429 with Retry-After before its body is
// read (it has not even been sent here); a request alone is always taken, however large; once the others
// are answered, the budget is free again. The events taken are read back from Kafka.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { consume, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** A request on its own connection whose body is sent when the test says so. */
class RawRequest {
  private readonly socket: Socket;
  private received = Buffer.alloc(0);
  readonly response: Promise<RawResponse>;

  constructor(port: number, path: string, body: Buffer) {
    this.body = body;
    this.socket = connect(port, '127.0.0.1');
    this.socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    this.response = new Promise((resolve, reject) => {
      this.socket.on('data', (chunk: Buffer) => {
        this.received = Buffer.concat([this.received, chunk]);
        const parsed = parse(this.received);
        if (parsed) resolve(parsed);
      });
      this.socket.once('error', reject);
      this.socket.once('close', () => reject(new Error('closed without a complete answer')));
    });
    // The test decides which answers it waits for; an unawaited rejection must not end the run.
    this.response.catch(() => undefined);
  }

  private readonly body: Buffer;

  /** Sends the body's first `bytes` (all of it by default). */
  send(bytes = this.body.length): void {
    this.socket.write(this.body.subarray(0, bytes));
  }

  /** Sends the rest of the body after `send(bytes)`. */
  sendRest(from: number): void {
    this.socket.write(this.body.subarray(from));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A complete response with a Content-Length, or undefined while it is not all there. */
function parse(bytes: Buffer): RawResponse | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers = new Map(
    lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  const length = Number(headers.get('content-length') ?? 0);
  if (bytes.length < end + 4 + length) return undefined;
  return {
    status: Number(statusLine!.split(' ')[1]),
    headers,
    body: bytes.subarray(end + 4, end + 4 + length).toString('utf8'),
  };
}

/** `promise`, or a failure naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Events that make a batch body of at least `bytes`. */
function batchOf(bytes: number): { body: Buffer; ids: string[] } {
  const events = [sampleEvent('log')];
  while (JSON.stringify(events).length < bytes) events.push(sampleEvent('log'));
  return { body: Buffer.from(JSON.stringify(events)), ids: events.map((e) => e.id) };
}

test('MAX_IN_FLIGHT_BYTES refuses bodies beyond the bound with 429 before reading them; one alone is taken', async (t) => {
  const bound = 8192;
  const { sidecar, topic } = await startTestSidecar(t, {
    MAX_IN_FLIGHT_BYTES: String(bound),
    MAX_BATCH_EVENTS: '100',
    MAX_BODY_BYTES: '65536',
  });
  const port = sidecar.httpPort;
  const open: RawRequest[] = [];
  t.after(() => open.forEach((r) => r.destroy()));
  const start = (body: Buffer) => {
    const request = new RawRequest(port, '/events', body);
    open.push(request);
    return request;
  };

  // Alone, a body three times the bound is taken.
  const large = batchOf(3 * bound);
  const alone = start(large.body);
  alone.send();
  const aloneAnswer = await within(alone.response, 10_000, 'the request alone');
  assert.equal(aloneAnswer.status, 200, aloneAnswer.body);

  // A holds most of the budget while its body arrives slowly.
  const a = batchOf(bound - 2048);
  const holder = start(a.body);
  holder.send(100);
  // Give the server the time to read A's headers (and reserve its bytes) before B and C arrive.
  await new Promise((resolve) => setTimeout(resolve, 200));

  // B would pass the bound: refused at once, though not one byte of its body was sent.
  const beyond = start(batchOf(4096).body);
  const refused = await within(beyond.response, 5_000, 'the request beyond the bound');
  assert.equal(refused.status, 429, refused.body);
  assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After');
  assert.equal(
    (JSON.parse(refused.body) as { errorInformation: { errorCode: string } }).errorInformation.errorCode,
    '2005',
  );

  // C fits beside A: it is taken.
  const c = batchOf(1024);
  const fits = start(c.body);
  fits.send();
  const fitsAnswer = await within(fits.response, 10_000, 'the request within the bound');
  assert.equal(fitsAnswer.status, 200, fitsAnswer.body);

  // A completes and is taken; then the budget is free for a body the size of B.
  holder.sendRest(100);
  const holderAnswer = await within(holder.response, 10_000, 'the holder');
  assert.equal(holderAnswer.status, 200, holderAnswer.body);
  const after = batchOf(4096);
  const later = start(after.body);
  later.send();
  const laterAnswer = await within(later.response, 10_000, 'the request after the others');
  assert.equal(laterAnswer.status, 200, laterAnswer.body);

  const taken = [...large.ids, ...a.ids, ...c.ids, ...after.ids];
  const records = await consume(topic, taken.length);
  assert.deepEqual(records.map((r) => r.value.id).sort(), [...taken].sort());
});
