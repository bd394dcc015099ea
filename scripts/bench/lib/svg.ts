// SVG primitives of the benchmark's charts (pure): panels with axes and grid, lines, labels.

export const PANEL = { top: 70, height: 250, width: 260 };
export const COLORS = {
  sidecar: '#1f6feb',
  bare: '#8b949e',
  goal: '#d1242f',
  kafka: '#6e7781',
  batch: '#1a7f37',
  grpc: '#8250df',
  received: '#bf8700',
};

export const esc = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export const round1 = (n: number): string => (Math.round(n * 10) / 10).toString();

export function short(n: number): string {
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

export interface Axis {
  x0: number;
  label: string;
  /** Top of the panel; PANEL.top by default. */
  top?: number;
}

export function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${round1(x)}" y="${round1(y)}" ${attrs}>${esc(content)}</text>`;
}

export function frame(
  axis: Axis,
  title: string,
  yTicks: { y: number; label: string }[],
  xTicks: { x: number; label: string }[],
) {
  const { x0 } = axis;
  const top = axis.top ?? PANEL.top;
  const y0 = top + PANEL.height;
  const out: string[] = [];
  out.push(text(x0, top - 24, title, 'class="title"'));
  for (const t of yTicks) {
    out.push(`<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${round1(t.y)}" y2="${round1(t.y)}" class="grid"/>`);
    out.push(text(x0 - 6, t.y + 4, t.label, 'text-anchor="end"'));
  }
  for (const t of xTicks) out.push(text(t.x, y0 + 16, t.label, 'text-anchor="middle"'));
  out.push(`<line x1="${x0}" x2="${x0}" y1="${top}" y2="${y0}" class="axis"/>`);
  out.push(`<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${y0}" y2="${y0}" class="axis"/>`);
  out.push(text(x0 + PANEL.width / 2, y0 + 34, axis.label, 'text-anchor="middle"'));
  return out;
}

export function polyline(points: { x: number; y: number }[], color: string, dashed = false): string[] {
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
