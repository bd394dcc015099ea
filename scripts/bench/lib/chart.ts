// The results as a hand-written SVG (pure): requests/s and p99 latency of `POST /event` against connections, beside
// the bare express app, and the events/s of `POST /events` and gRPC beside the Kafka limit.
import { httpLimit, type BenchResults, type HttpPoint } from './results.js';
import { LOW_LOAD_ROW, renderLowLoadRow } from './chart-low-load.js';
import { COLORS, frame, niceStep, PANEL, polyline, round1, short, text } from './svg.js';

export { niceStep } from './svg.js';

const WIDTH = 1020;
const HEIGHT = 400;

export function renderChart(results: BenchResults): string {
  const limitConnections = (results.settings as { limitConnections: number }).limitConnections;
  const sidecar = results.sidecar.event;
  const bare = results.limits.http;
  const connections = [...new Set([...sidecar, ...bare].map((p) => p.connections))].sort((a, b) => a - b);
  const y0 = PANEL.top + PANEL.height;
  const out: string[] = [];

  // x: connections on a log2 scale, so 1, 16, 64 and 256 spread evenly enough to read.
  const logMin = Math.log2(connections[0] ?? 1);
  const logMax = Math.log2(connections[connections.length - 1] ?? 2);
  const xOf = (x0: number, c: number): number =>
    x0 + 16 + ((Math.log2(c) - logMin) / Math.max(1, logMax - logMin)) * (PANEL.width - 32);
  const xTicks = (x0: number) => connections.map((c) => ({ x: xOf(x0, c), label: String(c) }));

  // Panel 1: requests/s.
  {
    const x0 = 80;
    const max = Math.max(1, ...[...sidecar, ...bare].map((p) => p.requestsPerSecond.median).filter(Number.isFinite));
    const step = niceStep(max * 1.1);
    const top = Math.ceil((max * 1.1) / step) * step;
    const yOf = (v: number) => y0 - (v / top) * PANEL.height;
    const ticks = [];
    for (let v = 0; v <= top + step / 2; v += step) ticks.push({ y: yOf(v), label: short(v) });
    out.push(...frame({ x0, label: 'connections' }, 'requests/s (2xx)', ticks, xTicks(x0)));
    const series = (points: HttpPoint[]) =>
      points.map((p) => ({ x: xOf(x0, p.connections), y: yOf(p.requestsPerSecond.median) }));
    out.push(...polyline(series(bare), COLORS.bare, true));
    out.push(...polyline(series(sidecar), COLORS.sidecar));
    for (const p of sidecar) {
      out.push(
        text(
          xOf(x0, p.connections),
          yOf(p.requestsPerSecond.median) - 8,
          short(p.requestsPerSecond.median),
          'text-anchor="middle" class="value"',
        ),
      );
    }
    const limit = httpLimit(results, limitConnections);
    if (limit) {
      const y = yOf(limit.requestsPerSecond.median * 0.5);
      out.push(
        `<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${round1(y)}" y2="${round1(y)}" stroke="${COLORS.goal}" stroke-dasharray="2 3"/>`,
      );
      const label = `dotted: goal 0.5 × L_http = ${short(limit.requestsPerSecond.median * 0.5)} at ${limitConnections}`;
      out.push(text(x0, PANEL.top - 8, label, `class="note" fill="${COLORS.goal}"`));
    }
  }

  // Panel 2: p99 latency on a log10 scale.
  {
    const x0 = 420;
    const values = [...sidecar, ...bare].flatMap((p) => [p.p99Ms.median]).filter((v) => Number.isFinite(v) && v > 0);
    const lo = 10 ** Math.floor(Math.log10(Math.min(1, ...values)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(100, ...values)));
    const yOf = (v: number) =>
      y0 - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PANEL.height;
    const ticks = [];
    for (let v = lo; v <= hi * 1.001; v *= 10) ticks.push({ y: yOf(v), label: `${short(v)} ms` });
    out.push(...frame({ x0, label: 'connections' }, 'p99 latency (log scale)', ticks, xTicks(x0)));
    const series = (points: HttpPoint[]) => points.map((p) => ({ x: xOf(x0, p.connections), y: yOf(p.p99Ms.median) }));
    out.push(...polyline(series(bare), COLORS.bare, true));
    out.push(...polyline(series(sidecar), COLORS.sidecar));
    for (const p of sidecar) {
      out.push(
        text(
          xOf(x0, p.connections),
          yOf(p.p99Ms.median) - 8,
          short(p.p99Ms.median),
          'text-anchor="middle" class="value"',
        ),
      );
    }
    const y = yOf(50);
    out.push(
      `<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${round1(y)}" y2="${round1(y)}" stroke="${COLORS.goal}" stroke-dasharray="2 3"/>`,
    );
    const label = `dotted: goal ≤ 50 ms at ${limitConnections} connections`;
    out.push(text(x0, PANEL.top - 8, label, `class="note" fill="${COLORS.goal}"`));
  }

  // Panel 3: events/s against the Kafka limit.
  {
    const x0 = 740;
    const bars: { label: string; value: number; color: string; note: string }[] = [];
    const kafka = results.limits.kafka;
    if (kafka) bars.push({ label: 'L_kafka', value: kafka.eventsPerSecond.median, color: COLORS.kafka, note: 'limit' });
    const ev = results.sidecar.events;
    if (ev) {
      bars.push({
        label: 'POST /events',
        value: ev.eventsPerSecond.median,
        color: COLORS.batch,
        note: `${ev.ratioToKafkaLimit.toFixed(2)}× (goal 0.7)`,
      });
    }
    const g = results.sidecar.grpc;
    if (g)
      bars.push({
        label: 'gRPC Log',
        value: g.eventsPerSecond.median,
        color: COLORS.grpc,
        note: `${g.ratioToKafkaLimit.toFixed(2)}× (goal 0.5)`,
      });
    const max = Math.max(1, ...bars.map((b) => b.value).filter(Number.isFinite));
    const step = niceStep(max * 1.15);
    const top = Math.ceil((max * 1.15) / step) * step;
    const yOf = (v: number) => y0 - (v / top) * PANEL.height;
    const ticks = [];
    for (let v = 0; v <= top + step / 2; v += step) ticks.push({ y: yOf(v), label: short(v) });
    out.push(...frame({ x0, label: '' }, 'events/s (acknowledged)', ticks, []));
    out.push(text(x0, PANEL.top - 8, 'POST /events and gRPC against L_kafka', 'class="note" fill="#57606a"'));
    const slot = PANEL.width / Math.max(1, bars.length);
    bars.forEach((b, i) => {
      const x = x0 + i * slot + slot * 0.2;
      const w = slot * 0.6;
      const y = Number.isFinite(b.value) ? yOf(b.value) : y0;
      out.push(
        `<rect x="${round1(x)}" y="${round1(y)}" width="${round1(w)}" height="${round1(y0 - y)}" fill="${b.color}"/>`,
      );
      out.push(text(x + w / 2, y - 18, short(b.value), 'text-anchor="middle" class="value"'));
      out.push(text(x + w / 2, y - 5, b.note, 'text-anchor="middle" class="note" fill="#57606a"'));
      out.push(text(x + w / 2, y0 + 16, b.label, 'text-anchor="middle"'));
    });
  }

  // A second row when the run measured low load (one call in flight, the event-sdk curve).
  const lowLoad = renderLowLoadRow(results, HEIGHT + 40);
  out.push(...lowLoad);
  const height = HEIGHT + (lowLoad.length > 0 ? LOW_LOAD_ROW : 0);

  // Legend and caption.
  const m = results.machine;
  const rounds = (results.settings as { rounds: number }).rounds;
  const legendY = HEIGHT - 22;
  out.push(
    `<line x1="80" x2="110" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${COLORS.sidecar}" stroke-width="2"/>`,
  );
  out.push(text(116, legendY, 'sidecar POST /event'));
  out.push(
    `<line x1="260" x2="290" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${COLORS.bare}" stroke-width="2" stroke-dasharray="6 4"/>`,
  );
  out.push(text(296, legendY, 'bare express 5 (HTTP limit)'));
  out.push(
    text(
      WIDTH - 20,
      legendY,
      `medians of ${rounds} rounds · ${m.cores} cores shared by broker, load and sidecar · ${results.date.slice(0, 10)}`,
      'text-anchor="end" class="note" fill="#57606a"',
    ),
  );
  const heading =
    `event-sidecar benchmark (${results.mode}): ${m.cpuModel}, ${m.cores} cores, Node ${m.node}, Kafka ${m.kafka}, ` +
    `~${results.payload.meanBytes} B events, acks=-1`;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="11">`,
    '<style>.title{font-size:13px;font-weight:600}.value{font-size:10px;fill:#24292f}.note{font-size:10px}.grid{stroke:#eaeef2}.axis{stroke:#57606a}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    text(20, 26, heading, 'class="title"'),
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
