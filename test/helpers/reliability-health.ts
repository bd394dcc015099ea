// The sidecar's /health as the reliability suite watches it: Kafka's status, the spool's depth, and
// when the spool was seen empty again after a fault.
import { sleep, until } from './reliability.js';

export interface HealthSample {
  at: number;
  http: number | string;
  status?: string;
  kafka?: string;
  spoolDepth?: number;
}

/** GET /health, parsed; never rejects. */
export async function sampleHealth(httpPort: number): Promise<HealthSample> {
  const at = Date.now();
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/health`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as {
      status?: string;
      services?: Array<{ name: string; status: string; depth?: number }>;
    };
    const kafka = body.services?.find((s) => s.name === 'kafka')?.status;
    const spoolDepth = body.services?.find((s) => s.name === 'spool')?.depth;
    return {
      at,
      http: res.status,
      ...(body.status === undefined ? {} : { status: body.status }),
      ...(kafka === undefined ? {} : { kafka }),
      ...(spoolDepth === undefined ? {} : { spoolDepth }),
    };
  } catch (err) {
    return { at, http: (err as Error).name };
  }
}

/** Polls /health every 250 ms until stopped; keeps every sample. */
export class HealthWatch {
  readonly samples: HealthSample[] = [];
  private running = true;
  private readonly done: Promise<void>;
  /** The sidecar watched; a restarted sidecar on the same port is watched on. */
  httpPort: number;

  constructor(httpPort: number) {
    this.httpPort = httpPort;
    this.done = this.poll();
  }

  private async poll(): Promise<void> {
    while (this.running) {
      this.samples.push(await sampleHealth(this.httpPort));
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  between(from: number, to: number): HealthSample[] {
    return this.samples.filter((s) => s.at >= from && s.at <= to);
  }
}

/**
 * Waits until the sidecar's spool is empty and Kafka is OK in /health; resolves with when that was
 * first seen (epoch ms).
 */
export async function spoolDrained(httpPort: number, timeoutMs: number): Promise<number> {
  return until(
    'the spool drained (/health: kafka OK, spool depth 0)',
    timeoutMs,
    async () => {
      const h = await sampleHealth(httpPort);
      return h.kafka === 'OK' && (h.spoolDepth ?? 0) === 0 && h.status === 'OK' ? h.at : undefined;
    },
    250,
  );
}
