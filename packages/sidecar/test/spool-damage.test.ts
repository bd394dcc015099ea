// A spool damaged on disk: at start, a spool that cannot be opened stops the start naming SPOOL_DIR; while running,
// a file overwritten, deleted or replaced under the open store is found before anyone is answered and rebuilt in
// place from what the store can still read, without a restart; when it cannot be rebuilt, appends fail (never an
// answer for an event that is not on disk) until it can.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '@event-sidecar/contract';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigError, isSidecarError } from '../src/errors.js';
import { createSpool } from '../src/spool/spool.js';
import { SPOOL_FILE, SpoolStore, type SpoolFault } from '../src/spool/store.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'spool-damage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const trace = (i: number) => i.toString(16).padStart(32, '0');
function event(i: number): EventMessage {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    type: 'application/json',
    content: { n: i, pad: 'p'.repeat(500) },
    metadata: {
      event: { id: `e${i}`, type: 'log', action: 'info', createdAt: '2026-01-01T00:00:00.000Z', state: {} },
      trace: { service: 's', traceId: trace(i % 7), spanId: 'a1b2c3d4e5f60718' },
    },
  } as unknown as EventMessage;
}
const numbers = (store: SpoolStore) => store.peek(10_000).map((e) => (e.event.content as { n: number }).n);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** A store with events 0..99 committed, and the faults it reports. */
async function filled(t: { after(fn: () => void): void }, dir: string) {
  const faults: SpoolFault[] = [];
  const store = new SpoolStore({
    dir,
    maxBytes: 1 << 26,
    lingerMs: 0,
    repairBackoffMs: 50,
    onDamaged: (fault) => faults.push(fault),
  });
  t.after(() => store.close());
  for (let i = 0; i < 100; i += 10) await Promise.all(range(i, i + 10).map((n) => store.append(event(n), n)));
  return { store, faults };
}

/** What a new run finds in the directory: the events it would replay. */
function reopened(dir: string): number[] {
  const next = new SpoolStore({ dir, maxBytes: 1 << 26 });
  try {
    return numbers(next);
  } finally {
    next.close();
  }
}

test('a spool that cannot be opened stops the start with one line naming SPOOL_DIR and the cause', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, SPOOL_FILE));
  assert.throws(
    () =>
      createSpool(
        { dir, maxBytes: 1 << 20, lingerMs: 0, sync: 'normal' },
        {
          producer: { publish: () => Promise.reject(new Error('unused')) },
          logger: pino({ level: 'silent' }),
          registry: new Registry(),
        },
      ),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 1);
      assert.match(
        err.problems[0]!,
        new RegExp(
          `^SPOOL_DIR=${dir} cannot be used: ${dir}/spool.db cannot be opened \\(SQLITE_CANTOPEN: [^)]+\\)\\.`,
        ),
      );
      assert.ok(!err.problems[0]!.includes('\n'));
      return true;
    },
  );
  // The lock is given back: a corrected spool can be opened by the next attempt.
  rmSync(join(dir, SPOOL_FILE), { recursive: true });
  new SpoolStore({ dir, maxBytes: 1 << 20 }).close();
});

for (const [damage, harm] of [
  [
    'overwritten with other bytes',
    (path: string) => {
      const fd = openSync(path, 'r+');
      writeSync(fd, Buffer.alloc(8192, 0x5a), 0, 8192, 0);
      closeSync(fd);
    },
  ],
  ['deleted', (path: string) => ['', '-wal', '-shm'].forEach((s) => rmSync(path + s, { force: true }))],
  [
    'replaced by a directory',
    (path: string) => {
      ['', '-wal', '-shm'].forEach((s) => rmSync(path + s, { force: true }));
      mkdirSync(path);
    },
  ],
] as const) {
  test(`a spool file ${damage} while running is found before the next answer and rebuilt with every event`, async (t) => {
    const dir = tempDir(t);
    const { store, faults } = await filled(t, dir);
    harm(store.path);
    // SQLite alone would take this append into its cache and WAL, and "commit" it to a file that is gone or garbage.
    await store.append(event(100), 100);
    assert.equal(faults.length, 1, 'the damage was found');
    assert.ok(faults[0]!.repaired, faults[0]!.message);
    assert.match(faults[0]!.message, /rebuilt with 101 records kept, 0 unreadable/);
    assert.equal(store.stats().fault?.repaired, true);
    assert.equal(store.stats().events, 101);
    await Promise.all(range(101, 110).map((n) => store.append(event(n), n)));
    assert.deepEqual(numbers(store), range(0, 110));
    store.close();
    assert.deepEqual(reopened(dir), range(0, 110), 'on disk: a new run finds every acknowledged event');
    if (damage !== 'deleted')
      assert.ok(
        readdirSync(dir).some((name) => name.startsWith(`${SPOOL_FILE}.damaged-`)),
        'the damaged file is kept aside',
      );
  });
}

test('a spool that cannot be rebuilt refuses appends, says why, and is rebuilt once it can be', async (t) => {
  const base = tempDir(t);
  const dir = join(base, 'spool');
  mkdirSync(dir);
  const { store, faults } = await filled(t, dir);
  // The directory is gone and a file stands in its place: nothing can be made there.
  rmSync(dir, { recursive: true });
  writeFileSync(dir, 'not a directory');
  await assert.rejects(store.append(event(100), 100), (err: unknown) => {
    assert.ok(isSidecarError(err));
    assert.equal(err.code, 'SPOOL_FAILED');
    return true;
  });
  assert.equal(store.stats().fault?.repaired, false);
  assert.match(store.stats().fault!.message, /spool\.db is gone .*it cannot be rebuilt yet: .*(ENOTDIR|EEXIST)/);
  // Refused at once meanwhile, with the same reason.
  await assert.rejects(store.append(event(101), 101), { code: 'SPOOL_FAILED' });
  assert.equal(store.stats().events, 100, 'what was on the spool is still counted');

  rmSync(dir);
  await new Promise((r) => setTimeout(r, 60));
  await store.append(event(102), 102);
  assert.equal(store.stats().fault?.repaired, true);
  assert.ok(faults.some((f) => !f.repaired) && faults.at(-1)!.repaired);
  store.close();
  assert.deepEqual(reopened(dir), [...range(0, 100), 102], 'every event acknowledged before, and the new one');
  assert.equal(existsSync(join(dir, SPOOL_FILE)), true);
});
