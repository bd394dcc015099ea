// What every phase of the benchmark is: a module that prepares what it needs, warms it up once, measures one step
// (or a few) per round through `run(ctx)`, and writes its figures into the results. The orchestrator (index.ts)
// owns the options, the rounds and their order, the report and the files; the phases share one context.
import type { EventMessage } from '@event-sidecar/contract';
import type { Message } from 'kafkajs';
import type { NodeChild } from '../lib/children.js';
import type { HttpLoadResult } from '../lib/http-load.js';
import type { RawKafka } from '../lib/kafka-load.js';
import type { BenchOptions, Phase } from '../lib/options.js';
import type { BenchResults } from '../lib/results.js';

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

/** Failures of a phase summed over its rounds and warm-ups. */
export class Failures {
  non2xx = 0;
  errors = 0;
  timeouts = 0;
  statusCodes: Record<string, number> = {};
  add(r: HttpLoadResult): void {
    this.non2xx += r.non2xx;
    this.errors += r.errors;
    this.timeouts += r.timeouts;
    for (const [code, count] of Object.entries(r.statusCodes))
      this.statusCodes[code] = (this.statusCodes[code] ?? 0) + count;
  }
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
