// The Span load of a service that logs straight to Kafka, through @mojaloop/event-sdk's real Span API: each unit of
// work opens a span, audits, logs, opens a child span that logs and finishes, then finishes (5 events of 3 types);
// `units` such units in flight, each at most one span per `spanEveryMs`, as a service's traffic paces it. What the
// SDK hands to the recorder is counted by event id (logged), then looked for on the topics (on Kafka, lost).
// Run in a process of its own per recorder (recorder-load.ts), started and read here.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

/** The part of the SDK's IEventRecorder that Span calls. */
export interface SpanRecorder {
  record(event: SdkEvent, doLog?: boolean): Promise<unknown>;
}

interface SdkEvent {
  id: string;
  metadata?: { event?: { type?: string }; trace?: { traceId?: string } };
}

interface SdkSpan {
  audit(message: object): Promise<unknown>;
  info(message: string): Promise<unknown>;
  getChild(service: string): SdkSpan;
  finish(message?: string): Promise<unknown>;
}

export interface SdkTracer {
  createSpan(service: string, tags: object, recorders: { defaultRecorder: unknown }): SdkSpan;
}

/** Wraps the recorder Span calls: every event it is handed, in order, and how long each record() took to settle. */
export class LoggedEvents {
  /** Per `type/traceId`, the ids in the order they were handed over. */
  readonly byTrace = new Map<string, string[]>();
  readonly ids = new Set<string>();
  readonly latenciesMs: number[] = [];
  failed = 0;
  readonly failures = new Map<string, number>();

  wrap(inner: SpanRecorder): SpanRecorder & { recorder: () => null; preProcess: (e: SdkEvent) => SdkEvent } {
    return {
      recorder: () => null,
      preProcess: (event) => event,
      record: (event, doLog) => {
        const key = `${event.metadata?.event?.type}/${event.metadata?.trace?.traceId}`;
        const list = this.byTrace.get(key);
        if (list) list.push(event.id);
        else this.byTrace.set(key, [event.id]);
        this.ids.add(event.id);
        const started = performance.now();
        const recorded = inner.record(event, doLog);
        recorded.then(
          () => this.latenciesMs.push(performance.now() - started),
          (err: unknown) => {
            this.failed++;
            const what = String((err as Error)?.message ?? err).slice(0, 60);
            this.failures.set(what, (this.failures.get(what) ?? 0) + 1);
          },
        );
        return recorded;
      },
    };
  }
}

/** Units of work in flight until `untilMs` (performance.now()); resolves once each has finished its last span. */
export async function runUnits(
  tracer: SdkTracer,
  recorder: unknown,
  options: { units: number; spanEveryMs: number; untilMs: number },
): Promise<number> {
  let spans = 0;
  const unit = async (n: number): Promise<void> => {
    while (performance.now() < options.untilMs) {
      const started = performance.now();
      const span = tracer.createSpan('span-load', { unit: String(n) }, { defaultRecorder: recorder });
      await span.audit({ unit: n, spans });
      await span.info(`unit ${n} at work`);
      const child = span.getChild('span-load-child');
      await child.info(`unit ${n} child at work`);
      await child.finish();
      await span.finish();
      spans++;
      const rest = started + options.spanEveryMs - performance.now();
      if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    }
  };
  await Promise.all(Array.from({ length: options.units }, (_, n) => unit(n)));
  return spans;
}

export interface TopicCount {
  onKafka: number;
  lost: number;
  /** Records beyond the first of a logged id. */
  duplicates: number;
  /** Type/trace pairs whose events are on Kafka in another order than they were logged (first copies). */
  outOfOrder: number;
}

/** Reads `topics` from the beginning to their current ends and counts the logged events on them. */
export async function countOnTopics(brokers: string[], topics: string[], logged: LoggedEvents): Promise<TopicCount> {
  const kafka = new Kafka({ clientId: `span-load-reader-${process.pid}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, bigint>();
  try {
    for (const topic of topics)
      for (const o of await admin.fetchTopicOffsets(topic))
        if (BigInt(o.high) > 0n) ends.set(`${topic}/${o.partition}`, BigInt(o.high));
  } finally {
    await admin.disconnect();
  }
  const copies = new Map<string, number>();
  const seen = new Map<string, string[]>();
  if (ends.size > 0) {
    const consumer = kafka.consumer({ groupId: `span-load-reader-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`topics not read within 180 s: ${[...ends.keys()]}`)), 180_000);
        consumer
          .run({
            eachBatch: async ({ batch }) => {
              const part = `${batch.topic}/${batch.partition}`;
              const end = ends.get(part) ?? 0n;
              for (const message of batch.messages) {
                if (BigInt(message.offset) >= end) break;
                const value = JSON.parse(message.value!.toString('utf8')) as SdkEvent;
                const count = copies.get(value.id) ?? 0;
                copies.set(value.id, count + 1);
                if (count === 0) {
                  const key = `${value.metadata?.event?.type}/${value.metadata?.trace?.traceId}`;
                  const list = seen.get(key);
                  if (list) list.push(value.id);
                  else seen.set(key, [value.id]);
                }
                if (BigInt(message.offset) >= end - 1n) ends.delete(part);
              }
              if (ends.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
  }
  let onKafka = 0;
  let duplicates = 0;
  for (const id of logged.ids) {
    const count = copies.get(id) ?? 0;
    if (count > 0) onKafka++;
    duplicates += Math.max(0, count - 1);
  }
  let outOfOrder = 0;
  for (const [key, ids] of logged.byTrace) {
    const found = new Set(seen.get(key) ?? []);
    const expected = ids.filter((id) => found.has(id));
    const actual = (seen.get(key) ?? []).filter((id) => logged.ids.has(id));
    if (expected.join() !== actual.join()) outOfOrder++;
  }
  return { onKafka, lost: logged.ids.size - onKafka, duplicates, outOfOrder };
}

export type RecorderKind = 'recorder' | 'direct';

/** What one recorder's process measured; written by recorder-load.ts as one JSON line. */
export interface RecorderLoadResult extends TopicCount {
  recorder: RecorderKind;
  /** Whether our recorder's producer kept a journal, and the Node.js that ran it. */
  journal: boolean;
  node: string;
  logged: number;
  loadSeconds: number;
  eventsPerSecond: number;
  /** record() from the call to its outcome, whether Span awaited it or not. */
  recordP50Ms: number;
  recordP99Ms: number;
  recordMaxMs: number;
  failed: number;
  failures: Record<string, number>;
  /** CPU (user + system) of the load's process over the load and the drain, per logged event. */
  cpuUsPerEvent: number;
  peakRssMiB: number;
  /** How long the drain took after the load (the recorder's close, or node-rdkafka's flush). */
  drainMs: number;
}

/**
 * The KAFKA section Mojaloop's helm charts give a service for event-sdk's direct mode (EVENT_SDK_KAFKA): one
 * node-rdkafka producer config for each of the SDK's types. Shared by the bench's direct-mode load and the tests.
 */
export function chartSdkKafkaConfig(brokers: string[], clientId: string): Record<string, unknown> {
  const config = {
    options: { messageCharset: 'utf8' },
    rdkafkaConf: {
      'metadata.broker.list': brokers.join(','),
      'client.id': clientId,
      event_cb: true,
      dr_cb: true,
      'socket.keepalive.enable': true,
      'queue.buffering.max.ms': 0,
    },
    topicConf: { 'request.required.acks': 'all', partitioner: 'murmur2_random' },
  };
  return { PRODUCER: { EVENT: { LOG: { config }, AUDIT: { config }, TRACE: { config } } } };
}

export interface RecorderLoadOptions {
  recorder: RecorderKind;
  brokers: string[];
  loadMs: number;
  /** The SDK's EVENT_SDK_ASYNC_OVERRIDE_EVENTS: the types Span does not await (default 'log,trace'). */
  asyncOverride?: string;
  /** Our recorder's topics: `<prefix>-<type>`; the direct mode writes topic-event-<type>, always. */
  topicPrefix?: string;
  /** Where the process's stderr goes (default: inherited). */
  stderr?: 'inherit' | 'ignore';
  /** The node that runs it (default this one's); the journal needs one with node:sqlite (22.13+). */
  node?: string;
  /** Our recorder's producer journal: a file of its own (EventProducerOptions.journal). */
  journal?: string;
}

/** A recorder-load.ts process: `started` once its load runs, `result` when it has counted its events on Kafka. */
export function startRecorderLoad(options: RecorderLoadOptions): {
  pid: number;
  started: Promise<void>;
  result: Promise<RecorderLoadResult>;
} {
  const script = fileURLToPath(new URL('../recorder-load.ts', import.meta.url));
  const child = spawn(options.node ?? process.execPath, ['--import', 'tsx', script], {
    env: {
      ...process.env,
      SPAN_LOAD_JOURNAL: options.journal ?? '',
      SPAN_LOAD_RECORDER: options.recorder,
      SPAN_LOAD_BROKERS: options.brokers.join(','),
      SPAN_LOAD_MS: String(options.loadMs),
      SPAN_LOAD_TOPIC_PREFIX: options.topicPrefix ?? `span-load-${Date.now().toString(36)}`,
      EVENT_SDK_ASYNC_OVERRIDE_EVENTS: options.asyncOverride ?? 'log,trace',
      EVENT_SDK_LOG_FILTER: 'none:none',
    },
    stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'],
  });
  let out = '';
  let onStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.includes('STARTED\n')) onStarted();
  });
  const result = new Promise<RecorderLoadResult>((resolve, reject) => {
    // 'close', not 'exit': at 'exit' the last of a chatty child's stdout (the RESULT line) may still be unread.
    child.once('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice('RESULT '.length)) as RecorderLoadResult);
      else
        reject(
          new Error(
            `recorder-load (${options.recorder}) exited ${code ?? signal} without a result:\n${out.slice(-2000)}`,
          ),
        );
    });
  });
  // A load that failed before it started must not leave its caller waiting for the start.
  void result.catch(() => undefined).finally(onStarted);
  return { pid: child.pid!, started, result };
}

/** One line for a report: logged / on Kafka / lost, and the rest. */
export function describeLoad(r: RecorderLoadResult): string {
  const failures = Object.entries(r.failures)
    .map(([what, n]) => `${n}× ${what}`)
    .join('; ');
  return (
    `${r.recorder}: logged ${r.logged}, on Kafka ${r.onKafka}, lost ${r.lost}, duplicates ${r.duplicates}, ` +
    `out of order ${r.outOfOrder}; ${r.eventsPerSecond.toFixed(0)} events/s, record() p50 ${r.recordP50Ms.toFixed(1)} ms ` +
    `p99 ${r.recordP99Ms.toFixed(0)} ms max ${r.recordMaxMs.toFixed(0)} ms, ${r.cpuUsPerEvent.toFixed(0)} µs CPU/event, ` +
    `peak RSS ${r.peakRssMiB.toFixed(0)} MiB, drain ${(r.drainMs / 1000).toFixed(1)} s` +
    (r.failed > 0 ? `; ${r.failed} failed (${failures})` : '')
  );
}
