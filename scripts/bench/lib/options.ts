// Settings of a benchmark run, from the command line (`--quick`, `--rounds=5`, ...) and BENCH_* variables; read
// once, checked (every problem listed), then frozen. Command-line flags win over the environment.
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';

export const PHASES = [
  'kafka',
  'http',
  'event',
  'spool',
  'events',
  'grpc',
  'latency',
  'curve',
  'budget',
  'outage',
  'idle',
  'recorder',
  'soak',
] as const;
export type Phase = (typeof PHASES)[number];

/** The settings of a run (frozen); see USAGE and bench/README.md for what each means. */
export type BenchOptions = ReturnType<typeof parseOptions>;

export const USAGE = `usage: npm run bench -- [--quick] [--profile] [--rounds=N] [--duration=S] [--warmup=S] [--soak=S]
                       [--idle=S] [--connections=1,16,64,256] [--in-flight=1,4,16,64]
                       [--phases=${PHASES.join(',')}] [--out=DIR] [--name=NAME]
Environment: BENCH_ROUNDS, BENCH_DURATION_SECONDS, BENCH_WARMUP_SECONDS, BENCH_SOAK_SECONDS, BENCH_CONNECTIONS,
BENCH_BATCH_CONNECTIONS (16), BENCH_BATCH_EVENTS (100), BENCH_KAFKA_CONCURRENCY (4),
BENCH_GRPC_IN_FLIGHT (64), BENCH_GRPC_CHANNELS (4), BENCH_IDLE_SECONDS (20), BENCH_CURVE_IN_FLIGHT (1,4,16,64),
BENCH_PARTITIONS (12), BENCH_OUT_DIR, BENCH_SIDECAR_CLI,
BENCH_SPOOL_DIR (the disk the spool phase writes to; default the system temp dir),
BENCH_JOURNAL_NODE (a node with node:sqlite: the recorder phase then measures the producer's journal too);
KAFKA_BROKERS (set by scripts/with-kafka.sh). Other variables (PRODUCER_LINGER_MS, ...) reach the sidecar.`;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      soak: { type: 'string' },
      idle: { type: 'string' },
      'in-flight': { type: 'string' },
      connections: { type: 'string' },
      phases: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
    },
  });
  if (values.help) throw new UsageRequested();
  const quick = values.quick ?? false;
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const int = (label: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      problems.push(`${label} must be an integer >= ${min}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const list = (label: string, raw: string | undefined, fallback: readonly number[]): number[] => {
    if (raw === undefined) return [...fallback];
    const items = raw.split(',').map((s) => Number(s.trim()));
    if (items.length === 0 || items.some((n) => !Number.isInteger(n) || n < 1)) {
      problems.push(`${label} must be a comma-separated list of integers >= 1, got "${raw}"`);
      return [...fallback];
    }
    return [...new Set(items)].sort((a, b) => a - b);
  };
  const phasesRaw = values.phases ?? read('BENCH_PHASES');
  const phases = phasesRaw ? phasesRaw.split(',').map((s) => s.trim()) : [...PHASES];
  for (const p of phases) {
    if (!(PHASES as readonly string[]).includes(p))
      problems.push(`unknown phase "${p}" (phases: ${PHASES.join(', ')})`);
  }
  const options = {
    quick,
    /** The result files: `<outDir>/<name>.json|md|svg`. */
    name: values.name ?? (quick ? 'quick' : 'latest'),
    outDir: values.out ?? read('BENCH_OUT_DIR') ?? 'bench/results',
    rounds: int('rounds', values.rounds ?? read('BENCH_ROUNDS'), 3, 1),
    durationS: int('duration', values.duration ?? read('BENCH_DURATION_SECONDS'), quick ? 3 : 10, 1),
    warmupS: int('warmup', values.warmup ?? read('BENCH_WARMUP_SECONDS'), quick ? 1 : 2, 0),
    soakS: int('soak', values.soak ?? read('BENCH_SOAK_SECONDS'), quick ? 30 : 300, 0),
    connections: list(
      'connections',
      values.connections ?? read('BENCH_CONNECTIONS'),
      [1, 16, 64, 256],
    ) as readonly number[],
    /** Connections at which L_http is taken (and the goal of `POST /event` checked). */
    limitConnections: 64,
    batchConnections: int('BENCH_BATCH_CONNECTIONS', read('BENCH_BATCH_CONNECTIONS'), 16, 1),
    eventsPerRequest: int('BENCH_BATCH_EVENTS', read('BENCH_BATCH_EVENTS'), 100, 1),
    kafkaBatch: 100,
    kafkaConcurrency: int('BENCH_KAFKA_CONCURRENCY', read('BENCH_KAFKA_CONCURRENCY'), 4, 1),
    grpcInFlight: int('BENCH_GRPC_IN_FLIGHT', read('BENCH_GRPC_IN_FLIGHT'), 64, 1),
    grpcChannels: int('BENCH_GRPC_CHANNELS', read('BENCH_GRPC_CHANNELS'), 4, 1),
    curveInFlight: list(
      'in-flight',
      values['in-flight'] ?? read('BENCH_CURVE_IN_FLIGHT'),
      [1, 4, 16, 64],
    ) as readonly number[],
    idleS: int('idle', values.idle ?? read('BENCH_IDLE_SECONDS'), 20, 0),
    partitions: int('BENCH_PARTITIONS', read('BENCH_PARTITIONS'), 12, 4),
    phases: phases.filter((p): p is Phase => (PHASES as readonly string[]).includes(p)) as readonly Phase[],
    /** Where the sidecars' spools go (a directory made inside it for each, removed after the run). */
    spoolBase: read('BENCH_SPOOL_DIR') ?? tmpdir(),
    profile: values.profile ?? false,
    sidecarCli: read('BENCH_SIDECAR_CLI') ?? 'packages/sidecar/dist/cli.js',
  };
  if (problems.length > 0) throw new Error(`invalid benchmark settings:\n  ${problems.join('\n  ')}\n${USAGE}`);
  return Object.freeze(options) as Readonly<typeof options>;
}

export class UsageRequested extends Error {
  constructor() {
    super(USAGE);
  }
}
