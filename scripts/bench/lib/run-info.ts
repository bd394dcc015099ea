// What a run records about itself: the machine, the commit, the command that reproduces it, the sidecar's settings.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from './options.js';
import type { MachineInfo } from './results.js';

const MiB = 1024 * 1024;

export function git(repo: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    totalMemoryMiB: Math.round(os.totalmem() / MiB),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    // scripts/kafka-local.sh runs KAFKA_VERSION, 4.4.0 by default; an external broker should set it too.
    kafka: process.env.KAFKA_VERSION?.trim() || '4.4.0',
    loadAverageStart: os.loadavg(),
    loadAverageEnd: [],
  };
}

/** The command that reproduces this run, BENCH_* settings included. */
export function commandLine(argv: readonly string[]): string {
  const env = Object.entries(process.env)
    .filter(([k, v]) => k.startsWith('BENCH_') && v)
    .map(([k, v]) => `${k}=${v}`);
  return [...env, 'npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
}

/** Settings of the sidecar worth recording (its own variables, no secrets, no broker-script ones). */
export function sidecarSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  const localScript =
    /^KAFKA_(PORT|CONTROLLER_PORT|WORK_DIR|CACHE_DIR|VERSION|START_TIMEOUT|STOP_TIMEOUT|HEAP_OPTS|EXTRA_PROPERTIES)$/;
  const own = /^(HTTP_|GRPC_|KAFKA_|EVENT_|PARTITION_|PRODUCER_|PUBLISH_|MAX_|ACK_MODE$|LOG_LEVEL$|SHUTDOWN_)/;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (v === undefined || !own.test(k) || localScript.test(k)) continue;
    // Secrets, and file paths (of this machine, not of the sidecar's behaviour), are only noted as set.
    out[k] = /PASSWORD|TOKEN|SECRET|_FILE|_PATH/.test(k) ? '(set)' : v;
  }
  return out;
}

export function newestProfile(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

/** The settings of a run, as recorded in its results (not where its files go). */
export function runSettings(options: BenchOptions): Record<string, unknown> {
  const {
    quick: _quick,
    name: _name,
    outDir: _outDir,
    spoolBase: _spool,
    sidecarCli: _cli,
    profile,
    ...settings
  } = options;
  return { ...settings, kafkaIdempotent: true, acks: -1, profiled: profile };
}
