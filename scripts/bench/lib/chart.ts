// The results as a hand-written SVG (pure). First row: requests/s and p99 of `POST /event` against connections beside
// the bare express app, and events/s of `POST /events` and gRPC beside L_kafka. Second row, when the run measured low
// load: p50/p99 at one call in flight beside raw send(), and the event-sdk curve (events/s, CPU per event).
import { httpLimit, type BenchResults, type LoopFigures } from './results.js';

const WIDTH = 1020;
const ROW = 400;
const LOW_LOAD_ROW = 370;
const PANEL = { height: 250, width: 260 };
const COLORS = { sidecar: '#1f6feb', bare: '#8b949e', goal: '#d1242f', kafka: '#6e7781', batch: '#1a7f37' };
const GRPC = '#8250df';
const RECEIVED = '#bf8700';
const GREY = '#57606a';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (n: number): string => (Math.round(n * 10) / 10).toString();
const text = (x: number, y: number, content: string, attrs = ''): string =>
  `<text x="${r1(x)}" y="${r1(y)}" ${attrs}>${esc(content)}</text>`;
const hline = (x0: number, y: number, attrs: string): string =>
  `<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${r1(y)}" y2="${r1(y)}" ${attrs}/>`;
const legend = (x: number, y: number, color: string, label: string, dashed = false): string[] => [
  `<line x1="${x}" x2="${x + 30}" y1="${y - 4}" y2="${y - 4}" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
  text(x + 36, y, label),
];

export function short(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (n >= 10_000) return `${r1(n / 1000)}k`;
  return n >= 100 ? Math.round(n).toString() : r1(n);
}

/** A round step giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max / count));
  return [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= max / count) ?? 10 * magnitude;
}

interface Panel {
  x0: number;
  top: number;
  title: string;
  xLabel: string;
  /** A log10 axis (latencies), else linear from 0. */
  log?: boolean;
  goal?: { values: number[]; label: string };
}

/** Axes, grid and title of a panel, and the y scale fitting `values`. */
function axes(p: Panel, values: number[], xTicks: { x: number; label: string }[], unit = '') {
  const y0 = p.top + PANEL.height;
  const finite = [...values, ...(p.goal?.values ?? [])].filter((v) => Number.isFinite(v) && v > 0);
  let yOf: (v: number) => number;
  const ticks: number[] = [];
  if (p.log) {
    const lo = 10 ** Math.floor(Math.log10(Math.min(1, ...finite)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(10, ...finite)));
    yOf = (v) => y0 - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / Math.log10(hi / lo)) * PANEL.height;
    for (let v = lo; v <= hi * 1.001; v *= 10) ticks.push(v);
  } else {
    const max = Math.max(1, ...finite) * 1.15;
    const step = niceStep(max);
    const upper = Math.ceil(max / step) * step;
    yOf = (v) => y0 - (v / upper) * PANEL.height;
    for (let v = 0; v <= upper + step / 2; v += step) ticks.push(v);
  }
  const out = [text(p.x0, p.top - 24, p.title, 'class="title"')];
  for (const v of ticks)
    out.push(
      hline(p.x0, yOf(v), 'class="grid"'),
      text(p.x0 - 6, yOf(v) + 4, `${short(v)}${unit}`, 'text-anchor="end"'),
    );
  for (const t of xTicks) out.push(text(t.x, y0 + 16, t.label, 'text-anchor="middle"'));
  out.push(`<line x1="${p.x0}" x2="${p.x0}" y1="${p.top}" y2="${y0}" class="axis"/>`, hline(p.x0, y0, 'class="axis"'));
  out.push(text(p.x0 + PANEL.width / 2, y0 + 34, p.xLabel, 'text-anchor="middle"'));
  if (p.goal) {
    for (const v of p.goal.values) out.push(hline(p.x0, yOf(v), `stroke="${COLORS.goal}" stroke-dasharray="2 3"`));
    out.push(text(p.x0, p.top - 8, p.goal.label, `class="note" fill="${COLORS.goal}"`));
  }
  return { out, yOf, y0 };
}

interface Line {
  color: string;
  dashed?: boolean;
  /** [x, y] pairs; the values are labelled unless dashed. */
  points: [number, number][];
}

/** Lines against x on a log2 scale (connections, calls in flight). */
function linePanel(p: Panel, lines: Line[], unit = ''): string[] {
  const xs = [...new Set(lines.flatMap((l) => l.points.map(([x]) => x)))].sort((a, b) => a - b);
  const [lo, hi] = [Math.log2(xs[0] ?? 1), Math.log2(xs[xs.length - 1] ?? 2)];
  const xOf = (x: number) => p.x0 + 16 + ((Math.log2(x) - lo) / Math.max(1, hi - lo)) * (PANEL.width - 32);
  const values = lines.flatMap((l) => l.points.map(([, y]) => y));
  const { out, yOf } = axes(
    p,
    values,
    xs.map((x) => ({ x: xOf(x), label: String(x) })),
    unit,
  );
  for (const line of lines) {
    const pts = line.points.filter(([, y]) => Number.isFinite(y)).map(([x, y]) => ({ x: xOf(x), y: yOf(y), v: y }));
    if (pts.length === 0) continue;
    const dash = line.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<polyline fill="none" stroke="${line.color}" stroke-width="2"${dash} points="${pts.map((q) => `${r1(q.x)},${r1(q.y)}`).join(' ')}"/>`,
    );
    for (const q of pts) {
      out.push(`<circle cx="${r1(q.x)}" cy="${r1(q.y)}" r="3.5" fill="${line.color}"/>`);
      if (!line.dashed) out.push(text(q.x, q.y - 8, short(q.v), 'text-anchor="middle" class="value"'));
    }
  }
  return out;
}

interface Bar {
  label: string;
  /** One value, or two (the second lighter: p99 beside p50). */
  values: number[];
  color: string;
  note?: string;
}

function barPanel(p: Panel, bars: Bar[]): string[] {
  const { out, yOf, y0 } = axes(
    p,
    bars.flatMap((b) => b.values),
    [],
    p.log ? ' ms' : '',
  );
  const slot = PANEL.width / Math.max(1, bars.length);
  bars.forEach((b, i) => {
    const w = (slot * 0.6) / b.values.length;
    const x = p.x0 + i * slot + slot * 0.2;
    b.values.forEach((v, j) => {
      const y = Number.isFinite(v) ? yOf(v) : y0;
      const opacity = j === 1 ? ' fill-opacity="0.45"' : '';
      out.push(
        `<rect x="${r1(x + j * w)}" y="${r1(y)}" width="${r1(w - 2)}" height="${r1(y0 - y)}" fill="${b.color}"${opacity}/>`,
      );
      out.push(text(x + j * w + w / 2, y - (b.note ? 18 : 4), short(v), 'text-anchor="middle" class="value"'));
      if (b.note) out.push(text(x + w / 2, y - 5, b.note, `text-anchor="middle" class="note" fill="${GREY}"`));
    });
    out.push(text(x + slot * 0.3, y0 + 16, b.label, 'text-anchor="middle"'));
  });
  return out;
}

/** The second row: one call in flight, and the event-sdk curve; empty when the run measured neither (nor idle). */
function lowLoadRow(results: BenchResults, top: number): string[] {
  const { latency, curve = [], idle } = results.sidecar;
  if (!latency && curve.length === 0 && !idle) return [];
  const out: string[] = [];
  if (latency) {
    const bar = (label: string, f: LoopFigures | undefined, color: string): Bar[] =>
      f ? [{ label, values: [f.p50Ms.median, f.p99Ms.median], color }] : [];
    const bars = [
      ...bar('raw send()', latency.send, COLORS.kafka),
      ...bar('gRPC event-sdk', latency.grpc, GRPC),
      ...bar('POST /event', latency.http, COLORS.sidecar),
    ];
    const goal = { values: [1, 8], label: 'dotted: goals p50 ≤ 1 ms, p99 ≤ 8 ms' };
    const title = '1 call in flight: latency (log scale)';
    out.push(...barPanel({ x0: 80, top, title, xLabel: 'p50 (solid) and p99 (light), ms', log: true, goal }, bars));
  }
  if (curve.length > 0) {
    const xLabel = 'calls in flight (one event-sdk client)';
    const lines = (pick: (f: LoopFigures) => number): Line[] => [
      {
        color: RECEIVED,
        dashed: true,
        points: curve.flatMap((c) => (c.received ? [[c.inFlight, pick(c.received)]] : [])),
      },
      { color: COLORS.sidecar, points: curve.map((c) => [c.inFlight, pick(c.confirmed)]) },
    ];
    out.push(
      ...linePanel(
        { x0: 420, top, title: 'gRPC via event-sdk: events/s', xLabel },
        lines((f) => f.eventsPerSecond.median),
      ),
    );
    const goal = { values: [400], label: 'dotted: goal ≤ 400 µs at 1 in flight' };
    out.push(
      ...linePanel(
        { x0: 740, top, title: 'sidecar CPU µs per event', xLabel, goal },
        lines((f) => f.cpuUsPerEvent.median),
      ),
    );
    const y = top + PANEL.height + 54;
    out.push(
      ...legend(420, y, COLORS.sidecar, 'ACK_MODE=confirmed'),
      ...legend(600, y, RECEIVED, 'ACK_MODE=received (answers before Kafka)', true),
    );
  }
  if (idle) {
    const label = `idle sidecar: ${idle.percentOfCore.toFixed(2)} % of a core (goal ≤ 0.5 %)`;
    out.push(
      text(80, top + PANEL.height + 54, label, `class="note" fill="${idle.percentOfCore <= 0.5 ? GREY : COLORS.goal}"`),
    );
  }
  return out;
}

export function renderChart(results: BenchResults): string {
  const limitConnections = (results.settings as { limitConnections: number }).limitConnections;
  const { event } = results.sidecar;
  const bare = results.limits.http;
  const top = 70;
  const xLabel = 'connections';
  const out: string[] = [];
  const http = (pick: (p: (typeof bare)[number]) => number): Line[] => [
    { color: COLORS.bare, dashed: true, points: bare.map((p) => [p.connections, pick(p)]) },
    { color: COLORS.sidecar, points: event.map((p) => [p.connections, pick(p)]) },
  ];
  const lhttp = httpLimit(results, limitConnections)?.requestsPerSecond.median;
  const rateGoal =
    lhttp === undefined
      ? undefined
      : { values: [lhttp * 0.5], label: `dotted: goal 0.5 × L_http = ${short(lhttp * 0.5)} at ${limitConnections}` };
  out.push(
    ...linePanel(
      { x0: 80, top, title: 'requests/s (2xx)', xLabel, ...(rateGoal ? { goal: rateGoal } : {}) },
      http((p) => p.requestsPerSecond.median),
    ),
  );
  const latencyGoal = { values: [50], label: `dotted: goal ≤ 50 ms at ${limitConnections} connections` };
  out.push(
    ...linePanel(
      { x0: 420, top, title: 'p99 latency (log scale)', xLabel, log: true, goal: latencyGoal },
      http((p) => p.p99Ms.median),
      ' ms',
    ),
  );
  const { kafka } = results.limits;
  const { events, grpc } = results.sidecar;
  const bar = (label: string, eps: number, color: string, note: string): Bar => ({ label, values: [eps], color, note });
  const against = (ratio: number, goal: number) => `${ratio.toFixed(2)}× (goal ${goal})`;
  const bars: Bar[] = [
    ...(kafka ? [bar('L_kafka', kafka.eventsPerSecond.median, COLORS.kafka, 'limit')] : []),
    ...(events
      ? [bar('POST /events', events.eventsPerSecond.median, COLORS.batch, against(events.ratioToKafkaLimit, 0.7))]
      : []),
    ...(grpc ? [bar('gRPC Log', grpc.eventsPerSecond.median, GRPC, against(grpc.ratioToKafkaLimit, 0.5))] : []),
  ];
  out.push(...barPanel({ x0: 740, top, title: 'events/s (acknowledged)', xLabel: '' }, bars));
  out.push(text(740, top - 8, 'POST /events and gRPC against L_kafka', `class="note" fill="${GREY}"`));
  const lowLoad = lowLoadRow(results, ROW + 40);
  out.push(...lowLoad);
  const height = ROW + (lowLoad.length > 0 ? LOW_LOAD_ROW : 0);
  const m = results.machine;
  const rounds = (results.settings as { rounds: number }).rounds;
  out.push(
    ...legend(80, ROW - 22, COLORS.sidecar, 'sidecar POST /event'),
    ...legend(260, ROW - 22, COLORS.bare, 'bare express 5 (HTTP limit)', true),
  );
  const caption = `medians of ${rounds} rounds · ${m.cores} cores shared by broker, load and sidecar · ${results.date.slice(0, 10)}`;
  out.push(text(WIDTH - 20, ROW - 22, caption, `text-anchor="end" class="note" fill="${GREY}"`));
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
