// A service for recorder-crash.test.ts, run by a Node.js with node:sqlite: SPAN_SERVICE_MODE=load logs the Span
// load (scripts/bench/lib/span-load.ts) through EventSdkRecorder, writing each event's id to IDS_FILE (synchronously,
// as soon as record() has returned: what was logged survives the SIGKILL it waits for) and prints STARTED; =drain
// connects (sending what the journal holds first), closes, and prints `RESULT <json>` with how many events the
// journal held.
// JOURNAL_FILE empty: the same service without a journal.
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EventProducer } from '@event-sidecar/producer';
import { EventSdkRecorder } from '@event-sidecar/producer/event-sdk';
import { runUnits, type SdkTracer } from '../../scripts/bench/lib/span-load.js';

const require = createRequire(import.meta.url);
const journal = process.env.JOURNAL_FILE || undefined;

function journalDepth(): number {
  if (!journal || !existsSync(journal)) return 0;
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as unknown as {
    DatabaseSync: new (path: string) => {
      prepare(sql: string): { get(): { n: number } };
      close(): void;
    };
  };
  const db = new DatabaseSync(journal);
  const { n } = db.prepare('SELECT count(*) AS n FROM events').get();
  db.close();
  return n;
}

const inJournal = process.env.SPAN_SERVICE_MODE === 'drain' ? journalDepth() : 0;
const producer = new EventProducer({
  brokers: process.env.KAFKA_BROKERS!.split(','),
  clientId: `journal-service-${process.pid}`,
  topicStrategy: 'per-type',
  topicTemplate: `${process.env.TOPIC_PREFIX}-{type}`,
  createTopic: { partitions: 6 },
  whenUnavailable: 'wait',
  ...(journal ? { journal } : {}),
});
await producer.connect();

if (process.env.SPAN_SERVICE_MODE === 'drain') {
  const { undelivered } = await producer.close({ timeoutMs: 120_000 });
  process.stdout.write(`RESULT ${JSON.stringify({ inJournal, undelivered })}\n`);
} else {
  const recorder = new EventSdkRecorder(producer, { onError: () => undefined });
  const ids = openSync(process.env.IDS_FILE!, 'a');
  const logged = {
    recorder: () => null,
    preProcess: (event: { id: string }) => event,
    record(event: { id: string }, doLog?: boolean) {
      // Written once record() has returned: the producer journals an event within the call, and a SIGKILL in the
      // middle of the call (before the event was handed over) is a loss no in-process journal can prevent.
      const recorded = recorder.record(event as never, doLog);
      writeSync(ids, `${event.id}\n`);
      return recorded;
    },
  };
  process.stdout.write('STARTED\n');
  const { Tracer } = require('@mojaloop/event-sdk') as { Tracer: SdkTracer };
  await runUnits(Tracer, logged, { units: 8, spanEveryMs: 10, untilMs: Infinity });
  closeSync(ids);
}
