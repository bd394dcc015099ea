// The benchmark payloads: a seeded, reproducible mix of log, audit, trace and error events of about 1 KB each,
// shaped like what Mojaloop services send (FSPIOP headers, transfer ids, spans with tags). Every phase of a run,
// Kafka-only, HTTP and gRPC alike, sends these same events, so their figures compare.
import { validateEvent, type EventMessage, type EventType } from '@event-sidecar/contract';

/** Share of each event type; services log most, trace and audit every request, and error rarely. */
const MIX: Record<EventType, number> = { log: 0.4, audit: 0.25, trace: 0.25, error: 0.1 };
/** Mean size of an event as JSON, in bytes; each event is drawn within ±20 % of it. */
const TARGET_BYTES = 1024;

/** mulberry32: a tiny seeded PRNG, good enough to vary payloads reproducibly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FSPS = ['payerfsp', 'payeefsp', 'dfsp1', 'dfsp2', 'pinkbankfsp', 'greenbankfsp', 'noresponsepayeefsp'];
const SERVICES = [
  'central-ledger-prepare-handler',
  'central-ledger-position-handler',
  'central-ledger-fulfil-handler',
  'ml-api-adapter',
  'account-lookup-service',
  'quoting-service',
  'transaction-requests-service',
];
const LOG_ACTIONS = ['info', 'info', 'info', 'debug', 'verbose', 'perf', 'warn', 'error'] as const;
const AUDIT_ACTIONS = ['default', 'start', 'finish', 'ingress', 'egress'] as const;
const ERROR_ACTIONS = ['internal', 'external'] as const;
const WORDS =
  'transfer prepare fulfil position quote party lookup participant settlement window ledger account limit ' +
  'callback notification reserve commit abort timeout payer payee amount currency condition expiration ilp';

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function hex(random: () => number, length: number): string {
  let out = '';
  while (out.length < length)
    out += Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, length);
}

function uuid(random: () => number): string {
  const h = hex(random, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function sentence(random: () => number, words: number): string {
  const dictionary = WORDS.split(' ');
  return Array.from({ length: words }, () => pick(random, dictionary)).join(' ');
}

function pickType(random: () => number): EventType {
  let r = random();
  for (const type of ['log', 'audit', 'trace', 'error'] as const) {
    r -= MIX[type];
    if (r < 0) return type;
  }
  return 'log';
}

function fspiopHeaders(random: () => number, payer: string, payee: string, at: Date): Record<string, string> {
  return {
    'content-type': 'application/vnd.interoperability.transfers+json;version=1.1',
    accept: 'application/vnd.interoperability.transfers+json;version=1',
    date: at.toUTCString(),
    'fspiop-source': payer,
    'fspiop-destination': payee,
    traceparent: `00-${hex(random, 32)}-${hex(random, 16)}-01`,
  };
}

/** One event of `type`, before padding to its drawn size. */
function buildEvent(random: () => number, type: EventType, index: number): EventMessage {
  const at = new Date(Date.UTC(2026, 0, 15, 10, 0, 0) + index * 37);
  const payer = pick(random, FSPS);
  const payee = pick(random, FSPS);
  const transferId = uuid(random);
  const amount = { amount: (random() * 1000).toFixed(2), currency: pick(random, ['USD', 'EUR', 'XOF', 'TZS']) };
  const trace = {
    service: pick(random, SERVICES),
    traceId: hex(random, 32),
    spanId: hex(random, 16),
    parentSpanId: hex(random, 16),
    sampled: 1,
    flags: 1,
    startTimestamp: at.toISOString(),
    finishTimestamp: new Date(at.getTime() + Math.floor(random() * 200)).toISOString(),
    tags: { transactionType: 'transfer', transactionAction: 'prepare', transactionId: transferId, source: payer },
  };
  const common = { id: uuid(random), createdAt: at.toISOString(), state: { status: 'success' as const, code: 0 } };
  const base = { id: uuid(random), from: payer, to: payee, type: 'application/json' as const };
  switch (type) {
    case 'log': {
      const action = pick(random, LOG_ACTIONS);
      // A tenth of the logs are plain text, as event-sdk sends them when given a string.
      const plain = random() < 0.1;
      const message = `${action}: ${sentence(random, 8)} ${transferId}`;
      return {
        ...base,
        type: plain ? 'text/plain' : 'application/json',
        content: plain ? message : { level: action, message, context: { transferId, payer, payee, ...amount } },
        metadata: { event: { ...common, type, action }, trace },
      };
    }
    case 'audit':
      return {
        ...base,
        content: {
          headers: fspiopHeaders(random, payer, payee, at),
          payload: { transferId, payerFsp: payer, payeeFsp: payee, amount, expiration: at.toISOString() },
        },
        metadata: { event: { ...common, type, action: pick(random, AUDIT_ACTIONS) }, trace },
      };
    case 'trace':
      return {
        ...base,
        content: { span: { name: `${trace.service}.${sentence(random, 1)}`, kind: 'server' } },
        metadata: {
          event: { ...common, type, action: 'span', state: { status: 'success', code: 0, description: 'ok' } },
          trace,
        },
      };
    case 'error':
      return {
        ...base,
        content: {
          errorInformation: {
            errorCode: pick(random, ['2001', '3100', '4001', '5001']),
            errorDescription: `${sentence(random, 4)} for transfer ${transferId}`,
          },
          headers: fspiopHeaders(random, payer, payee, at),
        },
        metadata: {
          event: {
            ...common,
            type,
            action: pick(random, ERROR_ACTIONS),
            state: { status: 'failed', code: 500, description: 'internal server error' },
          },
          trace,
        },
      };
  }
}

/** Pads `event` with free text (a stack trace, a message body) until its JSON is about `bytes` long. */
function padTo(random: () => number, event: EventMessage, bytes: number): EventMessage {
  const missing = bytes - Buffer.byteLength(JSON.stringify(event));
  if (missing <= 0) return event;
  let text = '';
  while (text.length < missing) text += `${sentence(random, 6)}\n`;
  if (typeof event.content === 'string') return { ...event, content: `${event.content}\n${text.slice(0, missing)}` };
  // `"detail":"..."` and a comma take 12 bytes of the missing ones.
  const detail = text.slice(0, Math.max(0, missing - 12));
  return { ...event, content: { ...event.content, detail } };
}

/** `count` valid events of the mix; throws if the contract refuses any (the benchmark must send valid events). */
export function generateEvents(count: number, { seed = 1 }: { seed?: number } = {}): EventMessage[] {
  const random = seededRandom(seed);
  const events: EventMessage[] = [];
  for (let i = 0; i < count; i++) {
    const type = pickType(random);
    const event = padTo(random, buildEvent(random, type, i), Math.round(TARGET_BYTES * (0.8 + random() * 0.4)));
    const checked = validateEvent(event);
    if (!checked.ok) {
      const issue = checked.errors[0];
      throw new Error(`generated ${type} event ${i} is invalid: ${issue?.field} ${issue?.message}`);
    }
    events.push(event);
  }
  return events;
}

export interface PayloadStats {
  events: number;
  meanBytes: number;
  minBytes: number;
  maxBytes: number;
  byType: Record<EventType, number>;
}

export function payloadStats(events: readonly EventMessage[]): PayloadStats {
  const sizes = events.map((e) => Buffer.byteLength(JSON.stringify(e)));
  const byType: Record<EventType, number> = { log: 0, audit: 0, trace: 0, error: 0 };
  for (const e of events) byType[e.metadata.event.type]++;
  return {
    events: events.length,
    meanBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length)),
    minBytes: Math.min(...sizes),
    maxBytes: Math.max(...sizes),
    byType,
  };
}

/** The gRPC form of an event (proto-loader object with `keepCase`): content as a `google.protobuf.Any`. */
export function toGrpcMessage(event: EventMessage): Record<string, unknown> {
  const text = typeof event.content === 'string' ? event.content : JSON.stringify(event.content);
  return {
    ...event,
    content: { type_url: event.type, value: Buffer.from(text) },
  };
}

/**
 * Whether `@mojaloop/event-sdk`'s client can carry the event: its protobuf EventType holds log, audit and trace but
 * not error, so it sends an error event with no type, which the sidecar rightly refuses.
 */
export function sdkCanCarry(event: EventMessage): boolean {
  return event.metadata.event.type !== 'error';
}
