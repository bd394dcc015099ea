// The journal (the `journal` option with whenUnavailable 'wait'): what a producer took and Kafka did not confirm is
// in the file, and the next producer on it sends that first. Needs node:sqlite (Node.js 22.13+; CI's Node 24 stage
// runs it); on Node 20 only the refusal of the option is checked. A process SIGKILLed during an outage, counted on a
// real broker, is test/reliability/recorder-crash.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { type Message } from 'kafkajs';
import { EventProducer } from '../src/index.js';
import { connected, FakeKafka } from './fake-kafka.js';
import { makeEvent } from './fixtures.js';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } = kafkajs;
const TRACE = 'bbd7b2c7bbd7b2c7bbd7b2c7bbd7b2c7';
const sqlite = process.getBuiltinModule('node:sqlite') !== undefined;
const needsSqlite = { skip: !sqlite && `node:sqlite is not in Node.js ${process.version}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idOf = (m: Message) => (JSON.parse(m.value!.toString()) as { id: string }).id;
const events = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => makeEvent('log', TRACE, { id: `e${from + i}` }));

function journalFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'producer-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'events.db');
}

/** A fake broker whose requests fail as an unreachable one's do while `down`. */
function outage(fake: FakeKafka) {
  const refused = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('connect ECONNREFUSED'), {
    retryCount: 3,
    retryTime: 100,
  });
  const state = { down: false };
  fake.onSend = async (_p, messages) => {
    if (state.down) throw refused;
    return fake.store(messages);
  };
  return state;
}

test('journal: refused without whenUnavailable wait, and on a Node.js without node:sqlite', () => {
  assert.throws(() => new EventProducer({ brokers: ['k:9092'], journal: '/tmp/x.db' }), {
    code: 'INVALID_OPTIONS',
    message: /journal needs whenUnavailable 'wait'/,
  });
  const build = () => new EventProducer({ brokers: ['k:9092'], whenUnavailable: 'wait', journal: '/tmp/x.db' });
  if (sqlite) assert.ok(build());
  else assert.throws(build, { code: 'INVALID_OPTIONS', message: /node:sqlite, built into Node\.js 22\.13 or newer/ });
});

test(
  'journal: what close() could not deliver is sent first by the next producer on the file',
  needsSqlite,
  async (t) => {
    const file = journalFile(t);
    const fake = new FakeKafka();
    const broker = outage(fake);
    const first = await connected(fake, { whenUnavailable: 'wait', journal: file });
    await Promise.all(events(0, 3).map((e) => first.publish(e)));
    broker.down = true;
    const waiting = events(3, 5).map((e) => first.publish(e));
    for (const p of waiting) p.catch(() => undefined);
    assert.deepEqual(await first.close({ timeoutMs: 100 }), { undelivered: 5 });
    assert.equal(fake.stored, 3);

    broker.down = false;
    const second = await connected(fake, { whenUnavailable: 'wait', journal: file });
    await second.publish(events(8, 1)[0]!);
    await second.close();
    // e0-e2 before the outage, e3-e7 from the journal before anything new, then e8: once each, in order.
    assert.deepEqual(
      [...fake.logs.values()].flat().map(idOf),
      Array.from({ length: 9 }, (_, i) => `e${i}`),
    );

    // Everything confirmed has left the journal: a third producer has nothing to send.
    const third = await connected(fake, { whenUnavailable: 'wait', journal: file });
    await sleep(50);
    await third.close();
    assert.equal(fake.stored, 9);
  },
);

test('journal: an event that failed for good (its deadline) leaves it', needsSqlite, async (t) => {
  const file = journalFile(t);
  const fake = new FakeKafka();
  const broker = outage(fake);
  const first = await connected(fake, { whenUnavailable: 'wait', journal: file, publishTimeoutMs: 100 });
  broker.down = true;
  await assert.rejects(first.publish(events(0, 1)[0]!), { code: 'PUBLISH_TIMEOUT' });
  await first.close();
  broker.down = false;
  const second = await connected(fake, { whenUnavailable: 'wait', journal: file });
  await sleep(50);
  await second.close();
  assert.equal(fake.stored, 0);
});

test('journal: one producer per file: a second one on it fails to connect, naming the file', needsSqlite, async (t) => {
  const file = journalFile(t);
  const fake = new FakeKafka();
  const first = await connected(fake, { whenUnavailable: 'wait', journal: file });
  await assert.rejects(connected(fake, { whenUnavailable: 'wait', journal: file }), {
    code: 'INVALID_OPTIONS',
    message: new RegExp(`cannot open the journal ${file}`),
  });
  await first.close();
});
