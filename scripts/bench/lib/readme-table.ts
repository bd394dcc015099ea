// The README's performance table: the figures a user judges, from bench/results/latest.json and, when there is one,
// bench/results/beside-original.json; written between the README's bench-table markers (`npm run bench:readme`).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResults, LoopFigures } from './results.js';
import type { Rounds } from './stats.js';

export const START = '<!-- bench-table:start -->';
export const END = '<!-- bench-table:end -->';

interface OriginalFigures {
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerEvent: number;
}

/** The original sidecar beside this one, on the same client and loads, in one run. */
export interface BesideOriginal {
  date: string;
  command: string;
  machine: string;
  points: { inFlight: number; original: OriginalFigures; sidecar: OriginalFigures }[];
  memory?: { originalIdleRssMiB: number; sidecarIdleRssMiB: number };
}

const num = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n)
    ? 'n/a'
    : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number | undefined): string => num(n, n === undefined || n >= 100 ? 0 : n < 10 ? 2 : 1);
const loop = (f: LoopFigures | undefined): string[] =>
  f
    ? [num(f.eventsPerSecond.median), `${ms(f.p50Ms.median)} / ${ms(f.p99Ms.median)}`, num(f.cpuUsPerEvent.median)]
    : [];
const brief = (f: OriginalFigures): string =>
  `${num(f.eventsPerSecond)} · ${ms(f.p50Ms)} / ${ms(f.p99Ms)} · ${num(f.cpuUsPerEvent)} µs`;

/** The text between the markers: one table, and a line that says where and how it was measured. */
export function readmeTable(results: BenchResults, original?: BesideOriginal): string {
  const { sidecar, limits } = results;
  const latency = sidecar.latency;
  const limitConnections = (results.settings as { limitConnections: number }).limitConnections;
  const rows: string[][] = [];
  const floorSum = (latency?.bareGrpc?.p50Ms.median ?? Number.NaN) + (latency?.send.p50Ms.median ?? Number.NaN);
  for (const inFlight of [1, 16, 64]) {
    const point = sidecar.curve?.find((p) => p.inFlight === inFlight);
    if (!point) continue;
    const beside = original?.points.find((p) => p.inFlight === inFlight);
    const against =
      inFlight === 1 && Number.isFinite(floorSum)
        ? `p50 ${ms(point.confirmed.p50Ms.median - floorSum)} ms over the two floors added (${ms(floorSum)} ms)`
        : point.received
          ? `${num(point.ratioToReceived, 2)} × \`ACK_MODE=received\``
          : '';
    rows.push([
      `gRPC \`Log\` via \`@mojaloop/event-sdk\`, confirmed`,
      `${inFlight} in flight`,
      ...loop(point.confirmed),
      against,
      ...(original
        ? [beside ? `${brief(beside.original)} (this sidecar in that run: ${brief(beside.sidecar)})` : 'n/a']
        : []),
    ]);
  }
  const figures = (p: { p50Ms: Rounds; p99Ms: Rounds; cpuUsPerEvent: Rounds }) => [
    `${ms(p.p50Ms.median)} / ${ms(p.p99Ms.median)}`,
    num(p.cpuUsPerEvent.median),
  ];
  if (latency?.bareGrpc)
    rows.push(['floor: bare grpc-js `Log` via event-sdk', '1 in flight', ...loop(latency.bareGrpc)]);
  if (latency) {
    const [eps, p, cpu] = loop(latency.send);
    rows.push(['floor: raw kafkajs `send()` of one record', '1 in flight', eps!, p!, `${cpu} (client)`]);
  }
  const event = sidecar.event.find((p) => p.connections === limitConnections);
  const lhttp = limits.http.find((p) => p.connections === limitConnections)?.requestsPerSecond.median;
  if (event) {
    const against = `${num(event.ratioToHttpLimit, 2)} × L_http (bare express: ${num(lhttp)} req/s)`;
    rows.push([
      '`POST /event`',
      `${limitConnections} connections`,
      num(event.requestsPerSecond.median),
      ...figures(event),
      against,
    ]);
  }
  const events = sidecar.events;
  if (events) {
    const against = `${num(events.ratioToKafkaLimit, 2)} × L_kafka (kafkajs \`sendBatch\`: ${num(limits.kafka?.eventsPerSecond.median)} events/s)`;
    const what = `\`POST /events\`, ${events.eventsPerRequest} per request`;
    rows.push([
      what,
      `${events.connections} connections`,
      num(events.eventsPerSecond.median),
      ...figures(events),
      against,
    ]);
  }
  const { idle, peakRssMiB } = sidecar;
  if (idle)
    rows.push(['idle, Kafka connected', `${num(idle.seconds)} s`, '', '', `${num(idle.percentOfCore, 2)} % of a core`]);
  if (peakRssMiB !== undefined) {
    const memory = original?.memory;
    const theirs = memory
      ? `idle RSS ${num(memory.originalIdleRssMiB)} MiB (this sidecar: ${num(memory.sidecarIdleRssMiB)})`
      : '';
    rows.push(['peak RSS over the run', '', '', '', '', `${num(peakRssMiB)} MiB`, theirs]);
  }
  const head = ['path', 'load', 'events/s', 'p50 / p99 ms', 'sidecar CPU µs/event', 'against'];
  if (original) head.push('the original sidecar, same client and load');
  const m = results.machine;
  const lines = [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${head.map((_, i) => r[i] ?? '').join(' | ')} |`),
    '',
    `Measured ${results.date.slice(0, 10)} on ${m.cpuModel}, ${m.cores} cores (load average ${m.loadAverageStart.map((l) => l.toFixed(1)).join(' ')}), ` +
      `Node ${m.node}, Kafka ${m.kafka}, by \`${results.command}\`; every figure: [bench/results/latest.md](bench/results/latest.md).`,
  ];
  if (original) {
    lines.push(
      '',
      `The original beside this sidecar: ${original.date.slice(0, 10)} on ${original.machine}, by \`${original.command}\`.`,
    );
  }
  return lines.join('\n');
}

/** `readme` with the text between its markers replaced by `table`; throws when the markers are missing. */
export function fillReadme(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${START} ... ${END}`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

/** The README with its table made anew from the results in `resultsDir` (latest.json, beside-original.json). */
export function readmeFromResults(readme: string, resultsDir: string): string {
  const read = (name: string): unknown => JSON.parse(readFileSync(join(resultsDir, name), 'utf8'));
  const original = existsSync(join(resultsDir, 'beside-original.json'))
    ? (read('beside-original.json') as BesideOriginal)
    : undefined;
  return fillReadme(readme, readmeTable(read('latest.json') as BenchResults, original));
}
