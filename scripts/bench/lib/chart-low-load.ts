// The second row of the chart (pure), when the run measured low load: p50 and p99 at one call in flight beside raw
// send(), and events/s and CPU per event of gRPC through event-sdk against calls in flight, confirmed beside received.
import type { BenchResults, LoopFigures } from './results.js';
import { COLORS, frame, niceStep, PANEL, polyline, round1, short, text } from './svg.js';

/** Height the row adds to the chart. */
export const LOW_LOAD_ROW = 370;

const goalLine = (x0: number, y: number): string =>
  `<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${round1(y)}" y2="${round1(y)}" stroke="${COLORS.goal}" stroke-dasharray="2 3"/>`;

/** Log10 axis from a power of ten below the smallest value to one above the largest. */
function logAxis(values: number[], y0: number) {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(1, ...finite)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(10, ...finite)));
  const yOf = (v: number) =>
    y0 - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PANEL.height;
  const ticks = [];
  for (let v = lo; v <= hi * 1.001; v *= 10) ticks.push({ y: yOf(v), label: `${short(v)}` });
  return { yOf, ticks };
}

/** Panels of the row whose top is `top`; empty when the run measured neither latency nor the curve. */
export function renderLowLoadRow(results: BenchResults, top: number): string[] {
  const latency = results.sidecar.latency;
  const curve = results.sidecar.curve ?? [];
  if (!latency && curve.length === 0 && !results.sidecar.idle) return [];
  const out: string[] = [];
  const y0 = top + PANEL.height;

  // Panel 1: p50 and p99 at one call in flight (log scale), raw send() beside the sidecar's two paths.
  if (latency) {
    const x0 = 80;
    const bars: { label: string; f: LoopFigures; color: string }[] = [
      { label: 'raw send()', f: latency.send, color: COLORS.kafka },
      ...(latency.grpc ? [{ label: 'gRPC event-sdk', f: latency.grpc, color: COLORS.grpc }] : []),
      ...(latency.http ? [{ label: 'POST /event', f: latency.http, color: COLORS.sidecar }] : []),
    ];
    const { yOf, ticks } = logAxis(
      bars.flatMap((b) => [b.f.p50Ms.median, b.f.p99Ms.median]),
      y0,
    );
    out.push(
      ...frame(
        { x0, label: 'p50 (solid) and p99 (light), ms', top },
        '1 call in flight: latency (log scale)',
        ticks.map((t) => ({ ...t, label: `${t.label} ms` })),
        [],
      ),
    );
    out.push(goalLine(x0, yOf(1)), goalLine(x0, yOf(8)));
    out.push(text(x0, top - 8, 'dotted: goals p50 ≤ 1 ms, p99 ≤ 8 ms', `class="note" fill="${COLORS.goal}"`));
    const slot = PANEL.width / Math.max(1, bars.length);
    bars.forEach((b, i) => {
      const w = slot * 0.3;
      const x = x0 + i * slot + slot * 0.18;
      [b.f.p50Ms.median, b.f.p99Ms.median].forEach((v, j) => {
        const y = Number.isFinite(v) ? yOf(v) : y0;
        const xj = x + j * (w + 2);
        out.push(
          `<rect x="${round1(xj)}" y="${round1(y)}" width="${round1(w)}" height="${round1(y0 - y)}" fill="${b.color}"${j === 1 ? ' fill-opacity="0.45"' : ''}/>`,
        );
        out.push(text(xj + w / 2, y - 4, short(v), 'text-anchor="middle" class="value"'));
      });
      out.push(text(x + w, y0 + 16, b.label, 'text-anchor="middle"'));
    });
  }

  if (curve.length > 0) {
    const inFlight = curve.map((p) => p.inFlight);
    const logMin = Math.log2(inFlight[0] ?? 1);
    const logMax = Math.log2(inFlight[inFlight.length - 1] ?? 2);
    const xOf = (x0: number, n: number) =>
      x0 + 16 + ((Math.log2(n) - logMin) / Math.max(1, logMax - logMin)) * (PANEL.width - 32);
    const xTicks = (x0: number) => inFlight.map((n) => ({ x: xOf(x0, n), label: String(n) }));
    const linear = (values: number[]) => {
      const max = Math.max(1, ...values.filter(Number.isFinite));
      const step = niceStep(max * 1.1);
      const upper = Math.ceil((max * 1.1) / step) * step;
      const yOf = (v: number) => y0 - (v / upper) * PANEL.height;
      const ticks = [];
      for (let v = 0; v <= upper + step / 2; v += step) ticks.push({ y: yOf(v), label: short(v) });
      return { yOf, ticks };
    };
    const panel = (
      x0: number,
      title: string,
      pick: (f: LoopFigures) => number,
      goal?: { value: number; label: string },
    ) => {
      const values = curve.flatMap((p) => [pick(p.confirmed), ...(p.received ? [pick(p.received)] : [])]);
      const { yOf, ticks } = linear([...values, goal?.value ?? 0]);
      out.push(...frame({ x0, label: 'calls in flight (one event-sdk client)', top }, title, ticks, xTicks(x0)));
      const received = curve.flatMap((p) => (p.received ? [{ x: xOf(x0, p.inFlight), y: yOf(pick(p.received)) }] : []));
      out.push(...polyline(received, COLORS.received, true));
      out.push(
        ...polyline(
          curve.map((p) => ({ x: xOf(x0, p.inFlight), y: yOf(pick(p.confirmed)) })),
          COLORS.sidecar,
        ),
      );
      for (const p of curve) {
        const v = pick(p.confirmed);
        out.push(text(xOf(x0, p.inFlight), yOf(v) - 8, short(v), 'text-anchor="middle" class="value"'));
      }
      if (goal) {
        out.push(goalLine(x0, yOf(goal.value)));
        out.push(text(x0, top - 8, goal.label, `class="note" fill="${COLORS.goal}"`));
      }
    };
    panel(420, 'gRPC via event-sdk: events/s', (f) => f.eventsPerSecond.median);
    panel(740, 'sidecar CPU µs per event', (f) => f.cpuUsPerEvent.median, {
      value: 400,
      label: 'dotted: goal ≤ 400 µs at 1 in flight',
    });
    const legendY = y0 + 54;
    out.push(
      `<line x1="420" x2="450" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${COLORS.sidecar}" stroke-width="2"/>`,
    );
    out.push(text(456, legendY, 'ACK_MODE=confirmed'));
    out.push(
      `<line x1="600" x2="630" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${COLORS.received}" stroke-width="2" stroke-dasharray="6 4"/>`,
    );
    out.push(text(636, legendY, 'ACK_MODE=received (answers before Kafka)'));
  }
  const idle = results.sidecar.idle;
  if (idle) {
    const label = `idle sidecar: ${idle.percentOfCore.toFixed(2)} % of a core (goal ≤ 0.5 %)`;
    out.push(text(80, y0 + 54, label, `class="note" fill="${idle.percentOfCore <= 0.5 ? '#57606a' : COLORS.goal}"`));
  }
  return out;
}
