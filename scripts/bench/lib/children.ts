// Child processes of the benchmark (the bare HTTP server, the sidecar): started with their output in a log file,
// waited for, and always stopped, SIGTERM first so that they flush (and write their CPU profile), SIGKILL after.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface NodeChild {
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;
  readonly hasExited: () => boolean;
  /** The last lines the process wrote. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

/** The node flags in a script's `#!/usr/bin/env -S node [flags]` line: the bench runs the CLI as its bin does. */
export function shebangNodeFlags(script: string): string[] {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env\s+(?:-S\s+)?node(\s.*)?$/.exec(first);
  return m?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

/**
 * `script` in a node of this version, `nodeArgs` its flags (`--cpu-prof`, `--import tsx`), `args` its arguments, its
 * output in `logPath`.
 */
export function startNode(
  script: string,
  options: { env: NodeJS.ProcessEnv; logPath: string; nodeArgs?: string[]; cwd?: string; args?: readonly string[] },
): NodeChild {
  const fd = openSync(options.logPath, 'w');
  let proc: ChildProcess;
  try {
    proc = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...(options.args ?? [])], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  if (proc.pid === undefined) throw new Error(`could not start ${script}`);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    proc.once('error', () => {
      done = true;
      resolve('spawn error');
    });
  });
  const tail = (lines = 20): string => {
    try {
      return readFileSync(options.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const stop = async (graceMs = 20_000): Promise<number | string> => {
    if (done) return exited;
    proc.kill('SIGTERM');
    const outcome = await Promise.race([exited, sleep(graceMs).then(() => undefined)]);
    if (outcome !== undefined) return outcome;
    proc.kill('SIGKILL');
    return exited;
  };
  return { pid: proc.pid, logPath: options.logPath, exited, hasExited: () => done, tail, stop };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200; fails early if `child` exits, or after `timeoutMs`. */
export async function waitForHttp(url: string, child: NodeChild, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.hasExited()) throw new Error(`exited before it was ready:\n${child.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.status === 200) return;
      last = `${res.status} ${body.slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`not ready after ${timeoutMs} ms (last: ${last}):\n${child.tail()}`);
}
