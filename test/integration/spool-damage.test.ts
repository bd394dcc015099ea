// A spool file damaged under the running CLI while Kafka is away (every event goes to the spool): overwritten, it
// is found before the next answer and rebuilt in place, nothing acknowledged lost; with its directory replaced by a
// file it cannot be rebuilt, so events get an error answer (never 202) and /health and gRPC health both say why,
// until the directory can be made again, when the sidecar rebuilds it by itself, without a restart.
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
// internals of the sidecar, from its build: the spool's file, read as the sidecar reads it
import { SPOOL_FILE, SpoolStore } from '../../packages/sidecar/dist/spool/store.js';
import { uniqueName } from '../helpers/kafka.js';
import { freePort } from '../helpers/ports.js';
import { call, sampleEvent } from '../helpers/sidecar.js';
import { eventLoggerClient, healthClient, toWire } from '../helpers/grpc.js';
import { runCli } from '../helpers/sidecar-process.js';
import { spoolCliEnv, spoolDir } from '../helpers/spool.js';

interface Health {
  status: string;
  services: Array<{ name: string; status: string; depth?: number; lastError?: string }>;
}

test('a spool damaged while running: rebuilt in place, or refused with a reason until it can be', async (t) => {
  const base = spoolDir(t, 'spool-damage-it-');
  const dir = join(base, 'spool');
  // No broker ever answers: every event is spooled.
  const cli = runCli(
    [],
    spoolCliEnv([`127.0.0.1:${await freePort()}`], uniqueName('it-spool-damage'), dir, { SHUTDOWN_TIMEOUT_MS: '5000' }),
  );
  t.after(() => cli.child.kill('SIGKILL'));
  const line = await cli.waitForLog((l) => l.msg === 'event-sidecar started', 90_000);
  const grpcLine = await cli.waitForLog((l) => l.msg === 'gRPC server listening');
  const url = `http://127.0.0.1:${line.port as number}`;
  const grpc = eventLoggerClient(grpcLine.port as number);
  const health = healthClient(grpcLine.port as number);
  t.after(() => {
    grpc.close();
    health.close();
  });
  const acked: string[] = [];
  const post = async () => {
    const event = sampleEvent('log');
    const answer = await call(`${url}/event`, { body: event });
    if (answer.status === 202) acked.push(event.id);
    return answer;
  };
  const spoolEntry = async () => {
    const answer = await call(`${url}/health`);
    return { http: answer.status, body: answer.body as Health, spool: (answer.body as Health).services[1]! };
  };

  for (let i = 0; i < 20; i += 1) assert.equal((await post()).status, 202);

  // 1. Overwritten: SQLite would go on "committing" into its cache and WAL; the store finds it and rebuilds.
  const fd = openSync(join(dir, SPOOL_FILE), 'r+');
  writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 0);
  closeSync(fd);
  const after = await post();
  assert.equal(after.status, 202, after.text);
  const rebuilt = await cli.waitForLog((l) => l.msg === 'spool damaged: rebuilt in place');
  assert.equal(rebuilt.level, 50);
  assert.match(String(rebuilt.fault), /no longer has a SQLite header; rebuilt with 21 records kept, 0 unreadable/);
  let now = await spoolEntry();
  assert.equal(now.http, 200);
  assert.equal(now.spool.status, 'DEGRADED');
  assert.equal(now.spool.depth, 21);
  assert.match(now.spool.lastError ?? '', /^SPOOL_FAILED: .*no longer has a SQLite header.*rebuilt/);

  // 2. The directory is gone and a file stands in its place: nothing can be rebuilt there.
  rmSync(dir, { recursive: true });
  writeFileSync(dir, 'not a directory');
  const refused = await post();
  assert.equal(refused.status, 503, refused.text);
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  assert.match(refused.text, /spool could not store the event/);
  now = await spoolEntry();
  assert.equal(now.http, 502, 'Kafka away and the spool unusable: nothing takes an event');
  assert.equal(now.body.status, 'DOWN');
  assert.equal(now.spool.status, 'DOWN');
  assert.match(now.spool.lastError ?? '', /^SPOOL_FAILED: .*spool\.db is gone/);
  assert.equal((await health.check()).status, 'NOT_SERVING', 'gRPC health gives the same answer');
  const call503 = await grpc.log(toWire(sampleEvent('audit')));
  assert.equal(call503.error?.code, status.UNAVAILABLE);
  assert.equal(call503.trailers?.['error-code'], 'SPOOL_FAILED');

  // 3. Once the directory can be made again, the next event rebuilds the spool, without a restart.
  rmSync(dir);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const back = await post();
  assert.equal(back.status, 202, back.text);
  now = await spoolEntry();
  assert.equal(now.http, 200);
  assert.equal(now.spool.depth, 22);
  assert.equal((await health.check()).status, 'SERVING');
  for (let i = 0; i < 5; i += 1) assert.equal((await post()).status, 202);

  cli.child.kill('SIGTERM');
  assert.equal(await cli.exited, 0, cli.stderr());
  // What a new run would replay: every event answered 202, the refused ones not.
  const store = new SpoolStore({ dir, maxBytes: 1 << 26 });
  t.after(() => store.close());
  assert.deepEqual(
    store.peek(1000).map((e) => e.event.id),
    acked,
  );
  assert.equal(acked.length, 27);
});
