// Starting a sidecar under test: the built CLI as a child process, with the node flags of its bin, on its own
// topic of the broker, listening on free ports.
import { existsSync, mkdtempSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { freePort, shebangNodeFlags, startNode, waitForHttp } from '../lib/children.js';
import type { BenchContext, Served } from './phase.js';

export interface SidecarLaunch {
  topic: string;
  ackMode: 'confirmed' | 'received';
  /** Its log file in the output directory. */
  logName: string;
  /** Node's `--cpu-prof` into this directory. */
  profileDir?: string;
  /** Brokers other than the run's (a phase's own broker, or none listening). */
  brokers?: readonly string[];
  /** Settings beyond the run's. */
  env?: NodeJS.ProcessEnv;
}

/** Starts a sidecar and waits until it is healthy; throws with the reason (and its log's tail) if it is not. */
export async function startSidecar(
  ctx: BenchContext,
  launch: SidecarLaunch,
): Promise<Served & { env: NodeJS.ProcessEnv }> {
  const cli = resolve(ctx.repo, ctx.options.sidecarCli);
  if (!existsSync(cli)) throw new Error(`${relative(ctx.repo, cli)} not found (run npm run build)`);
  const [http, grpc] = [await freePort(), await freePort()];
  // The spool is on by default: measured so, each sidecar in a directory of its own for the run (one sidecar per
  // spool, and never the user's state directory).
  const spoolDir = mkdtempSync(join(ctx.options.spoolBase, 'bench-sidecar-spool-'));
  ctx.resources.dirs.push(spoolDir);
  // The caller's variables reach it, AUTH_TOKEN excepted.
  const { AUTH_TOKEN: _token, ...callers } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...callers,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(http),
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(grpc),
    KAFKA_BROKERS: (launch.brokers ?? ctx.brokers).join(','),
    EVENT_TOPIC: launch.topic,
    KAFKA_CREATE_TOPIC_PARTITIONS: String(ctx.options.partitions),
    // `confirmed`: gRPC answers `accepted` only once Kafka has the event, as HTTP does.
    ACK_MODE: launch.ackMode,
    // One log line per request would measure the log pipe; warnings and errors still show.
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    SPOOL_DIR: spoolDir,
    ...launch.env,
  };
  const child = startNode(cli, {
    env,
    cwd: ctx.repo,
    logPath: join(ctx.outDir, launch.logName),
    nodeArgs: [
      ...shebangNodeFlags(cli),
      ...(launch.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${launch.profileDir}`] : []),
    ],
  });
  ctx.resources.children.push({ child, graceMs: 30_000 });
  try {
    await waitForHttp(`http://127.0.0.1:${http}/health`, child, 90_000);
  } catch (err) {
    throw new Error(`the sidecar did not become healthy: ${(err as Error).message}`, { cause: err });
  }
  return { child, url: `http://127.0.0.1:${http}`, grpcPort: grpc, env };
}
