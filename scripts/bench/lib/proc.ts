// A child process seen through /proc (Linux): resident set size now (VmRSS), its peak (VmHWM), and CPU time.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

export interface MemoryReading {
  rssBytes: number;
  peakBytes: number;
}

/** Parses the VmRSS and VmHWM lines of a /proc/<pid>/status text. Exported for tests. */
export function parseProcStatus(text: string): MemoryReading | undefined {
  const kb = (name: string): number | undefined => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  return rss === undefined ? undefined : { rssBytes: rss, peakBytes: hwm ?? rss };
}

export function readMemory(pid: number): MemoryReading | undefined {
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux 4.0+); false when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Watches one process during a phase: the peak comes from VmHWM (reset at the start, so it covers this phase only)
 * and, where the reset is refused, from VmRSS sampled every `intervalMs`.
 */
export class MemoryWatch {
  private readonly timer: NodeJS.Timeout;
  private readonly peakResetWorked: boolean;
  private maxSampled = 0;
  readonly samples: { atMs: number; rssBytes: number }[] = [];
  private readonly startedAt = performance.now();

  constructor(
    private readonly pid: number,
    intervalMs = 250,
  ) {
    this.peakResetWorked = resetPeak(pid);
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const reading = readMemory(this.pid);
    if (!reading) return;
    this.maxSampled = Math.max(this.maxSampled, reading.rssBytes);
    this.samples.push({ atMs: Math.round(performance.now() - this.startedAt), rssBytes: reading.rssBytes });
  }

  /** Stops sampling; the peak RSS of the phase in bytes (NaN if the process could not be read). */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    const reading = readMemory(this.pid);
    const peak = Math.max(this.maxSampled, this.peakResetWorked && reading ? reading.peakBytes : 0);
    return peak > 0 ? peak : Number.NaN;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on nearly every Linux). */
function clockTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}
let ticksPerSecond: number | undefined;

/** User plus system CPU time of a /proc/<pid>/stat line, in ticks. Exported for tests. */
export function parseProcStatTicks(text: string): number | undefined {
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/** CPU time (user + system) the process has used so far, in milliseconds; NaN if it cannot be read. */
export function readCpuMs(pid: number): number {
  try {
    const ticks = parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    ticksPerSecond ??= clockTicks();
    return ticks === undefined ? Number.NaN : (ticks * 1000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}
