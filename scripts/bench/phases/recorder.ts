// `recorder`: a service that logs straight to Kafka, through @mojaloop/event-sdk's Span API (lib/span-load.ts),
// once through EventSdkRecorder (whenUnavailable 'wait') and once through the SDK's own direct mode (node-rdkafka,
// Mojaloop's chart settings), each in a process of its own, one after the other on a broker of the phase's own,
// each time SIGKILLed mid-way and started again: events/s, record() latency, CPU per event, peak RSS, and logged /
// on Kafka / lost. Measured once, after the rounds.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OwnBroker } from '../lib/own-broker.js';
import { describeLoad, startRecorderLoad, type RecorderKind } from '../lib/span-load.js';
import type { BenchPhase } from './phase.js';

/**
 * The SDK's usual await choice (audits awaited, logs and traces not) for both; and ours with nothing awaited, as the
 * direct mode's record() never waits for Kafka (it resolves once node-rdkafka queued the event): the pace of the
 * load then depends on the recorder's cost, not on Kafka's confirmation of each audit.
 */
const RUNS: { recorder: RecorderKind; asyncOverride: string; node?: string; journal?: boolean }[] = [
  { recorder: 'recorder', asyncOverride: 'log,trace' },
  { recorder: 'recorder', asyncOverride: 'audit,log,trace' },
  { recorder: 'direct', asyncOverride: 'log,trace' },
];

/**
 * BENCH_JOURNAL_NODE, a node with node:sqlite (Node.js 22.13+; this one may be 20): the journal's cost, our recorder
 * on that node with nothing awaited, without and with the producer's journal.
 */
function journalRuns(): typeof RUNS {
  const node = process.env.BENCH_JOURNAL_NODE?.trim();
  if (!node) return [];
  return [false, true].map((journal) => ({ recorder: 'recorder', asyncOverride: 'audit,log,trace', node, journal }));
}

export function recorderPhase(): BenchPhase {
  return {
    name: 'recorder',
    async report(ctx, results) {
      const quick = ctx.options.quick;
      const loadMs = quick ? 25_000 : 40_000;
      const killAfterMs = quick ? 5000 : 6000;
      const downMs = 8000;
      const broker = await OwnBroker.create(ctx.repo);
      ctx.resources.closers.push(() => broker.killNow());
      const dir = mkdtempSync(join(tmpdir(), 'bench-recorder-'));
      ctx.resources.dirs.push(dir);
      try {
        await broker.start();
        const rows = [];
        for (const { recorder, asyncOverride, node, journal } of [...RUNS, ...journalRuns()]) {
          const load = startRecorderLoad({
            recorder,
            asyncOverride,
            ...(node ? { node } : {}),
            ...(journal ? { journal: join(dir, `journal-${rows.length}.db`) } : {}),
            brokers: broker.brokers,
            loadMs,
            topicPrefix: `bench-recorder-${Date.now().toString(36)}`,
            stderr: 'ignore',
          });
          await load.started;
          await sleep(killAfterMs);
          await broker.kill();
          await sleep(downMs);
          const restartMs = await broker.start();
          const result = await load.result;
          ctx.log(`recorder (${asyncOverride} not awaited): ${describeLoad(result)} (broker back in ${restartMs} ms)`);
          rows.push({ ...result, asyncOverride, restartMs });
        }
        const [loadSeconds, killAfterSeconds, downSeconds] = [loadMs, killAfterMs, downMs].map((t) => t / 1000);
        results.recorders = {
          loadSeconds: loadSeconds!,
          killAfterSeconds: killAfterSeconds!,
          downSeconds: downSeconds!,
          rows,
        };
      } finally {
        await broker.stop();
      }
    },
  };
}
