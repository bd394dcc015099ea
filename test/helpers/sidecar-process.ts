// The built CLI as a child process, for tests of signals and exit codes.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../packages/sidecar/dist/cli.js', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  /** Parsed JSON log lines (stdout) so far. */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** Resolves with the first log line that `match` accepts. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export interface RunOptions {
  /** The command line to run instead of this Node with the built CLI (e.g. the image's ENTRYPOINT). */
  argv?: string[];
  cwd?: string;
  /** Its own process group (to kill whatever it started with it: `process.kill(-child.pid)`). */
  detached?: boolean;
}

/**
 * The CLI with `env` alone (and PATH). SPOOL_DIR is `off` unless `env` has it: a test never writes into the user's
 * state directory, the default (`SPOOL_DIR: ''` with XDG_STATE_HOME asks for the default in a directory of the test).
 */
export function runCli(args: string[], env: Record<string, string>, options: RunOptions = {}): CliProcess {
  const [command, ...leading] = options.argv ?? [process.execPath, CLI];
  const child = spawn(command!, [...leading, ...args], {
    env: { PATH: process.env.PATH ?? '', SPOOL_DIR: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.detached ? { detached: true } : {}),
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{
    match: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }> = [];
  let stdoutRest = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (stdoutRest + chunk).split('\n');
    stdoutRest = lines.pop() ?? '';
    for (const text of lines) {
      if (!text.trim()) continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { text };
      }
      logs.push(line);
      for (const waiter of [...waiters])
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog(match, timeoutMs = 60_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no matching log line in ${timeoutMs} ms; stderr: ${stderr}; logs: ${JSON.stringify(logs)}`),
            ),
          timeoutMs,
        );
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`exited ${code} before the log line; stderr: ${stderr}; logs: ${JSON.stringify(logs)}`));
        });
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}
