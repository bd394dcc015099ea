// Self time per function and per module from a V8 .cpuprofile (node --cpu-prof), pure apart from reading the file.
import { readFileSync } from 'node:fs';
import type { ProfileSummary } from './results.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

/** The package (or runtime part) a script URL belongs to. */
export function moduleOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1]!;
  const own = /packages\/([^/]+)\/(?:dist|src)\//.exec(url);
  if (own) return `@event-sidecar/${own[1]}`;
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
}

function where(frame: CallFrame): string {
  if (!frame.url) return '';
  const url = frame.url.replace(/^file:\/\//, '');
  const nm = url.lastIndexOf('node_modules/');
  const pk = url.lastIndexOf('packages/');
  const tail = nm >= 0 ? url.slice(nm + 'node_modules/'.length) : pk >= 0 ? url.slice(pk) : url;
  return `${tail}:${frame.lineNumber + 1}`;
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfByNode = new Map<number, number>();
  let totalUs = 0;
  // timeDeltas[i] is the gap before sample i: the time spent in sample i is the gap after it.
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + us);
    totalUs += us;
  }
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const byModule = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfByNode) {
    const frame = frames.get(id);
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const name = frame.functionName || '(anonymous)';
    const loc = where(frame);
    const key = `${name} ${loc}`;
    const entry = byFunction.get(key) ?? { name, where: loc, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    const mod = moduleOf(frame);
    byModule.set(mod, (byModule.get(mod) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  return {
    file,
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, share: share(e.us) })),
    byModule: [...byModule.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, us]) => ({ module, selfMs: us / 1000, share: share(us) })),
  };
}

export function renderProfile(summary: ProfileSummary): string {
  const pct = (n: number) => `${(n * 100).toFixed(1)} %`;
  const lines = [
    `CPU profile of the sidecar: ${(summary.busyMs / 1000).toFixed(1)} s busy of ${(summary.totalMs / 1000).toFixed(1)} s; shares of busy time.`,
    '',
    '| module | self ms | share |',
    '| --- | --- | --- |',
    ...summary.byModule.slice(0, 15).map((m) => `| ${m.module} | ${m.selfMs.toFixed(0)} | ${pct(m.share)} |`),
    '',
    '| function | where | self ms | share |',
    '| --- | --- | --- | --- |',
    ...summary.topFunctions.map((f) => `| \`${f.name}\` | ${f.where} | ${f.selfMs.toFixed(0)} | ${pct(f.share)} |`),
    '',
  ];
  return lines.join('\n');
}
