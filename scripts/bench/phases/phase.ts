// What every phase of the benchmark is: a module that prepares what it needs, warms it up once, measures one step
// (or a few) per round through `run(ctx)`, and writes its figures into the results; the order of a round's steps,
// and the release of what a run started. The orchestrator (index.ts) owns the options, the rounds, the files.
import { rmSync } from 'node:fs';
import type { EventMessage } from '@event-sidecar/contract';
import type { Message } from 'kafkajs';
import type { NodeChild } from '../lib/children.js';
import type { RawKafka } from '../lib/kafka-load.js';
import type { BenchOptions, Phase } from '../lib/options.js';
import type { BenchResults } from '../lib/results.js';
import type { Failures } from './measure.js';

export interface Payloads {
  events: EventMessage[];
  /** Each event serialized once, as HTTP bodies and Kafka values. */
  json: Buffer[];
  /** `POST /event` bodies: autocannon copies the request set per connection, so 64 distinct events are plenty. */
  singleBodies: Buffer[];
  /** `POST /events` bodies, `eventsPerRequest` events each. */
  batchBodies: Buffer[];
  /** L_kafka's batches of `kafkaBatch` messages, keyed by trace id as the sidecar keys them. */
  kafkaBatches: Message[][];
}

/** A process the benchmark started and loads: the sidecar, or the bare server. */
export interface Served {
  child: NodeChild;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** 0 when it serves no gRPC. */
  grpcPort: number;
}

/** What the run releases at its end, whatever happened. */
export interface Resources {
  /** Clients to close first (gRPC channels, ...). */
  closers: (() => void)[];
  /** Processes to stop (in parallel), with their grace period. */
  children: { child: NodeChild; graceMs?: number }[];
  dirs: string[];
  topics: string[];
}

export interface BenchContext {
  readonly options: BenchOptions;
  readonly repo: string;
  readonly benchDir: string;
  readonly outDir: string;
  readonly brokers: readonly string[];
  readonly payloads: Payloads;
  /** The benchmark's own kafkajs client: admin, L_kafka, raw send(). */
  readonly kafka: RawKafka;
  readonly topics: { readonly raw: string; readonly sidecar: string };
  readonly resources: Resources;
  /** Failed requests of every warm-up before round 1, logged once. */
  readonly warmupFailures: Failures;
  log(message: string): void;
  /** The phases left out of the run, with the reason, as the results record them. */
  readonly skipped: { phase: string; reason: string }[];
  /** Asked for on the command line. */
  selected(phase: Phase): boolean;
  /** Asked for, enabled and not skipped. */
  running(phase: Phase): boolean;
  /** Leaves phases out of the run, with the reason written in the results. */
  skip(phases: Phase[], reason: string): void;
  /** The raw topic (for L_kafka and raw send()), created on first use. */
  rawTopic(): Promise<string>;
  /** The sidecar under test (`ACK_MODE=confirmed`), started once for every phase that needs it. */
  sidecar?: Served;
  /** The bare express (and gRPC) process, the HTTP and gRPC limits; started by the `http` phase. */
  bare?: Served;
  /** Events the sidecar under test acknowledged (2xx, `accepted`), warm-ups included; checked against its topic. */
  acknowledged: number;
}

/** One measurement of a round: it runs once per round, in an order the orchestrator alternates. */
export interface Step {
  name: string;
  /** Steps at the same connection count (or calls in flight) run next to each other; others run first. */
  connections?: number;
  /** Measures once; a one-line summary for the log. */
  run(ctx: BenchContext): Promise<string>;
}

export interface BenchPhase {
  readonly name: Phase;
  /** Runs against the sidecar under test: skipped when it could not start. */
  readonly needsSidecar?: boolean;
  /** False leaves the phase out without a reason to record (e.g. `--soak=0`). */
  enabled?(options: BenchOptions): boolean;
  /** Starts and checks what the phase needs beyond the shared sidecar; calls `ctx.skip` when it cannot run. */
  prepare?(ctx: BenchContext): Promise<void>;
  /** The one warm-up before round 1 (JIT, heap growth, connections), so that round 1 is not slowest by design. */
  warmUp?(ctx: BenchContext, durationS: number): Promise<void>;
  /** The steps of one round. */
  steps?(ctx: BenchContext): Step[];
  /**
   * After the rounds, in the report order (limits first): writes the phase's figures into `results`, reading the
   * figures of phases reported before it for paired ratios. A phase measured once (soak, idle) measures here.
   */
  report?(ctx: BenchContext, results: BenchResults): Promise<void> | void;
}

/** The order of the steps of a round (odd rounds run it backwards): a phase next to its limit. */
const STEP_ORDER: readonly Phase[] = [
  'kafka',
  'events',
  'grpc',
  'latency',
  'curve',
  'outage',
  'http',
  'event',
  'spool',
];

/** The steps of one round: steps without a connection count first, then those at each count side by side. */
export function roundSteps(phases: readonly BenchPhase[], ctx: BenchContext): Step[] {
  const ordered = [...phases].sort((a, b) => STEP_ORDER.indexOf(a.name) - STEP_ORDER.indexOf(b.name));
  // Array.prototype.sort is stable: within one connection count, the phase order holds.
  return ordered.flatMap((p) => p.steps?.(ctx) ?? []).sort((a, b) => (a.connections ?? -1) - (b.connections ?? -1));
}

/** Clients first, then the processes (in parallel, each given its grace period), directories, topics, Kafka. */
export async function release(resources: Resources, kafka: RawKafka, log: (message: string) => void): Promise<void> {
  for (const close of resources.closers) {
    try {
      close();
    } catch {
      // Closing a client that never connected: nothing to release.
    }
  }
  await Promise.allSettled(resources.children.map(({ child, graceMs }) => child.stop(graceMs)));
  for (const dir of resources.dirs) rmSync(dir, { recursive: true, force: true });
  await kafka
    .deleteTopics(resources.topics)
    .catch((err: unknown) => log(`could not delete the topics: ${(err as Error).message}`));
  await kafka.close().catch(() => undefined);
}
