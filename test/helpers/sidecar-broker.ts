// A broker of its own for a test that stops and restarts Kafka, run by scripts/kafka-local.sh on
// free ports with its own work dir (removed after the test).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/kafka-local.sh', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface DedicatedBroker {
  brokers: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function dedicatedBroker(t: TestContext): Promise<DedicatedBroker> {
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const workDir = mkdtempSync(join(tmpdir(), 'kafka-sidecar-it-'));
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_WORK_DIR: workDir,
    // A second broker beside the suite's: keep it small.
    KAFKA_HEAP_OPTS: process.env.KAFKA_HEAP_OPTS ?? '-Xms256m -Xmx384m',
  };
  const run = (command: string) =>
    new Promise<void>((resolve, reject) => {
      execFile(SCRIPT, [command], { env, timeout: 180_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`kafka-local.sh ${command} failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(),
      );
    });
  t.after(async () => {
    await run('stop').catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  });
  return { brokers: [`127.0.0.1:${port}`], start: () => run('start'), stop: () => run('stop') };
}
