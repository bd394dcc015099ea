// Load shedding: when the event loop runs late, every request already waits behind the ones before it,
// and the server's own timeouts would cut clients off with a reset instead of an answer. Above the bound,
// new events are refused at once (503 with Retry-After), which costs far less than serving them.
import { performance } from 'node:perf_hooks';

export interface LoadMonitor {
  /** True while the event loop's last measured delay exceeded the bound. */
  overloaded(): boolean;
  close(): void;
}

const NEVER: LoadMonitor = { overloaded: () => false, close: () => {} };

/** `maxDelayMs` 0 turns shedding off. The delay is how late a timer of `windowMs` fires. */
export function createLoadMonitor(maxDelayMs: number, windowMs = 250): LoadMonitor {
  if (maxDelayMs <= 0) return NEVER;
  let over = false;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    over = now - last - windowMs > maxDelayMs;
    last = now;
  }, windowMs);
  timer.unref();
  return {
    overloaded: () => over,
    close: () => clearInterval(timer),
  };
}
