// The shape of bench/results/<name>.json, and the goals checked against it (pure).
import type { PayloadStats } from './events.js';
import type { RecorderLoadResult } from './span-load.js';
import type { Rounds } from './stats.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemoryMiB: number;
  os: string;
  node: string;
  kafka: string;
  loadAverageStart: number[];
  loadAverageEnd: number[];
}

export interface HttpPoint {
  connections: number;
  /** 2xx answers per second. */
  requestsPerSecond: Rounds;
  p50Ms: Rounds;
  p99Ms: Rounds;
  /** CPU time of the serving process per successful request, in microseconds. */
  cpuUsPerEvent: Rounds;
  /** CPU time of the load generator (the benchmark process) per successful request, in microseconds. */
  clientCpuUsPerEvent: Rounds;
  /** Non-2xx answers, socket errors and timeouts over all rounds. */
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

/** The sidecar's memory at the end of each measured run: its peak RSS, and its V8 heap (from its metrics). */
export interface Memory {
  peakRssMiB: Rounds;
  heapTotalMiB: Rounds;
}

export interface SidecarHttpPoint extends HttpPoint, Memory {
  /** Median of the per-round ratios to L_http. */
  ratioToHttpLimit: number;
  /** Median of the per-round ratios of CPU per request to the bare app's at the same connections. */
  cpuRatioToBare: number;
}

/** The sidecar's `POST /event` while Kafka is away: every event goes to the spool (202). */
export interface SpoolHttpPoint extends HttpPoint, Memory {
  /** Median of the per-round ratios to the sidecar's Kafka path (`POST /event`) at the same connections. */
  ratioToKafkaPath: number;
  /** The same for the CPU time per event. */
  cpuRatioToKafkaPath: number;
}

export interface SpoolFigures {
  /** SPOOL_SYNC and SPOOL_LINGER_MS of the spooling sidecar. */
  sync: string;
  lingerMs: number;
  event: SpoolHttpPoint[];
}

/** Events/s of a sidecar path under load, beside L_kafka; CPU per acknowledged event, and its ratio to kafkajs's. */
interface LoadFigures extends Memory {
  eventsPerSecond: Rounds;
  p50Ms: Rounds;
  p99Ms: Rounds;
  cpuUsPerEvent: Rounds;
  cpuRatioToKafkaClient: number;
  clientCpuUsPerEvent: Rounds;
  ratioToKafkaLimit: number;
}

export interface BatchFigures extends LoadFigures {
  connections: number;
  eventsPerRequest: number;
  requestsPerSecond: Rounds;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

export interface GrpcFigures extends LoadFigures {
  inFlight: number;
  channels: number;
  /** Against the bare grpc-js server with the same client in the same rounds (L_grpc). */
  ratioToGrpcLimit?: number;
  failed: number;
  failures: Record<string, number>;
}

/** L_grpc: a bare grpc-js server whose `Log` answers `accepted` at once, driven by the same client. */
export interface GrpcLimit {
  inFlight: number;
  channels: number;
  callsPerSecond: Rounds;
  p50Ms: Rounds;
  p99Ms: Rounds;
  /** CPU time of the bare server, and of the load generator (the benchmark process), per call. */
  cpuUsPerCall: Rounds;
  clientCpuUsPerCall: Rounds;
  /** What the transport alone reaches, in units of L_kafka: a ceiling of the gRPC goal on this machine. */
  ratioToKafkaLimit: number;
}

/** A closed loop of calls (each caller starts its next call once the last answered), over the rounds. */
export interface LoopFigures {
  inFlight: number;
  /** Successful calls per second. */
  eventsPerSecond: Rounds;
  p50Ms: Rounds;
  p99Ms: Rounds;
  /** CPU time (user + system, every thread) of the sidecar (for raw `send()`, of the kafkajs client), and of the
   *  load generator, per event. */
  cpuUsPerEvent: Rounds;
  clientCpuUsPerEvent: Rounds;
  failed: number;
  failures: Record<string, number>;
}

/** A path at one call in flight, beside raw `send()` measured in the same rounds. */
export interface LatencyPath extends LoopFigures {
  /** Median of the per-round differences of p50 (and p99) to raw `send()`'s, in ms. */
  p50OverSendMs: number;
  p99OverSendMs: number;
}

/** One call in flight: what a service that awaits each event waits. */
export interface LatencyFigures {
  /** Raw kafkajs `send()` of one record (acks=-1, idempotent as the sidecar's producer), one at a time: the floor. */
  send: LoopFigures;
  /** gRPC `Log` through `@mojaloop/event-sdk`'s EventLoggingServiceClient (one channel). */
  grpc?: LatencyPath;
  /** `POST /event` over one keep-alive connection. */
  http?: LatencyPath;
  /** The transports alone, through the same clients (with the `http` phase in the run): no validation, no Kafka. */
  bareGrpc?: LoopFigures;
  bareHttp?: LoopFigures;
}

/** gRPC `Log` through `@mojaloop/event-sdk`, one client, at one number of calls in flight. */
export interface CurvePoint {
  inFlight: number;
  /** The sidecar under test: answers once Kafka has the event. */
  confirmed: LoopFigures;
  /** A second sidecar on the same broker with `ACK_MODE=received`: answers before Kafka has the event. */
  received?: LoopFigures;
  /** Median of the per-round ratios of confirmed to received events/s. */
  ratioToReceived: number;
}

/** gRPC `Log` through `@mojaloop/event-sdk` through a broker SIGKILLed and started again, beside no fault. */
export interface OutageFigures {
  inFlight: number;
  windowS: number;
  /** How long the broker was down before it was started again (its start takes longer). */
  downMs: number;
  steady: LoopFigures;
  outage: LoopFigures;
  /** Median of the per-round ratios of events/s with the outage to without (and of CPU per event). */
  ratio: number;
  cpuRatio: number;
  /** The broker's start after the kill, and from its return to an empty spool. */
  restartMs: Rounds;
  drainMs: Rounds;
}

export interface IdleFigures {
  seconds: number;
  /** CPU time (user + system, every thread) of the idle sidecar over `seconds`. */
  cpuMs: number;
  /** That time as a share of one core, in percent. */
  percentOfCore: number;
}

export interface SoakFigures {
  seconds: number;
  connections: number;
  targetPerSecond: number;
  achievedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Median RSS over the first and the last tenth of the soak. */
  rssStartMiB: number;
  rssEndMiB: number;
  rssMaxMiB: number;
  rssGrowth: number;
  /** [seconds since the start, RSS MiB], at most a few hundred points. */
  rssSeries: [number, number][];
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Time with work to do (total minus idle). */
  busyMs: number;
  topFunctions: ProfileEntry[];
  byModule: { module: string; selfMs: number; share: number }[];
}

export interface RecorderFigures {
  loadSeconds: number;
  killAfterSeconds: number;
  downSeconds: number;
  /** `asyncOverride`: the types Span did not await (EVENT_SDK_ASYNC_OVERRIDE_EVENTS). */
  rows: (RecorderLoadResult & { asyncOverride: string; restartMs: number })[];
}

export interface BenchResults {
  version: 1;
  date: string;
  command: string;
  mode: 'full' | 'quick';
  git: { commit: string; branch: string; dirty: boolean };
  machine: MachineInfo;
  settings: Record<string, unknown>;
  payload: PayloadStats;
  limits: {
    kafka?: {
      concurrency: number;
      batchSize: number;
      eventsPerSecond: Rounds;
      batchP50Ms: Rounds;
      batchP99Ms: Rounds;
      /** CPU time of the kafkajs client (the benchmark process) per event, in microseconds. */
      cpuUsPerEvent: Rounds;
    };
    /** The bare express app at every connection count; L_http is the point at `settings.limitConnections`. */
    http: HttpPoint[];
    grpc?: GrpcLimit;
  };
  sidecar: {
    /** Settings the sidecar ran with (secrets left out). */
    env: Record<string, string>;
    event: SidecarHttpPoint[];
    /** `POST /event` of a second sidecar whose Kafka is away, spooling every event. */
    spool?: SpoolFigures;
    events?: BatchFigures;
    grpc?: GrpcFigures;
    soak?: SoakFigures;
    latency?: LatencyFigures;
    curve?: CurvePoint[];
    outage?: OutageFigures;
    idle?: IdleFigures;
    /** Peak RSS over every phase. */
    peakRssMiB?: number;
    /** Events the sidecar acknowledged (2xx, `accepted`), warm-ups included, and records found in its topic. */
    delivery?: { acknowledged: number; recordsInTopic: number };
  };
  /** The `recorder` phase: EventSdkRecorder and the SDK's direct mode under Span load, a broker killed mid-way. */
  recorders?: RecorderFigures;
  goals: Goal[];
  skipped: { phase: string; reason: string }[];
  profile?: ProfileSummary;
}

export interface Goal {
  name: string;
  target: string;
  measured: string;
  /** null: not measured in this run. */
  pass: boolean | null;
}

export function httpLimit(results: BenchResults, connections: number): HttpPoint | undefined {
  return results.limits.http.find((p) => p.connections === connections);
}
