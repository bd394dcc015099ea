// The claim on a spool directory: one sidecar per directory, given up on close, and a directory that cannot be
// used refused with an error naming SPOOL_DIR before anything is read. The claim across processes (and after a
// SIGKILL) is tested with the built CLI in test/integration/spool-lock.test.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigError } from '../src/errors.js';
import type { ReplayPublisher } from '../src/producer-views.js';
import { lockSpoolDir } from '../src/spool/lock.js';
import { createSpool } from '../src/spool/spool.js';
import { SpoolStore } from '../src/spool/store.js';
import { testEvent } from './fixtures.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'spool-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const refused = (dir: string, why: RegExp) => (err: unknown) =>
  err instanceof ConfigError &&
  err.problems.length === 1 &&
  err.problems[0]!.startsWith(`SPOOL_DIR=${dir} cannot be used: `) &&
  why.test(err.problems[0]!) &&
  /SPOOL_DIR=off/.test(err.problems[0]!);

test('a directory is held by one claim at a time, and free again once released', (t) => {
  const dir = tempDir(t);
  const first = lockSpoolDir(dir);
  assert.throws(() => lockSpoolDir(dir), refused(dir, /another event-sidecar is using it/));
  first.release();
  first.release();
  lockSpoolDir(dir).release();
});

test('a directory that cannot be created, or is a file, is refused naming SPOOL_DIR', (t) => {
  const base = tempDir(t);
  const file = join(base, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => lockSpoolDir(join(file, 'spool')), refused(join(file, 'spool'), /cannot be created \(ENOTDIR\)/));
  assert.throws(() => lockSpoolDir(file), refused(file, /cannot be created|not a directory/));
  const nested = join(base, 'a', 'b', 'spool');
  lockSpoolDir(nested).release();
});

const noProducer: ReplayPublisher = { publish: () => Promise.reject(new Error('not in this test')) };

function logLines(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const config = (dir: string) => ({ dir, maxBytes: 1 << 24, lingerMs: 0, sync: 'normal' as const });

test('createSpool: one line names the directory, its bytes on disk and the events an earlier run left', async (t) => {
  const dir = tempDir(t);
  const earlier = new SpoolStore({ dir, maxBytes: 1 << 24, lingerMs: 0 });
  for (let i = 0; i < 7; i += 1) await earlier.append(testEvent(String(i)), i);
  earlier.close();

  const { logger, lines } = logLines();
  const spool = createSpool(config(dir), { producer: noProducer, logger, registry: new Registry() });
  t.after(() => spool.close());
  const opened = lines.filter((l) => l.msg === 'spool opened');
  assert.equal(opened.length, 1);
  assert.equal(opened[0]!.dir, dir);
  assert.equal(opened[0]!.events, 7);
  assert.ok(Number(opened[0]!.eventBytes) > 7 * 200, JSON.stringify(opened[0]));
  // The database (at least a page per table) and the lock file: more than the events' JSON.
  assert.ok(Number(opened[0]!.bytesOnDisk) > Number(opened[0]!.eventBytes), JSON.stringify(opened[0]));
});

test('createSpool on a directory another spool holds fails before reading it; close gives it up', async (t) => {
  const dir = tempDir(t);
  const first = createSpool(config(dir), { producer: noProducer, logger: logLines().logger, registry: new Registry() });
  const second = logLines();
  assert.throws(
    () => createSpool(config(dir), { producer: noProducer, logger: second.logger, registry: new Registry() }),
    refused(dir, /another event-sidecar is using it/),
  );
  assert.deepEqual(second.lines, [], 'nothing opened, nothing logged');
  await first.close();
  const third = createSpool(config(dir), { producer: noProducer, logger: logLines().logger, registry: new Registry() });
  await third.close();
});
