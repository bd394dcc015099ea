// A broker of its own for a test that stops and restarts Kafka, run by scripts/kafka-local.sh on
// free ports with its own work dir (removed after the test).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/kafka-local.sh', import.meta.url));

export interface DedicatedBroker {
  brokers: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGKILL of the broker (a crash); `start()` brings it back on the same data. */
  kill(): void;
  /**
   * SIGSTOP of the broker: its connections stay open and every request waits for an answer, as from a broker that
   * hangs; `resume()` (SIGCONT) lets it answer them. Resumed after the test in any case.
   */
  pause(): void;
  resume(): void;
}

export interface DedicatedBrokerOptions {
  /** Prefix of the work dir's name. */
  prefix?: string;
  /** KAFKA_EXTRA_PROPERTIES, e.g. faster session expiry for a restart after a kill. */
  extraProperties?: string;
}

export async function dedicatedBroker(t: TestContext, options: DedicatedBrokerOptions = {}): Promise<DedicatedBroker> {
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const workDir = mkdtempSync(join(tmpdir(), options.prefix ?? 'kafka-sidecar-it-'));
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_WORK_DIR: workDir,
    // A second broker beside the suite's: keep it small.
    KAFKA_HEAP_OPTS: process.env.KAFKA_HEAP_OPTS ?? '-Xms256m -Xmx384m',
    ...(options.extraProperties === undefined ? {} : { KAFKA_EXTRA_PROPERTIES: options.extraProperties }),
  };
  const run = (command: string) =>
    new Promise<void>((resolve, reject) => {
      execFile(SCRIPT, [command], { env, timeout: 180_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`kafka-local.sh ${command} failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(),
      );
    });
  const signal = (name: NodeJS.Signals) => {
    const pid = Number(readFileSync(join(workDir, 'kafka.pid'), 'utf8').trim());
    // The broker leads its own process group.
    try {
      process.kill(-pid, name);
    } catch {
      process.kill(pid, name);
    }
  };
  let paused = false;
  const resume = () => {
    if (!paused) return;
    paused = false;
    signal('SIGCONT');
  };
  t.after(async () => {
    // A paused broker would not stop before kafka-local.sh's bound.
    resume();
    await run('stop').catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  });
  return {
    brokers: [`127.0.0.1:${port}`],
    start: () => run('start'),
    stop: () => run('stop'),
    kill: () => signal('SIGKILL'),
    pause: () => {
      paused = true;
      signal('SIGSTOP');
    },
    resume,
  };
}
