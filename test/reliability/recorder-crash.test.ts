// A service that logs straight to Kafka, SIGKILLed during a broker outage: the Span load (8 units of work in flight,
// nothing awaited, so that events pile up while Kafka is away) through EventSdkRecorder with the producer's journal
// (node:sqlite: run by Node.js 24, fetched from the npm registry as the image tests fetch it) and, beside it, without
// one. The broker is SIGKILLed, then both services; the broker comes back and each service starts again on its
// journal. Every event logged (its id written as soon as record() returned) is looked for on the topics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReliabilityBroker, report, sleep, uniqueSuffix } from '../helpers/reliability.js';
import { nodeRelease } from '../image/node-release.js';
import { countOnTopics, LoggedEvents } from '../../scripts/bench/lib/span-load.js';

const SERVICE = fileURLToPath(new URL('../helpers/journal-service.ts', import.meta.url));
const TYPES = ['log', 'audit', 'trace'];

function service(node: string, env: Record<string, string>) {
  const child = spawn(node, ['--import', 'tsx', SERVICE], {
    env: {
      ...process.env,
      EVENT_SDK_ASYNC_OVERRIDE_EVENTS: 'audit,log,trace',
      EVENT_SDK_LOG_FILTER: 'none:none',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let onStarted = () => {};
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.includes('STARTED\n')) onStarted();
  });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(`${code ?? signal}`)));
  void exited.finally(onStarted);
  const result = exited.then((how) => {
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`the service exited ${how} without a result`);
    return JSON.parse(line.slice('RESULT '.length)) as { inJournal: number; undelivered: number };
  });
  // The loads end by SIGKILL, without a result: only the drains' is read.
  result.catch(() => undefined);
  return { child, started, exited, result };
}

test(
  'service SIGKILLed during a broker outage: with the journal every logged event reaches Kafka after its restart',
  { timeout: 10 * 60_000 },
  async (t) => {
    const node = nodeRelease('24').node;
    const broker = await ReliabilityBroker.create(t, { fastRestart: true });
    await broker.start();
    const dir = mkdtempSync(join(tmpdir(), 'recorder-crash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const cases = [
      { name: 'with the journal', journal: join(dir, 'events.db') },
      { name: 'without a journal', journal: '' },
    ].map((c, i) => ({
      ...c,
      env: {
        KAFKA_BROKERS: broker.brokers.join(','),
        JOURNAL_FILE: c.journal,
        TOPIC_PREFIX: `reliability-crash-${i}-${uniqueSuffix()}`,
        IDS_FILE: join(dir, `ids-${i}`),
      },
    }));
    const loads = cases.map((c) => service(node, { ...c.env, SPAN_SERVICE_MODE: 'load' }));
    t.after(() => {
      for (const l of loads) l.child.kill('SIGKILL');
    });
    await Promise.all(loads.map((l) => l.started));
    await sleep(3000);
    await broker.kill();
    // Events pile up in memory (and in the journal) while Kafka is away; then the services die.
    await sleep(4000);
    for (const l of loads) l.child.kill('SIGKILL');
    assert.deepEqual(await Promise.all(loads.map((l) => l.exited)), ['SIGKILL', 'SIGKILL']);
    const restartMs = await broker.start();
    const lines = [
      `broker SIGKILLed 3 s into the load, the services SIGKILLed 4 s later, broker back in ${restartMs} ms:`,
    ];
    const lost: number[] = [];
    for (const c of cases) {
      const drained = await service(node, { ...c.env, SPAN_SERVICE_MODE: 'drain' }).result;
      const logged = new LoggedEvents();
      for (const id of readFileSync(c.env.IDS_FILE, 'utf8').split('\n')) if (id) logged.ids.add(id);
      const topics = TYPES.map((type) => `${c.env.TOPIC_PREFIX}-${type}`);
      const count = await countOnTopics(broker.brokers, topics, logged);
      lost.push(count.lost);
      lines.push(
        `  ${c.name}: logged ${logged.ids.size}, on Kafka ${count.onKafka}, lost ${count.lost}, duplicates ${count.duplicates}; ` +
          `${drained.inJournal} events in the journal at the restart, ${drained.undelivered} undelivered by the restarted service`,
      );
    }
    report(t, lines.join('\n'));
    assert.equal(lost[0], 0, 'with the journal, no logged event lost');
  },
);
