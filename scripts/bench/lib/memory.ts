// Memory of a child process from /proc (Linux): resident set size now (VmRSS) and its peak (VmHWM).
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
