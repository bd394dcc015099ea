// The kafkajs client behind the producer, with what a process that sends one event at a time, or none for a
// while, needs beyond kafkajs 2.2.4's defaults: sockets that send at once, and a request queue that sleeps.
import { createRequire } from 'node:module';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Kafka, type ISocketFactory, type KafkaConfig } from 'kafkajs';

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

interface RequestQueueShape {
  pending: unknown[];
  scheduleCheckPendingRequests(this: RequestQueueShape): void;
}

const FIXED = Symbol.for('event-sidecar.kafkajs.requestQueueTimer');

/**
 * kafkajs 2.2.4 re-arms a timer after every response, and again from that timer, whether or not a request
 * waits: a negative delay, so about every millisecond, for every broker connection, for as long as the process
 * lives (tulios/kafkajs#1556, #1704; not fixed in a release). An idle sidecar woke about a thousand times a
 * second for nothing. Here the check is scheduled only while a request waits in the queue (behind the in-flight
 * limit or the broker's throttling), the one case it exists for; responses still check the queue at once.
 * Applied once per process to kafkajs 2.2.4 only (another version may have changed the queue); returns whether
 * the fix is in place.
 */
export function fixRequestQueueTimer(): boolean {
  const require = createRequire(import.meta.url);
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== '2.2.4') return false;
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueShape & { [FIXED]?: true };
  };
  const proto = RequestQueue.prototype;
  if (proto[FIXED]) return true;
  const schedule = proto.scheduleCheckPendingRequests;
  if (typeof schedule !== 'function') return false;
  proto.scheduleCheckPendingRequests = function scheduleWhilePending(this: RequestQueueShape) {
    if (this.pending.length > 0) schedule.call(this);
  };
  proto[FIXED] = true;
  return true;
}

/** A kafkajs client with the sockets and the request queue fix above. */
export function createKafka(config: Omit<KafkaConfig, 'socketFactory'>): Kafka {
  fixRequestQueueTimer();
  return new Kafka({ ...config, socketFactory: noDelaySocketFactory });
}
