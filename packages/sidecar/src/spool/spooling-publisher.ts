// Publishing with a spool behind it: an event goes to Kafka, or to the spool when Kafka is away, and the
// events of one trace keep their order across the two (an event goes behind the spooled ones of its trace).
import type { EventMessage } from '@event-sidecar/contract';
import type { PublishResult } from '@event-sidecar/producer';
import type { Publisher } from '../producer-views.js';
import { shouldSpool, type Spool } from './index.js';
import { TraceOrder } from './order.js';

export type Delivery = { spooled: false; result: PublishResult } | { spooled: true };

/** Delivers one valid event: to Kafka, or kept on the spool for later. Rejects with the producer's refusal. */
export type Deliver = (event: EventMessage) => Promise<Delivery>;

/** Publishes straight to Kafka: the sidecar without a spool. */
export function directDelivery(producer: Pick<Publisher, 'publish'>): Deliver {
  return async (event) => ({ spooled: false, result: await producer.publish(event) });
}

/**
 * Publishes one valid event, spooling it when either its trace already has spooled events (the order of a
 * trace holds) or Kafka fails in a way the spool is for. Callers enter events in acceptance order (a batch
 * calls this for each event before any await).
 */
export function spoolingDelivery(producer: Pick<Publisher, 'publish'>, spool: Spool): Deliver {
  const order = new TraceOrder();
  return async (event) => {
    const acceptedAt = Date.now();
    const ticket = order.enter(event.metadata.trace.traceId);
    try {
      if (!ticket.follows && !spool.holds(event)) {
        try {
          return { spooled: false, result: await producer.publish(event) };
        } catch (error) {
          if (!shouldSpool(error)) throw error;
        }
      }
      // Behind every earlier event of the trace: one still waiting for Kafka may yet be spooled (see order.ts).
      await ticket.toSpool();
      const appended = spool.append(event, acceptedAt);
      ticket.settle();
      await appended;
      return { spooled: true };
    } finally {
      ticket.settle();
    }
  };
}
