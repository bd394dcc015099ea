// A broker of the benchmark's own, for a phase that kills it (the other phases share the run's broker): run by
// scripts/kafka-local.sh on free ports in a temporary work dir, SIGKILLed and started again on the same data.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './children.js';

export class OwnBroker {
  private constructor(
    readonly brokers: readonly string[],
    readonly workDir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly script: string,
  ) {}

  /** Starts a broker; resolves once it serves requests. */
  static async start(repo: string): Promise<OwnBroker> {
    const [port, controller] = [await freePort(), await freePort()];
    const workDir = mkdtempSync(join(tmpdir(), 'bench-broker-'));
    const env = {
      ...process.env,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controller),
      KAFKA_WORK_DIR: workDir,
      // Quick expiry of the killed broker's own session, so that it is back in seconds.
      KAFKA_EXTRA_PROPERTIES: 'broker.session.timeout.ms=2000;broker.heartbeat.interval.ms=500',
    };
    const broker = new OwnBroker([`127.0.0.1:${port}`], workDir, env, join(repo, 'scripts/kafka-local.sh'));
    await broker.start();
    return broker;
  }

  /** Starts it (again); resolves with the milliseconds it took to serve requests. */
  start(): Promise<number> {
    const began = Date.now();
    return new Promise((resolve, reject) =>
      execFile(this.script, ['start'], { env: this.env, timeout: 180_000 }, (err, stdout, stderr) =>
        err
          ? reject(new Error(`kafka-local.sh start failed: ${err.message}\n${stdout}${stderr}`))
          : resolve(Date.now() - began),
      ),
    );
  }

  /** SIGKILL of the broker's process group: a crash. */
  kill(): void {
    const pid = Number(readFileSync(join(this.workDir, 'kafka.pid'), 'utf8').trim());
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
