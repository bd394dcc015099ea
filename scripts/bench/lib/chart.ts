// The results as a hand-written SVG (pure): requests/s and p99 latency of `POST /event` against connections, beside
// the bare express app, and the events/s of `POST /events` and gRPC beside the Kafka limit.
import { httpLimit, type BenchResults, type HttpPoint } from './results.js';

const WIDTH = 1020;
const HEIGHT = 400;
const PANEL = { top: 70, height: 250, width: 260 };
const COLORS = {
  sidecar: '#1f6feb',
  bare: '#8b949e',
  goal: '#d1242f',
  kafka: '#6e7781',
  batch: '#1a7f37',
  grpc: '#8250df',
};

const esc = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const round1 = (n: number): string => (Math.round(n * 10) / 10).toString();

function short(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (n >= 10_000) return `${round1(n / 1000)}k`;
  if (n >= 100) return Math.round(n).toString();
  return round1(n);
}

/** A round step giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= raw);
  return step ?? 10 * magnitude;
}

interface Axis {
  x0: number;
  label: string;
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${round1(x)}" y="${round1(y)}" ${attrs}>${esc(content)}</text>`;
}

function frame(
  axis: Axis,
  title: string,
  yTicks: { y: number; label: string }[],
  xTicks: { x: number; label: string }[],
) {
  const { x0 } = axis;
  const y0 = PANEL.top + PANEL.height;
  const out: string[] = [];
  out.push(text(x0, PANEL.top - 24, title, 'class="title"'));
  for (const t of yTicks) {
    out.push(`<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${round1(t.y)}" y2="${round1(t.y)}" class="grid"/>`);
    out.push(text(x0 - 6, t.y + 4, t.label, 'text-anchor="end"'));
  }
  for (const t of xTicks) out.push(text(t.x, y0 + 16, t.label, 'text-anchor="middle"'));
  out.push(`<line x1="${x0}" x2="${x0}" y1="${PANEL.top}" y2="${y0}" class="axis"/>`);
  out.push(`<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${y0}" y2="${y0}" class="axis"/>`);
  out.push(text(x0 + PANEL.width / 2, y0 + 34, axis.label, 'text-anchor="middle"'));
  return out;
}

function polyline(points: { x: number; y: number }[], color: string, dashed = false): string[] {
  const finite = points.filter((p) => Number.isFinite(p.y));
  if (finite.length === 0) return [];
  const out = [
    `<polyline fill="none" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ''} points="${finite
      .map((p) => `${round1(p.x)},${round1(p.y)}`)
      .join(' ')}"/>`,
  ];
  for (const p of finite) out.push(`<circle cx="${round1(p.x)}" cy="${round1(p.y)}" r="3.5" fill="${color}"/>`);
  return out;
}

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
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="11">`,
    '<style>.title{font-size:13px;font-weight:600}.value{font-size:10px;fill:#24292f}.note{font-size:10px}.grid{stroke:#eaeef2}.axis{stroke:#57606a}</style>',
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(20, 26, heading, 'class="title"'),
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
