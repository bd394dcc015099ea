// The reliability suite's harness: its size, brokers it may kill, the built sidecar CLI as a
// child process, and small bounded waiting helpers. Every process started here is registered
// for clean-up on the test that started it, so a failing assertion still stops it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.js';
export { freePorts };

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SIDECAR_CLI = join(ROOT, 'packages/sidecar/dist/cli.js');
const KAFKA_LOCAL = join(ROOT, 'scripts/kafka-local.sh');

// ------------------------------------------------------------------ size of the run

/**
 * The reduced run (CI) by default; `RELIABILITY_FULL=1` runs the full one. `RELIABILITY_SCALE`
 * multiplies the counts and durations of whichever is chosen (0.5 halves them).
 */
export const FULL = /^(1|true|yes)$/i.test(process.env.RELIABILITY_FULL?.trim() ?? '');
const SCALE = (() => {
  const value = Number(process.env.RELIABILITY_SCALE?.trim() || 1);
  return Number.isFinite(value) && value > 0 ? value : 1;
})();

/** `reduced` or `full`, times RELIABILITY_SCALE (rounded, at least 1). */
export function sized(reduced: number, full: number): number {
  return Math.max(1, Math.round((FULL ? full : reduced) * SCALE));
}

// ------------------------------------------------------------------ small helpers

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns a value other than undefined; fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined> | T | undefined,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < end) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

export const uniqueSuffix = (): string => `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

export function formatMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

// ------------------------------------------------------------------ brokers

export interface BrokerOptions {
  /** `plain`, `scram` or `plain,scram`: adds kafka-local.sh's SASL_PLAINTEXT listener. */
  sasl?: string;
  saslUsername?: string;
  saslPassword?: string;
  /** Short broker session timeouts, so that a broker restarted after SIGKILL is ready in seconds. */
  fastRestart?: boolean;
}

/**
 * A broker of its own, run by scripts/kafka-local.sh in a fresh work dir under the temp dir
 * (`kafka-reliability-*`). Ports come from RELIABILITY_BROKER_PORTS (`broker,controller[,sasl]`)
 * when set, else free ports. Stopped (and its data removed) after the test.
 */
export class ReliabilityBroker {
  readonly workDir: string;
  readonly brokers: string[] = [];
  readonly saslBrokers: string[] = [];
  private readonly env: NodeJS.ProcessEnv;
  private readonly portsConfigured: boolean;
  private everStarted = false;

  private constructor(workDir: string, env: NodeJS.ProcessEnv, portsConfigured: boolean) {
    this.workDir = workDir;
    this.env = env;
    this.portsConfigured = portsConfigured;
  }

  static async create(t: TestContext, options: BrokerOptions = {}): Promise<ReliabilityBroker> {
    const configured = process.env.RELIABILITY_BROKER_PORTS?.split(',')
      .map((p) => Number(p.trim()))
      .filter((p) => Number.isInteger(p) && p > 0);
    const workDir = mkdtempSync(join(tmpdir(), 'kafka-reliability-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KAFKA_WORK_DIR: workDir,
      KAFKA_START_TIMEOUT: process.env.KAFKA_START_TIMEOUT ?? '180',
      KAFKA_STOP_TIMEOUT: '10',
    };
    delete env.KAFKA_SASL;
    if (options.sasl) {
      env.KAFKA_SASL = options.sasl;
      if (options.saslUsername) env.KAFKA_SASL_USERNAME = options.saslUsername;
      if (options.saslPassword) env.KAFKA_SASL_PASSWORD = options.saslPassword;
    }
    if (options.fastRestart) {
      // The controller otherwise waits for the killed broker's old session (9 s by default) to expire.
      env.KAFKA_EXTRA_PROPERTIES = [
        'broker.session.timeout.ms=2000',
        'broker.heartbeat.interval.ms=500',
        process.env.KAFKA_EXTRA_PROPERTIES ?? '',
      ]
        .filter(Boolean)
        .join(';');
    }
    const portsConfigured = configured !== undefined && configured.length >= 2;
    const broker = new ReliabilityBroker(workDir, env, portsConfigured);
    await broker.usePorts(portsConfigured ? configured : await freePorts(3));
    t.after(async () => {
      await broker.run('stop').catch(() => broker.kill());
      rmSync(workDir, { recursive: true, force: true });
    });
    return broker;
  }

  /** broker, controller and (when missing, a free one) SASL port. */
  private async usePorts(given: number[]): Promise<void> {
    const ports = [...given];
    if (ports.length < 3) ports.push((await freePorts(4)).find((p) => !ports.includes(p))!);
    this.env.KAFKA_PORT = String(ports[0]);
    this.env.KAFKA_CONTROLLER_PORT = String(ports[1]);
    if (this.env.KAFKA_SASL) this.env.KAFKA_SASL_PORT = String(ports[2]);
    this.brokers.splice(0, this.brokers.length, `127.0.0.1:${ports[0]}`);
    this.saslBrokers.splice(0, this.saslBrokers.length, ...(this.env.KAFKA_SASL ? [`127.0.0.1:${ports[2]}`] : []));
  }

  private run(command: 'start' | 'stop'): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(KAFKA_LOCAL, [command], { env: this.env, timeout: 240_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`kafka-local.sh ${command}: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stderr),
      );
    });
  }

  /** Starts (or restarts, keeping its data); resolves with the time it took in ms. */
  async start(): Promise<number> {
    const started = Date.now();
    try {
      await this.run('start');
    } catch (err) {
      // Ports picked free a moment ago may meanwhile be some client's ephemeral port (after a load
      // test, thousands are in use): the first start tries once more on others.
      if (this.everStarted || this.portsConfigured || !/already in use/i.test(String(err))) throw err;
      await this.usePorts(await freePorts(3));
      await this.run('start');
    }
    this.everStarted = true;
    return Date.now() - started;
  }

  async stop(): Promise<void> {
    await this.run('stop');
  }

  pid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.workDir, 'kafka.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** SIGKILL to the broker's process group (kafka-local.sh starts it in its own session); waits until it is gone. */
  async kill(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined || !processAlive(pid)) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await until('broker gone after SIGKILL', 60_000, () => (processAlive(pid) ? undefined : true), 50);
  }
}

/** Alive and not a zombie. */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** Resident set size of a process in bytes (Linux), or undefined when it cannot be read. */
function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ the sidecar as a process

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface LogLine {
  level?: number;
  msg?: string;
  [key: string]: unknown;
}

export interface SidecarExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface SidecarProcessOptions {
  /**
   * Environment of the sidecar (PATH is added); HTTP_HOST/HTTP_PORT default to 127.0.0.1:0. The
   * spool is on, as by default; without SPOOL_DIR the sidecar gets a fresh directory of its own
   * rather than the default one in the user's state directory, which only one sidecar at a time may
   * hold. `SPOOL_DIR: 'off'` runs it without a spool.
   */
  env: Record<string, string>;
  /** Strings that must never be written by the sidecar; `leaks()` tells which were seen. */
  secrets?: string[];
  /** Wait for the "event-sidecar started" line (default true). */
  waitStarted?: boolean;
  startTimeoutMs?: number;
}

/**
 * `node packages/sidecar/dist/cli.js` with a given environment. Keeps the last log lines, counts
 * lines by level, watches for secrets in stdout and stderr, samples its RSS, and records how it
 * exited. Killed (SIGKILL) after the test if still running.
 */
export class SidecarProcess {
  readonly child: ChildProcess;
  /** The environment it runs with (ports and spool directory included): another start with it takes over. */
  readonly env: Record<string, string>;
  readonly exited: Promise<SidecarExit>;
  exit: SidecarExit | undefined;
  httpPort = 0;
  /** gRPC is a core transport: every sidecar serves it, and start fails when it does not. */
  grpcPort = 0;
  /** Transports the sidecar serves once started (`http`, `grpc`). */
  transports: string[] = [];
  readonly levels = new Map<number, number>();
  private readonly tail: LogLine[] = [];
  private stdoutRest = '';
  private stderrText = '';
  private readonly secrets: string[];
  private readonly seen = new Set<string>();
  private readonly scanTail = { stdout: '', stderr: '' };
  private readonly waiters: Array<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  private rssTimer: NodeJS.Timeout | undefined;
  maxRss = 0;

  private constructor(options: SidecarProcessOptions, ports: { http: number; grpc: number }) {
    this.secrets = (options.secrets ?? []).filter((s) => s.length > 0);
    this.httpPort = Number(options.env.HTTP_PORT ?? ports.http);
    this.grpcPort = Number(options.env.GRPC_PORT ?? ports.grpc);
    this.env = {
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(this.httpPort),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(this.grpcPort),
      ...options.env,
    };
    this.child = spawn(process.execPath, [SIDECAR_CLI], {
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.scan('stderr', chunk);
      // stderr is for start-up problems and crashes: small, kept whole up to a bound.
      if (this.stderrText.length < 1_000_000) this.stderrText += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        this.stopRssSampling();
      });
      // Resolved at 'close', once its output is read to the end, so that a test reading the last lines sees them.
      this.child.once('close', () => resolve(this.exit!));
    });
  }

  static async start(t: TestContext, options: SidecarProcessOptions): Promise<SidecarProcess> {
    const [http, grpc] = await freePorts(2);
    const env = { ...options.env };
    if (env.SPOOL_DIR === undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'sidecar-spool-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      env.SPOOL_DIR = dir;
    }
    const sidecar = new SidecarProcess({ ...options, env }, { http: http!, grpc: grpc! });
    t.after(async () => {
      if (sidecar.exit) return;
      sidecar.child.kill('SIGKILL');
      await sidecar.exited;
    });
    if (options.waitStarted !== false) await sidecar.waitStarted(options.startTimeoutMs);
    return sidecar;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /**
   * Resolves once the sidecar serves HTTP (GET /live answers 200: it listens only after Kafka is
   * connected, or at once with a spool) and its gRPC port accepts connections; fails when either
   * is missing at the deadline. Readiness is probed rather than read from the log so that LOG_LEVEL
   * can stay at warn under load.
   */
  async waitStarted(timeoutMs = 90_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    const failIfExited = () => {
      if (this.exit)
        throw new Error(`the sidecar exited (${this.exit.code ?? this.exit.signal}) during start\n${this.describe()}`);
    };
    while (true) {
      failIfExited();
      if (Date.now() > end)
        throw new Error(`the sidecar did not serve HTTP within ${timeoutMs} ms\n${this.describe()}`);
      const ok = await fetch(`${this.url}/live`, { signal: AbortSignal.timeout(2000) }).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(100);
    }
    while (!(await portAccepts(this.grpcPort))) {
      failIfExited();
      if (Date.now() > end)
        throw new Error(
          `the sidecar serves HTTP but not gRPC on port ${this.grpcPort} within ${timeoutMs} ms\n${this.describe()}`,
        );
      await sleep(100);
    }
    this.transports = ['http', 'grpc'];
    this.startRssSampling();
  }

  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    const found = this.tail.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching log line in ${timeoutMs} ms\n${this.describe()}`)),
        timeoutMs,
      );
      void this.exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`the sidecar exited (${exit.code ?? exit.signal}) first\n${this.describe()}`));
      });
      this.waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  private onStdout(chunk: string): void {
    this.scan('stdout', chunk);
    const lines = (this.stdoutRest + chunk).split('\n');
    this.stdoutRest = lines.pop() ?? '';
    // A line longer than this is not a log line we need whole.
    if (this.stdoutRest.length > 4_000_000) this.stdoutRest = '';
    for (const text of lines) {
      if (!text.trim()) continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { text };
      }
      const level = typeof line.level === 'number' ? line.level : 0;
      this.levels.set(level, (this.levels.get(level) ?? 0) + 1);
      this.tail.push(line);
      if (this.tail.length > 400) this.tail.splice(0, this.tail.length - 300);
      for (const waiter of [...this.waiters])
        if (waiter.match(line)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
    }
  }

  /** Looks for secrets across chunk boundaries. */
  private scan(stream: 'stdout' | 'stderr', chunk: string): void {
    if (this.secrets.length === 0) return;
    const text = this.scanTail[stream] + chunk;
    for (const secret of this.secrets) if (text.includes(secret)) this.seen.add(secret);
    const keep = Math.max(...this.secrets.map((s) => s.length));
    this.scanTail[stream] = text.slice(-keep);
  }

  /** The secrets (from the options) that appeared in stdout or stderr. */
  leaks(): string[] {
    return [...this.seen];
  }

  stderr(): string {
    return this.stderrText;
  }

  lastLogs(count = 20): LogLine[] {
    return this.tail.slice(-count);
  }

  /** Number of log lines at or above `level` (pino: 50 error, 60 fatal). */
  linesAtLeast(level: number): number {
    let total = 0;
    for (const [l, n] of this.levels) if (l >= level) total += n;
    return total;
  }

  describe(): string {
    const logs = this.lastLogs(15)
      .map((l) => JSON.stringify(l).slice(0, 600))
      .join('\n');
    return `sidecar pid ${this.child.pid} ${this.exit ? `exited ${this.exit.code ?? this.exit.signal}` : 'running'}\nstderr: ${this.stderrText.slice(-2000)}\nlast logs:\n${logs}`;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  private startRssSampling(): void {
    const sample = () => {
      const rss = rssBytes(this.pid);
      if (rss !== undefined && rss > this.maxRss) this.maxRss = rss;
    };
    sample();
    this.rssTimer = setInterval(sample, 100);
    this.rssTimer.unref();
  }

  private stopRssSampling(): void {
    if (this.rssTimer) clearInterval(this.rssTimer);
    this.rssTimer = undefined;
  }

  /** Current RSS in bytes. */
  rss(): number {
    return rssBytes(this.pid) ?? 0;
  }

  /** Resets the recorded peak (after warm-up). */
  resetMaxRss(): void {
    this.maxRss = this.rss();
  }
}

/** The environment every suite's sidecar starts from: a topic of its own, created at start. */
export function baseSidecarEnv(
  brokers: string[],
  topic: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_CLIENT_ID: `reliability-${uniqueSuffix()}`,
    EVENT_TOPIC: topic,
    KAFKA_CREATE_TOPIC_PARTITIONS: '4',
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '15000',
    ...extra,
  };
}

/** Brokers of the shared broker of the run (scripts/with-kafka.sh sets KAFKA_BROKERS). */
export function sharedBrokers(): string[] {
  const value = process.env.KAFKA_BROKERS?.trim();
  if (!value) throw new Error('KAFKA_BROKERS is not set: run the reliability suite through scripts/with-kafka.sh');
  return value.split(',').map((b) => b.trim());
}

/** A line for the test output (node:test diagnostics) and the console, so figures survive any reporter. */
export function report(t: TestContext, text: string): void {
  for (const line of text.split('\n')) t.diagnostic(line);
}
