// A broker of a phase's own, to kill (the outage and recorder phases): scripts/kafka-local.sh in a work dir of its own
// on free ports, with short broker session timeouts so that a broker restarted after SIGKILL on the same data is
// ready in seconds. The run's shared broker is never the one killed.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './children.js';

export class OwnBroker {
  readonly brokers: string[];
  private constructor(
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly workDir: string,
  ) {
    this.brokers = [`127.0.0.1:${env.KAFKA_PORT}`];
  }

  static async create(repo: string): Promise<OwnBroker> {
    const workDir = mkdtempSync(join(tmpdir(), 'kafka-bench-own-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KAFKA_WORK_DIR: workDir,
      KAFKA_PORT: String(await freePort()),
      KAFKA_CONTROLLER_PORT: String(await freePort()),
      KAFKA_START_TIMEOUT: process.env.KAFKA_START_TIMEOUT ?? '180',
      KAFKA_STOP_TIMEOUT: '10',
      KAFKA_EXTRA_PROPERTIES: 'broker.session.timeout.ms=2000;broker.heartbeat.interval.ms=500',
    };
    delete env.KAFKA_SASL;
    return new OwnBroker(join(repo, 'scripts/kafka-local.sh'), env, workDir);
  }

  private run(command: 'start' | 'stop'): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(this.script, [command], { env: this.env, timeout: 240_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`kafka-local.sh ${command}: ${err.message}\n${stdout}\n${stderr}`)) : resolve(),
      );
    });
  }

  /** Starts (or restarts, keeping its data); resolves with the time it took in ms, once it serves requests. */
  async start(): Promise<number> {
    const started = Date.now();
    await this.run('start');
    return Date.now() - started;
  }

  private pid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.workDir, 'kafka.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** SIGKILL to the broker's process group (kafka-local.sh starts it in a session of its own), until it is gone. */
  async kill(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    this.killNow();
    for (let i = 0; i < 600 && alive(pid); i++) await sleep(50);
  }

  /** Synchronous, for a run stopped by a signal. */
  killNow(): void {
    const pid = this.pid();
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  async stop(): Promise<void> {
    await this.run('stop').catch(() => this.kill());
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
