// Transport-neutral acceptance of events: validate against the contract, count, publish, and
// say what happened. The HTTP routes use it now; the gRPC server uses the same object, so both
// transports validate, count and fail in exactly the same way.
import type { EventMessage, EventResult, ValidationIssue, ValidationResult } from '@event-sidecar/contract';
import type { PublishResult } from '@event-sidecar/producer';
import type { Publisher } from './producer-views.js';
import { SidecarError, errorBody, resolveError } from './errors.js';
import type { Admission } from './admission.js';
import { eventTypeLabel, type EventTypeLabel, type SidecarMetrics, type TransportName } from './metrics.js';
import type { Spool } from './spool/spool.js';
import { directDelivery, spoolingDelivery, type SpoolingOptions } from './delivery.js';

/** The contract's `validateEvent`, or another with its shape. */
export type EventValidator = (value: unknown) => ValidationResult;

/**
 * `spooled`: Kafka could not take the event now; it is on the local spool's disk and will be delivered
 * (HTTP 202, gRPC `accepted`).
 */
export type AcceptOutcome =
  | { ok: true; spooled: false; event: EventMessage; result: PublishResult }
  | { ok: true; spooled: true; event: EventMessage }
  | { ok: false; error: unknown; id?: string };

export interface BatchOutcome {
  results: EventResult[];
  published: number;
  /** Events kept on the spool for later delivery. */
  spooled: number;
  /** Largest Retry-After among failures that can be retried, when any. */
  retryAfterSeconds?: number;
}

export interface Ingress {
  /** One event: validated, counted, published; never rejects. */
  accept(value: unknown, transport: TransportName): Promise<AcceptOutcome>;
  /** Many events, each judged alone: an invalid one does not hold back the valid ones. */
  acceptMany(values: readonly unknown[], transport: TransportName): Promise<BatchOutcome>;
}

/** The first issue the validator found, as the error every transport answers with. */
export function validationError(errors: readonly ValidationIssue[]): SidecarError {
  const issue = errors[0] ?? { field: '', message: 'is not a valid event', keyword: 'unknown' };
  const where = issue.field === '' ? 'the event' : issue.field;
  return new SidecarError('VALIDATION_FAILED', `${where} ${issue.message}`, { issue });
}

/** Events counted by type label. */
class TypeCounts {
  private readonly counts = new Map<EventTypeLabel, number>();
  add(type: EventTypeLabel): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
  }
  report(to: (type: EventTypeLabel, count: number) => void): void {
    for (const [type, count] of this.counts) to(type, count);
  }
}

function idOf(value: unknown): string | undefined {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
}

export function createIngress(deps: {
  producer: Publisher;
  validate: EventValidator;
  metrics: SidecarMetrics;
  /** With a spool, events Kafka cannot take now are kept on disk instead of failing. */
  spool?: Spool;
  /**
   * Load shedding: while it says busy, an event is refused (BUSY) before any validation or publishing, or, with
   * a spool, validated and spooled instead. For HTTP this is the second look, once the body is read; for gRPC,
   * the only one.
   */
  admission?: Pick<Admission, 'busy'>;
  /** With a spool: refuses an event too large for a Kafka record before it is spooled without the producer. */
  recordCheck?: SpoolingOptions['check'];
}): Ingress {
  const { producer, validate, metrics, spool, admission } = deps;
  const deliver = spool
    ? spoolingDelivery(producer, spool, {
        ...(admission ? { busy: () => admission.busy() } : {}),
        ...(deps.recordCheck ? { check: deps.recordCheck } : {}),
      })
    : directDelivery(producer);
  // With a spool, a busy sidecar spools rather than refuses (the SDK drops what is refused).
  const sheds = spool === undefined && admission !== undefined;

  return {
    async accept(value, transport) {
      const type = eventTypeLabel(value);
      metrics.received(type, transport);
      if (sheds && admission!.busy()) {
        metrics.failed(type, transport, 'BUSY');
        const id = idOf(value);
        return { ok: false, error: new SidecarError('BUSY', 'overloaded'), ...(id ? { id } : {}) };
      }
      const checked = validate(value);
      if (!checked.ok) {
        metrics.rejected(type, transport);
        const id = idOf(value);
        return { ok: false, error: validationError(checked.errors), ...(id ? { id } : {}) };
      }
      try {
        const delivered = await deliver(checked.event);
        if (delivered.spooled) return { ok: true, spooled: true, event: checked.event };
        metrics.published(type, transport);
        return { ok: true, spooled: false, event: checked.event, result: delivered.result };
      } catch (error) {
        metrics.failed(type, transport, resolveError(error).code);
        return { ok: false, error, id: checked.event.id };
      }
    },

    async acceptMany(values, transport) {
      metrics.requestBatch(transport, values.length);
      const results = new Array<EventResult>(values.length);
      const valid: EventMessage[] = [];
      const validIndex: number[] = [];
      const validType: EventTypeLabel[] = [];
      // Counted per type once per batch: a labelled counter update costs about a microsecond.
      const received = new TypeCounts();
      const rejected = new TypeCounts();
      const publishedByType = new TypeCounts();
      values.forEach((value, index) => {
        const type = eventTypeLabel(value);
        received.add(type);
        const checked = validate(value);
        if (checked.ok) {
          valid.push(checked.event);
          validIndex.push(index);
          validType.push(type);
          return;
        }
        rejected.add(type);
        const id = idOf(value);
        const error = errorBody(resolveError(validationError(checked.errors)));
        results[index] = { index, ...(id ? { id } : {}), status: 'rejected', error: error.errorInformation };
      });
      received.report((type, n) => metrics.received(type, transport, n));
      rejected.report((type, n) => metrics.rejected(type, transport, n));

      let published = 0;
      let spooled = 0;
      let retryAfterSeconds: number | undefined;
      const outcomes = await Promise.all(
        valid.map((event) =>
          deliver(event).then(
            (d) => ({ ok: true as const, ...d }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
        ),
      );
      outcomes.forEach((outcome, k) => {
        const index = validIndex[k]!;
        const event = valid[k]!;
        const type = validType[k]!;
        if (outcome.ok && outcome.spooled) {
          spooled += 1;
          results[index] = { index, id: event.id, status: 'spooled' };
          return;
        }
        if (outcome.ok) {
          published += 1;
          publishedByType.add(type);
          const { topic, partition, offset } = outcome.result;
          results[index] = { index, id: event.id, status: 'published', topic, partition, offset };
          return;
        }
        const resolved = resolveError(outcome.error);
        metrics.failed(type, transport, resolved.code);
        if (resolved.retryAfterSeconds !== undefined)
          retryAfterSeconds = Math.max(retryAfterSeconds ?? 0, resolved.retryAfterSeconds);
        results[index] = { index, id: event.id, status: 'failed', error: errorBody(resolved).errorInformation };
      });
      publishedByType.report((type, n) => metrics.published(type, transport, n));
      return { results, published, spooled, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
    },
  };
}
