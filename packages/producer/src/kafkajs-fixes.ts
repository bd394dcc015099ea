// What a process that sends events needs beyond kafkajs 2.2.4's defaults: sockets that send at once, a request
// queue that sleeps while it has nothing to do, and encoders that do not zero (and collect) a dozen buffers a request.
import { createRequire } from 'node:module';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

/** What kafkajs's own factory does, plus TCP_NODELAY. */
export const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  // A produce request leaves as one write, but a lane's next request (or the idempotent producer's
  // InitProducerId) may follow while the last segment is unacknowledged: without TCP_NODELAY, Nagle's
  // algorithm then holds it back until the broker's delayed ACK, up to 40 ms on Linux.
  const socket =
    typeof ssl === 'object' && ssl !== null
      ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : netConnect({ host, port }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

interface InFlightRequest {
  sentAt: number | null;
  requestTimeout: number;
  timeoutRequest(): void;
}

interface RequestQueueShape {
  pending: unknown[];
  inflight: Map<number, InFlightRequest>;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  isConnected(): boolean;
  push(this: RequestQueueShape, request: unknown): void;
  destroy(this: RequestQueueShape): void;
  scheduleCheckPendingRequests(this: RequestQueueShape): void;
  scheduleRequestTimeoutCheck(this: RequestQueueShape): void;
  [TIMEOUT_CHECK]?: NodeJS.Timeout;
  [CHECK_TIMEOUTS]?: boolean;
}

const FIXED = Symbol.for('event-sidecar.kafkajs.requestQueueTimers');
const TIMEOUT_CHECK = Symbol('timeoutCheck');
const CHECK_TIMEOUTS = Symbol('checkTimeouts');

function stopTimeoutCheck(queue: RequestQueueShape): void {
  clearInterval(queue[TIMEOUT_CHECK]);
  queue[TIMEOUT_CHECK] = undefined;
}

/** kafkajs's request timeout check, run only while the queue holds a request. */
function startTimeoutCheck(queue: RequestQueueShape): void {
  if (queue[TIMEOUT_CHECK] || !queue[CHECK_TIMEOUTS]) return;
  queue[TIMEOUT_CHECK] = setInterval(
    () => {
      const now = Date.now();
      for (const request of queue.inflight.values()) {
        if (request.sentAt !== null && now - request.sentAt > request.requestTimeout) request.timeoutRequest();
      }
      if (!queue.isConnected() || (queue.inflight.size === 0 && queue.pending.length === 0)) stopTimeoutCheck(queue);
    },
    Math.min(queue.requestTimeout, 100),
  );
}

/**
 * Two timers of kafkajs 2.2.4's request queue (one per broker connection) wake a process that sends nothing:
 * - after every response, and again from that timer, a check of the queue is scheduled whether or not a request
 *   waits: with a negative delay, so about every millisecond, for as long as the process lives (tulios/kafkajs
 *   #1556, #1704; not fixed in a release). Here it is scheduled only while a request waits in the queue (behind
 *   the in-flight limit or the broker's throttling), the case it exists for; a response still checks at once.
 * - the request timeout check runs every 100 ms from the connection's start. Here it runs while a request is
 *   queued or in flight, and stops once the queue is empty.
 * An idle sidecar woke about a thousand times a second for these. Applied once per process, to kafkajs 2.2.4
 * only (another version may have changed the queue); returns whether the fixes are in place.
 */
export function fixRequestQueueTimers(): boolean {
  const require = createRequire(import.meta.url);
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== '2.2.4') return false;
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueShape & { [FIXED]?: true };
  };
  const proto = RequestQueue.prototype;
  if (proto[FIXED]) return true;
  const { scheduleCheckPendingRequests, push, destroy } = proto;
  if ([scheduleCheckPendingRequests, push, destroy, proto.scheduleRequestTimeoutCheck].some((f) => !f)) return false;
  proto.scheduleCheckPendingRequests = function scheduleWhilePending() {
    if (this.pending.length > 0) scheduleCheckPendingRequests.call(this);
  };
  // Called once the connection is up (and again on a reconnect): arms nothing yet.
  proto.scheduleRequestTimeoutCheck = function checkTimeoutsFromNowOn() {
    this.destroy();
    this[CHECK_TIMEOUTS] = this.enforceRequestTimeout;
  };
  proto.push = function pushAndWatch(request) {
    push.call(this, request);
    startTimeoutCheck(this);
  };
  proto.destroy = function destroyAndStop() {
    stopTimeoutCheck(this);
    destroy.call(this);
  };
  proto[FIXED] = true;
  return true;
}

interface EncoderClass {
  nextPowerOfTwo(value: number): number;
  prototype: { buf: Buffer; offset: number; ensureAvailable(length: number): void; [FIXED]?: true };
}

/**
 * kafkajs 2.2.4 encodes each record, each header, each batch and each request in an encoder of its own, which starts
 * with a zero-filled buffer of 512 bytes and grows by allocating a larger zero-filled one and copying: a produce
 * request of one event allocated a dozen buffers outside the V8 heap, and their allocation and collection were half
 * of the request's encoding (72 µs of CPU for one ~1.3 KB record here). Every byte an encoder hands on is written
 * first (`buffer` is the written part only), so zeroing is never needed: here an encoder starts empty and grows with
 * `Buffer.allocUnsafe`, which takes buffers under 4 KiB out of Node's shared pool. `nextPowerOfTwo` is asked only by
 * the encoder's constructor, for its first buffer, and by `ensureAvailable`, replaced here; it answers 0 for the
 * constructor and the replacement keeps the real one. Applied once per process, to kafkajs 2.2.4 only; returns
 * whether the fix is in place.
 */
export function poolEncoderBuffers(): boolean {
  const require = createRequire(import.meta.url);
  if ((require('kafkajs/package.json') as { version: string }).version !== '2.2.4') return false;
  const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
  const proto = Encoder.prototype;
  if (proto[FIXED]) return true;
  const nextPowerOfTwo = Encoder.nextPowerOfTwo;
  if (typeof nextPowerOfTwo !== 'function' || typeof proto.ensureAvailable !== 'function') return false;
  proto.ensureAvailable = function growFromPool(length) {
    const needed = this.offset + length;
    if (needed <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(nextPowerOfTwo(Math.max(needed, 64)));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  Encoder.nextPowerOfTwo = () => 0;
  proto[FIXED] = true;
  return true;
}
