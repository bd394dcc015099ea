// While the brokers are unreachable: probe them with backoff until a new producer connects.
import { classifyKafkaError, type ProducerError } from './errors.js';
import type { Lane } from './lane.js';

const PROBE_FIRST_MS = 250;
// A probe that fails costs a refused connection; one that comes late keeps events refused (spooled, by the sidecar)
// for seconds after Kafka is back: after an 8 s broker restart a 5 s bound added up to 5 s of that.
const PROBE_MAX_MS = 1000;

export interface ProbeContext {
  /** Whether probing is of no more use: the producer is closing (or, with events that wait, closed). */
  isClosing(): boolean;
  isDown(): boolean;
  lanes(): readonly Lane[];
  noteError(error: ProducerError): void;
  /** A probe connected: the brokers are back. */
  recovered(): void;
}

export class Prober {
  private timer: NodeJS.Timeout | undefined;
  private delay = PROBE_FIRST_MS;
  private nextAt = 0;

  constructor(private readonly ctx: ProbeContext) {}

  /** The wait before the next probe: a fair Retry-After for the events refused meanwhile. */
  get backoffMs(): number {
    return this.delay;
  }

  /** Milliseconds until the next probe is due (negative once it is overdue). */
  get msUntilNext(): number {
    return this.nextAt - Date.now();
  }

  schedule(): void {
    if (this.timer || this.ctx.isClosing()) return;
    const delay = this.delay;
    this.nextAt = Date.now() + delay;
    this.timer = setTimeout(() => void this.probe(), delay);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async probe(): Promise<void> {
    this.timer = undefined;
    if (this.ctx.isClosing() || !this.ctx.isDown()) return;
    // A new producer on one idle lane tells whether the brokers are back; the other lanes replace theirs (marked
    // stale by their failed request) on their next request. A lane with a request in flight keeps its producer.
    const lane = this.ctx.lanes().find((l) => !l.inFlight && !l.producer.replacing);
    if (!lane) {
      this.schedule();
      return;
    }
    try {
      lane.producer.markStale();
      await lane.producer.get();
      this.delay = PROBE_FIRST_MS;
      this.ctx.recovered();
    } catch (e) {
      this.ctx.noteError(classifyKafkaError(e, 'reconnect').error);
      this.delay = Math.min(this.delay * 2, PROBE_MAX_MS);
      this.schedule();
    }
  }
}
