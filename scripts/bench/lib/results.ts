// The shape of bench/results/<name>.json, and the goals checked against it (pure).
import type { PayloadStats } from './events.js';
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

export interface SidecarHttpPoint extends HttpPoint {
  peakRssMiB: Rounds;
  /** V8 heap size (total) at the end of each measured run, from the sidecar's metrics. */
  heapTotalMiB: Rounds;
  /** Median of the per-round ratios to L_http. */
  ratioToHttpLimit: number;
  /** Median of the per-round ratios of CPU per request to the bare app's at the same connections. */
  cpuRatioToBare: number;
}

/** The sidecar's `POST /event` while Kafka is away: every event goes to the spool (202). */
export interface SpoolHttpPoint extends HttpPoint {
  peakRssMiB: Rounds;
  heapTotalMiB: Rounds;
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

export interface BatchFigures {
  connections: number;
  eventsPerRequest: number;
  eventsPerSecond: Rounds;
  requestsPerSecond: Rounds;
  p50Ms: Rounds;
  p99Ms: Rounds;
  peakRssMiB: Rounds;
  heapTotalMiB: Rounds;
  /** CPU time of the sidecar per acknowledged event, in microseconds. */
  cpuUsPerEvent: Rounds;
  /** Median of the per-round ratios of that CPU time to the raw kafkajs client's per event. */
  cpuRatioToKafkaClient: number;
  clientCpuUsPerEvent: Rounds;
  ratioToKafkaLimit: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

export interface GrpcFigures {
  inFlight: number;
  channels: number;
  eventsPerSecond: Rounds;
  p50Ms: Rounds;
  p99Ms: Rounds;
  peakRssMiB: Rounds;
  heapTotalMiB: Rounds;
  cpuUsPerEvent: Rounds;
  cpuRatioToKafkaClient: number;
  clientCpuUsPerEvent: Rounds;
  ratioToKafkaLimit: number;
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
  /** CPU time of the bare server per call. */
  cpuUsPerCall: Rounds;
  /** CPU time of the load generator (the benchmark process) per call. */
  clientCpuUsPerCall: Rounds;
  /** What the transport alone reaches, in units of L_kafka: a ceiling of the gRPC goal on this machine. */
  ratioToKafkaLimit: number;
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
    /** Peak RSS over every phase. */
    peakRssMiB?: number;
    /** Events the sidecar acknowledged (2xx, `accepted`), warm-ups included, and records found in its topic. */
    delivery?: { acknowledged: number; recordsInTopic: number };
  };
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

const fmt = (n: number | undefined, digits = 2): string =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);

export function httpLimit(results: BenchResults, connections: number): HttpPoint | undefined {
  return results.limits.http.find((p) => p.connections === connections);
}

/** The goals of the sidecar, checked against the figures of this run. */
export function evaluateGoals(results: BenchResults, limitConnections: number): Goal[] {
  const goals: Goal[] = [];
  const at = results.sidecar.event.find((p) => p.connections === limitConnections);
  const lhttpP99 = results.limits.http.find((p) => p.connections === limitConnections)?.p99Ms.median;
  goals.push({
    name: `POST /event at ${limitConnections} connections`,
    target: '>= 0.5 x L_http',
    measured: at ? `${fmt(at.ratioToHttpLimit)} x L_http` : 'n/a',
    pass: at && Number.isFinite(at.ratioToHttpLimit) ? at.ratioToHttpLimit >= 0.5 : null,
  });
  goals.push({
    name: `POST /event p99 at ${limitConnections} connections`,
    target: '<= 50 ms',
    measured: at
      ? `${fmt(at.p99Ms.median, 1)} ms${lhttpP99 === undefined ? '' : ` (the bare express app alone: ${fmt(lhttpP99, 1)} ms)`}`
      : 'n/a',
    pass: at && Number.isFinite(at.p99Ms.median) ? at.p99Ms.median <= 50 : null,
  });
  const spooled = results.sidecar.spool?.event.find((p) => p.connections === limitConnections);
  goals.push({
    name: `spooled ingestion (POST /event at ${limitConnections} connections, Kafka away)`,
    target: '>= 0.5 x the Kafka path',
    measured: spooled ? `${fmt(spooled.ratioToKafkaPath)} x the Kafka path` : 'n/a',
    pass: spooled && Number.isFinite(spooled.ratioToKafkaPath) ? spooled.ratioToKafkaPath >= 0.5 : null,
  });
  const events = results.sidecar.events;
  goals.push({
    name: `POST /events (${events?.eventsPerRequest ?? 100} events per request)`,
    target: '>= 0.7 x L_kafka',
    measured: events ? `${fmt(events.ratioToKafkaLimit)} x L_kafka` : 'n/a',
    pass: events && Number.isFinite(events.ratioToKafkaLimit) ? events.ratioToKafkaLimit >= 0.7 : null,
  });
  const grpc = results.sidecar.grpc;
  goals.push({
    name: 'gRPC Log',
    target: '>= 0.5 x L_kafka',
    measured: grpc
      ? `${fmt(grpc.ratioToKafkaLimit)} x L_kafka${results.limits.grpc ? ` (the bare grpc-js server alone: ${fmt(results.limits.grpc.ratioToKafkaLimit)} x L_kafka)` : ''}`
      : 'n/a',
    pass: grpc && Number.isFinite(grpc.ratioToKafkaLimit) ? grpc.ratioToKafkaLimit >= 0.5 : null,
  });
  const peak = results.sidecar.peakRssMiB;
  goals.push({
    name: 'peak RSS of the sidecar',
    target: '<= 200 MB',
    measured: peak !== undefined ? `${fmt(peak, 0)} MiB (${fmt((peak * 1048576) / 1e6, 0)} MB)` : 'n/a',
    pass: peak !== undefined && Number.isFinite(peak) ? (peak * 1048576) / 1e6 <= 200 : null,
  });
  const soak = results.sidecar.soak;
  goals.push({
    name: `RSS growth over the soak${soak ? ` (${soak.seconds} s)` : ''}`,
    target: '<= 10 %',
    measured: soak ? `${fmt(soak.rssGrowth * 100, 1)} %` : 'n/a',
    pass: soak && Number.isFinite(soak.rssGrowth) ? soak.rssGrowth <= 0.1 : null,
  });
  const delivery = results.sidecar.delivery;
  if (delivery) {
    goals.push({
      name: 'every acknowledged event is in Kafka',
      target: 'records >= acknowledged',
      measured: `${delivery.recordsInTopic} records, ${delivery.acknowledged} acknowledged`,
      pass: delivery.recordsInTopic >= delivery.acknowledged,
    });
  }
  return goals;
}
