// Events for the reliability suite: valid ones with ids unique to the run, and their gRPC wire
// form (the contract's proto as @mojaloop/event-sdk sends it: enums as names, content in an Any).
import { randomBytes } from 'node:crypto';
import { EVENT_TYPES, type EventMessage, type EventType } from '@event-sidecar/contract';
import { sampleEvent } from './sidecar.js';

const ACTION: Record<EventType, string> = { log: 'info', audit: 'default', trace: 'span', error: 'internal' };

/** A valid event with a fresh id; `n` picks the type round-robin. */
export function validEvent(n = 0, note = 'reliability'): EventMessage {
  const type = EVENT_TYPES[n % EVENT_TYPES.length]!;
  return sampleEvent(type, { content: { note, n, amount: { currency: 'USD', value: '10.50' } } });
}

/** The proto message (grpc-js / proto-loader object form) of a JSON event, as event-sdk builds it. */
export function toWire(event: unknown): Record<string, unknown> {
  const e = event as Record<string, unknown>;
  const wire: Record<string, unknown> = { ...e };
  const type = typeof e.type === 'string' ? e.type : 'application/json';
  if ('content' in e) {
    const content = e.content;
    wire.content = {
      type_url: type,
      value: Buffer.from(typeof content === 'string' ? content : (JSON.stringify(content) ?? ''), 'utf8'),
    };
  }
  const metadata = e.metadata as { trace?: Record<string, unknown> } | undefined;
  if (metadata?.trace && typeof metadata.trace === 'object') {
    const trace: Record<string, unknown> = { ...metadata.trace };
    // int32 on the wire; the JSON form may carry the header's string.
    for (const key of ['sampled', 'flags'])
      if (typeof trace[key] === 'string') trace[key] = Number.parseInt(trace[key] as string, 16) || 0;
    delete trace.tracestates;
    wire.metadata = { ...(e.metadata as object), trace };
  }
  return wire;
}

// Cheap events for load: ids from a random prefix and a counter (unique in the run), trace ids
// from the counter; no crypto per event, so that one client process can offer more.
const RUN = randomBytes(6).toString('hex');
let counter = 0;

/** A valid event, like validEvent but cheap to make. */
export function fastEvent(n = 0, note = 'reliability'): EventMessage {
  const k = ++counter;
  const type = EVENT_TYPES[n % EVENT_TYPES.length]!;
  const now = new Date().toISOString();
  const hexK = k.toString(16);
  return {
    id: `${RUN}-${k}`,
    type: 'application/json',
    content: { note, n },
    metadata: {
      event: { id: `${RUN}-e${k}`, type, action: ACTION[type], createdAt: now, state: { status: 'success' } },
      trace: {
        service: 'central-ledger',
        traceId: (RUN + hexK.padStart(20, '0')).slice(-32).padStart(32, '0'),
        spanId: hexK.padStart(16, '0').slice(-16),
      },
    },
  } as EventMessage;
}
