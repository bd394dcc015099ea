// The results as one markdown table (printed, and written as <name>.md for the README to include), pure.
import { httpLimit, type BenchResults, type LoopFigures } from './results.js';
import type { Rounds } from './stats.js';

const num = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n)
    ? 'n/a'
    : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (r: Rounds | undefined): string => (r === undefined ? '' : num(r.median, r.median < 10 ? 1 : 0));
const mib = (r: Rounds | undefined, heap?: Rounds): string =>
  r === undefined ? '' : `${num(r.median)}${heap && Number.isFinite(heap.median) ? ` (heap ${num(heap.median)})` : ''}`;
const cpu = (r: Rounds | undefined, ratio?: number, of?: string): string =>
  r === undefined
    ? ''
    : `${num(r.median)}${ratio !== undefined && Number.isFinite(ratio) ? ` (${ratio.toFixed(1)}× ${of})` : ''}`;
const ratio = (n: number, limit: string): string => (Number.isFinite(n) ? `${n.toFixed(2)} × ${limit}` : 'n/a');
const spread = (r: Rounds): string => r.rounds.map((v) => num(v)).join(' / ');
const failures = (counts: { non2xx?: number; errors?: number; timeouts?: number; failed?: number }): string => {
  const parts: string[] = [];
  if (counts.non2xx) parts.push(`${counts.non2xx} non-2xx`);
  if (counts.errors) parts.push(`${counts.errors} errors`);
  if (counts.timeouts) parts.push(`${counts.timeouts} timeouts`);
  if (counts.failed) parts.push(`${counts.failed} failed`);
  return parts.join(', ') || '0';
};

export function renderMarkdown(results: BenchResults): string {
  const s = results.settings as { limitConnections: number; rounds: number; durationS: number };
  const lines: string[] = [];
  const m = results.machine;
  lines.push(
    `Benchmark of ${results.date.slice(0, 10)} (${results.mode}, \`${results.command}\`): ${m.cpuModel}, ` +
      `${m.cores} cores, Node ${m.node}, Kafka ${m.kafka}; medians of ${s.rounds} rounds of ${s.durationS} s, ` +
      `events of ${results.payload.meanBytes} bytes on average, acks=-1. Load average ` +
      `${m.loadAverageStart.map((l) => l.toFixed(1)).join(' ')} at the start (the machine is shared: ratios ` +
      `measured in the same rounds count, absolute figures do not).`,
  );
  lines.push('');
  lines.push(
    '| phase | load | throughput (median) | per round | vs limit | p50 ms | p99 ms | peak RSS MiB (V8 heap) | CPU µs/event | failures |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const kafka = results.limits.kafka;
  if (kafka) {
    lines.push(
      `| L_kafka: raw kafkajs \`sendBatch\` of ${kafka.batchSize} | ${kafka.concurrency} concurrent | ` +
        `${num(kafka.eventsPerSecond.median)} events/s | ${spread(kafka.eventsPerSecond)} | 1 (limit) | ` +
        `${ms(kafka.batchP50Ms)} (batch) | ${ms(kafka.batchP99Ms)} (batch) | | ${cpu(kafka.cpuUsPerEvent)} (client) | 0 |`,
    );
  }
  const lhttp = httpLimit(results, s.limitConnections);
  if (lhttp) {
    lines.push(
      `| L_http: bare express 5, JSON parse, 201 | ${lhttp.connections} connections | ` +
        `${num(lhttp.requestsPerSecond.median)} req/s | ${spread(lhttp.requestsPerSecond)} | 1 (limit) | ` +
        `${ms(lhttp.p50Ms)} | ${ms(lhttp.p99Ms)} | | ${cpu(lhttp.cpuUsPerEvent)} | ${failures(lhttp)} |`,
    );
  }
  const lgrpc = results.limits.grpc;
  if (lgrpc) {
    lines.push(
      `| L_grpc: bare grpc-js \`Log\`, decode, \`accepted\` | ${lgrpc.inFlight} in flight, ${lgrpc.channels} channels | ` +
        `${num(lgrpc.callsPerSecond.median)} calls/s | ${spread(lgrpc.callsPerSecond)} | ${ratio(lgrpc.ratioToKafkaLimit, 'L_kafka')} | ` +
        `${ms(lgrpc.p50Ms)} | ${ms(lgrpc.p99Ms)} | | ${cpu(lgrpc.cpuUsPerCall)} (client ${cpu(lgrpc.clientCpuUsPerCall)}) | |`,
    );
  }
  for (const p of results.sidecar.event) {
    lines.push(
      `| sidecar \`POST /event\` | ${p.connections} connection${p.connections === 1 ? '' : 's'} | ` +
        `${num(p.requestsPerSecond.median)} req/s | ${spread(p.requestsPerSecond)} | ` +
        `${ratio(p.ratioToHttpLimit, 'L_http')} | ${ms(p.p50Ms)} | ${ms(p.p99Ms)} | ${mib(p.peakRssMiB, p.heapTotalMiB)} | ${cpu(p.cpuUsPerEvent, p.cpuRatioToBare, 'bare')} | ${failures(p)} |`,
    );
  }
  for (const p of results.sidecar.spool?.event ?? []) {
    lines.push(
      `| sidecar \`POST /event\`, spool (Kafka away) | ${p.connections} connection${p.connections === 1 ? '' : 's'} | ` +
        `${num(p.requestsPerSecond.median)} req/s | ${spread(p.requestsPerSecond)} | ` +
        `${ratio(p.ratioToKafkaPath, 'Kafka path')} | ${ms(p.p50Ms)} | ${ms(p.p99Ms)} | ${mib(p.peakRssMiB, p.heapTotalMiB)} | ${cpu(p.cpuUsPerEvent, p.cpuRatioToKafkaPath, 'Kafka path')} | ${failures(p)} |`,
    );
  }
  const ev = results.sidecar.events;
  if (ev) {
    lines.push(
      `| sidecar \`POST /events\`, ${ev.eventsPerRequest} per request | ${ev.connections} connections | ` +
        `${num(ev.eventsPerSecond.median)} events/s (${num(ev.requestsPerSecond.median)} req/s) | ` +
        `${spread(ev.eventsPerSecond)} | ${ratio(ev.ratioToKafkaLimit, 'L_kafka')} | ${ms(ev.p50Ms)} | ` +
        `${ms(ev.p99Ms)} | ${mib(ev.peakRssMiB, ev.heapTotalMiB)} | ${cpu(ev.cpuUsPerEvent, ev.cpuRatioToKafkaClient, 'kafkajs')} | ${failures(ev)} |`,
    );
  }
  const g = results.sidecar.grpc;
  if (g) {
    lines.push(
      `| sidecar gRPC \`Log\` | ${g.inFlight} in flight, ${g.channels} channels | ` +
        `${num(g.eventsPerSecond.median)} events/s | ${spread(g.eventsPerSecond)} | ` +
        `${ratio(g.ratioToKafkaLimit, 'L_kafka')}${g.ratioToGrpcLimit === undefined ? '' : ` (${ratio(g.ratioToGrpcLimit, 'L_grpc')})`} | ${ms(g.p50Ms)} | ${ms(g.p99Ms)} | ${mib(g.peakRssMiB, g.heapTotalMiB)} | ${cpu(g.cpuUsPerEvent, g.cpuRatioToKafkaClient, 'kafkajs')} | ` +
        `${failures(g)} |`,
    );
  }
  lines.push(...lowLoadRows(results));
  const soak = results.sidecar.soak;
  if (soak) {
    lines.push(
      `| soak \`POST /event\`, ${soak.seconds} s | ${soak.connections} connections at ${num(soak.targetPerSecond)} req/s | ` +
        `${num(soak.achievedPerSecond)} req/s | | | ${num(soak.p50Ms, 1)} | ${num(soak.p99Ms, 1)} | ` +
        `${num(soak.rssStartMiB)} → ${num(soak.rssEndMiB)} (${soak.rssGrowth >= 0 ? '+' : ''}${num(soak.rssGrowth * 100, 1)} %), max ${num(soak.rssMaxMiB)} | | ` +
        `${failures(soak)} |`,
    );
  }
  lines.push('');
  lines.push(
    '"vs limit" is the median of the per-round ratios (each round measures a phase and its limit back to back); ' +
      'latencies are medians of the per-round percentiles; "CPU µs/event" is the CPU time (user + system) of the ' +
      'serving process per acknowledged event (for L_kafka, of the kafkajs client), with the median of its per-round ' +
      'ratio to the bare app at the same connections or to the kafkajs client: the figure least disturbed by other ' +
      'load on the machine; the spool rows compare a sidecar whose Kafka is away (every event spooled, 202) with ' +
      'the sidecar\'s Kafka path (`POST /event`, 201) at the same connections; "failures" count every round and its warm-up.',
  );
  if (results.sidecar.latency || results.sidecar.curve) {
    lines.push('');
    lines.push(
      'The rows at 1 call in flight and the `event-sdk` curve are closed loops (each caller sends its next event once ' +
        'the last was answered) with exact percentiles in ms to 0.01; raw `send()` is kafkajs sending one record ' +
        "(acks=-1, idempotent) from the benchmark process, whose CPU is then the client's; the sidecar's CPU is " +
        'that of its whole process (every thread), per acknowledged event. The `ACK_MODE=received` rows are a second ' +
        'sidecar on the same broker that answers before Kafka has the event.',
    );
  }
  lines.push(...recorderRows(results));
  lines.push('');
  lines.push('| goal | target | measured | |');
  lines.push('| --- | --- | --- | --- |');
  for (const goal of results.goals) {
    const mark = goal.pass === null ? 'not measured' : goal.pass ? 'met' : '**missed**';
    lines.push(`| ${goal.name} | ${goal.target} | ${goal.measured} | ${mark} |`);
  }
  if (results.skipped.length > 0) {
    lines.push('');
    for (const skip of results.skipped) lines.push(`- Skipped ${skip.phase}: ${skip.reason.split('\n')[0]}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** The `recorder` phase: EventSdkRecorder beside the SDK's direct mode, each through a broker SIGKILL. */
function recorderRows(results: BenchResults): string[] {
  const r = results.recorders;
  if (!r) return [];
  const name = {
    recorder: '`EventSdkRecorder` (whenUnavailable `wait`)',
    direct: "event-sdk's direct mode (node-rdkafka)",
  };
  return [
    '',
    `Services that log straight to Kafka: event-sdk's Span API, 8 units of work in flight (a span that audits, logs, ` +
      `opens a child span that logs and finishes, then finishes; at most one span per 10 ms each), ${r.loadSeconds} s ` +
      `per run, one after the other, each in a process of its own; ` +
      `the broker SIGKILLed ${r.killAfterSeconds} s in and started again ${r.downSeconds} s later. "logged": events ` +
      "the SDK handed to the recorder; record() latency from the call to its outcome (Kafka's confirmation for " +
      'EventSdkRecorder, the in-memory queue for the direct mode); CPU of the whole process over the load and the ' +
      'drain that follows it.',
    '',
    '| recorder | not awaited | logged | on Kafka | lost | duplicates | events/s | record() p50 / p99 / max ms | CPU µs/event | peak RSS MiB | broker back in |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.rows.map(
      (row) =>
        `| ${name[row.recorder]}${row.journal ? ', journal' : ''} (Node ${row.node}) | ${row.asyncOverride} | ${num(row.logged)} | ${num(row.onKafka)} | ${num(row.lost)} | ${num(row.duplicates)} | ` +
        `${num(row.eventsPerSecond)} | ${num(row.recordP50Ms, 1)} / ${num(row.recordP99Ms)} / ${num(row.recordMaxMs)} | ` +
        `${num(row.cpuUsPerEvent)} | ${num(row.peakRssMiB)} | ${num(row.restartMs / 1000, 1)} s |`,
    ),
  ];
}

/** Latency in ms to 0.01 below 10 ms: one call in flight is measured in tenths of a millisecond. */
const fine = (r: Rounds): string => num(r.median, r.median < 10 ? 2 : 1);

function loopRow(what: string, load: string, f: LoopFigures, versus: string, cpuNote = ''): string {
  return (
    `| ${what} | ${load} | ${num(f.eventsPerSecond.median)} events/s | ${spread(f.eventsPerSecond)} | ${versus} | ` +
    `${fine(f.p50Ms)} | ${fine(f.p99Ms)} | | ${cpu(f.cpuUsPerEvent)}${cpuNote} (client ${cpu(f.clientCpuUsPerEvent)}) | ${failures(f)} |`
  );
}

/** Rows of one call in flight beside raw send(), the event-sdk curve, and the idle sidecar. */
export function lowLoadRows(results: BenchResults): string[] {
  const rows: string[] = [];
  const latency = results.sidecar.latency;
  if (latency) {
    const send = latency.send;
    rows.push(
      `| raw kafkajs \`send()\` of one record | 1 in flight | ${num(send.eventsPerSecond.median)} sends/s | ` +
        `${spread(send.eventsPerSecond)} | 1 (floor) | ${fine(send.p50Ms)} | ${fine(send.p99Ms)} | | ${cpu(send.cpuUsPerEvent)} (client) | ${failures(send)} |`,
    );
    const signed = (n: number, digits: number) => `${n >= 0 ? '+' : ''}${num(n, digits)}`;
    const over = (p: { p50OverSendMs: number; p99OverSendMs: number }) =>
      `p50 ${signed(p.p50OverSendMs, 2)} ms, p99 ${signed(p.p99OverSendMs, 1)} ms over \`send()\``;
    if (latency.grpc)
      rows.push(
        loopRow('sidecar gRPC `Log` via `@mojaloop/event-sdk`', '1 in flight', latency.grpc, over(latency.grpc)),
      );
    if (latency.http)
      rows.push(
        loopRow('sidecar `POST /event`, one keep-alive connection', '1 in flight', latency.http, over(latency.http)),
      );
    // The transports alone, driven by the same clients: what a call costs before the sidecar does any work.
    if (latency.bareGrpc)
      rows.push(loopRow('bare grpc-js `Log` via `@mojaloop/event-sdk`', '1 in flight', latency.bareGrpc, 'gRPC floor'));
    if (latency.bareHttp)
      rows.push(
        loopRow('bare express `POST /event`, one keep-alive connection', '1 in flight', latency.bareHttp, 'HTTP floor'),
      );
  }
  for (const point of results.sidecar.curve ?? []) {
    rows.push(
      loopRow(
        'sidecar gRPC `Log` via `event-sdk`, `ACK_MODE=confirmed`',
        `${point.inFlight} in flight, 1 channel`,
        point.confirmed,
        point.received ? ratio(point.ratioToReceived, 'received') : 'n/a',
      ),
    );
    if (point.received) {
      rows.push(
        loopRow(
          'sidecar gRPC `Log` via `event-sdk`, `ACK_MODE=received`',
          `${point.inFlight} in flight, 1 channel`,
          point.received,
          '1 (reference)',
        ),
      );
    }
  }
  const outage = results.sidecar.outage;
  if (outage) {
    const where = `${outage.inFlight} in flight, ${outage.windowS} s`;
    rows.push(loopRow('sidecar gRPC `Log` via `event-sdk`, no fault', where, outage.steady, '1 (reference)'));
    rows.push(
      loopRow(
        `sidecar gRPC \`Log\` via \`event-sdk\`, broker SIGKILLed for ${num(outage.downMs / 1000)} s`,
        where,
        outage.outage,
        `${ratio(outage.ratio, 'no fault')}, CPU ${num(outage.cpuRatio, 2)} x`,
      ),
    );
  }
  const idle = results.sidecar.idle;
  if (idle) {
    rows.push(
      `| sidecar idle: Kafka connected, no traffic | ${num(idle.seconds)} s | | | | | | | ` +
        `${num(idle.percentOfCore, 2)} % of a core (${num(idle.cpuMs)} ms) | |`,
    );
  }
  return rows;
}
