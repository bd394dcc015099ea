// What POST /event and POST /events answer, given the parsed body: one implementation for the express
// routes and for the fast path in front of them (fast-path.ts), so both answer alike.
import { SidecarError } from '../errors.js';
import type { Ingress } from '../ingress.js';
import type { JsonAnswer } from './answers.js';

/** The answer to POST /event: 201 once Kafka has the event, 202 once it is spooled. Throws the refusal. */
export async function eventAnswer(ingress: Ingress, body: unknown): Promise<JsonAnswer> {
  const outcome = await ingress.accept(body, 'http');
  if (!outcome.ok) throw outcome.error;
  if (outcome.spooled) return { status: 202, body: { id: outcome.event.id, status: 'spooled' } };
  const { topic, partition, offset } = outcome.result;
  return { status: 201, body: { id: outcome.event.id, topic, partition, offset } };
}

/**
 * The answer to POST /events: 200 when every event was taken, else 207 with each event's result. Throws
 * when the body is not a batch. The outer shape is checked here, with the answers the document's schema
 * would give, and each event by the contract (express-openapi-validator cost about 5 % of a batch's CPU).
 */
export async function batchAnswer(ingress: Ingress, body: unknown, maxEvents: number): Promise<JsonAnswer> {
  const shape = batchShapeError(body, maxEvents);
  if (shape) throw shape;
  const values = body as unknown[];
  const outcome = await ingress.acceptMany(values, 'http');
  const taken = outcome.published + outcome.spooled;
  return {
    status: taken === values.length ? 200 : 207,
    body: { results: outcome.results },
    ...(outcome.retryAfterSeconds === undefined
      ? {}
      : { headers: { 'Retry-After': String(outcome.retryAfterSeconds) } }),
  };
}

/**
 * Why a batch body is not a batch: not an array, empty, or over `max` events. The messages and keywords are
 * those of the JSON Schema the OpenAPI document gives the body (`type`, `minItems`, `maxItems`).
 */
function batchShapeError(body: unknown, max: number): SidecarError | undefined {
  const fail = (keyword: string, message: string) =>
    new SidecarError('VALIDATION_FAILED', `the body ${message}`, { issue: { field: '', message, keyword } });
  if (!Array.isArray(body)) return fail('type', 'must be array');
  if (body.length === 0) return fail('minItems', 'must NOT have fewer than 1 items');
  if (body.length > max) return fail('maxItems', `must NOT have more than ${max} items`);
  return undefined;
}
