// How the ingress delivers a valid event: straight to Kafka without a spool; with one, to Kafka or to the spool when
// Kafka is away, the events of one trace keeping their order across the two (an event goes behind the spooled ones
// of its trace).
import type { EventMessage } from '@event-sidecar/contract';
import { isProducerError, RECORD_ENVELOPE_BYTES, sizedRecord, type PublishResult } from '@event-sidecar/producer';
import type { Publisher } from './producer-views.js';
import { shouldSpool, type Spool, type SpoolReason } from './spool/spool.js';
import { TraceOrder } from './spool/trace-order.js';

type Delivery = { spooled: false; result: PublishResult } | { spooled: true };

/** Delivers one valid event: to Kafka, or kept on the spool for later. Rejects with the producer's refusal. */
export type Deliver = (event: EventMessage) => Promise<Delivery>;

/** Publishes straight to Kafka: the sidecar without a spool. */
export function directDelivery(producer: Pick<Publisher, 'publish'>): Deliver {
  return async (event) => ({ spooled: false, result: await producer.publish(event) });
}

/**
 * Throws RECORD_TOO_LARGE for an event whose Kafka record would not fit in a produce request of `maxBytes`: the
 * check publish() makes first, for the events spooled without asking the producer. Exact, and cheap for the
 * common event, whose JSON plus the most a record adds is clearly below the bound.
 */
export function recordCheck(maxBytes: number): (event: EventMessage) => void {
  return (event) => {
    if (Buffer.byteLength(JSON.stringify(event)) + RECORD_ENVELOPE_BYTES <= maxBytes) return;
    sizedRecord(event, Date.now(), maxBytes);
  };
}

export interface SpoolingOptions {
  /** True while the sidecar is overloaded (its event loop runs late): events go to the spool without Kafka. */
  busy?: () => boolean;
  /** Refuses an event that could never be published, before it is spooled without the producer's word. */
  check?: (event: EventMessage) => void;
}

/**
 * Publishes one valid event, or spools it: when its trace already has spooled events (the order of a trace
 * holds), when the spool holds an outage's backlog (it queues behind it until the replay has drained it), when
 * Kafka fails in a way the spool is for, and under load, when the event would otherwise be refused
 * (the event loop runs late, or the producer's queue is full): `@mojaloop/event-sdk` drops a refused event, and an
 * append costs less than serving it. Only a full or failing spool refuses then. Callers enter events in acceptance
 * order (a batch calls this for each event before any await).
 */
export function spoolingDelivery(
  producer: Pick<Publisher, 'publish'>,
  spool: Spool,
  options: SpoolingOptions = {},
): Deliver {
  const order = new TraceOrder();
  return async (event) => {
    const acceptedAt = Date.now();
    const ticket = order.enter(event.metadata.trace.traceId);
    try {
      let reason: SpoolReason;
      if (ticket.follows || spool.holds(event)) reason = 'trace';
      // While the spool holds an outage's backlog (Kafka away, or back and the replay under way) a new event goes
      // behind it: answered once on disk instead of after the replay's requests, delivered by the replay in its
      // turn. Not behind events spooled for load: under an overload that would put every event through the spool.
      else if (spool.backlog) reason = 'behind';
      else if (options.busy?.()) reason = 'busy';
      else {
        try {
          return { spooled: false, result: await producer.publish(event) };
        } catch (error) {
          if (shouldSpool(error)) reason = 'kafka';
          else if (isProducerError(error) && error.code === 'OVERLOADED') reason = 'overloaded';
          else throw error;
        }
      }
      // publish() refused the others for what they are before anything else; these it has not seen.
      if (reason !== 'kafka' && reason !== 'overloaded') options.check?.(event);
      // Behind every earlier event of the trace: one still waiting for Kafka may yet be spooled (see spool/trace-order.ts).
      await ticket.toSpool();
      const appended = spool.append(event, acceptedAt, reason);
      ticket.settle();
      await appended;
      return { spooled: true };
    } finally {
      ticket.settle();
    }
  };
}
