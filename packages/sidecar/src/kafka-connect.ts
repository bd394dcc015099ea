// Connecting to Kafka after start-up. With a spool the sidecar may start while no broker answers (events go
// to disk meanwhile); it then keeps trying to connect in the background, waiting longer after each failure
// up to a bound, so a Kafka that is down for hours is neither hammered nor left unnoticed for long.
import type { Logger } from 'pino';

export interface ConnectBackoff {
  /** Wait after the first failure; default 1000 ms. */
  readonly firstMs: number;
  /** Longest wait between two attempts; default 30 s. */
  readonly maxMs: number;
}

const DEFAULT_CONNECT_BACKOFF: ConnectBackoff = Object.freeze({ firstMs: 1000, maxMs: 30_000 });

/**
 * The wait before attempt `attempt + 1` after `attempt` failed ones (1, 2, ...): doubled each time up to
 * `maxMs`, then spread by up to ±20% (`random` in [0, 1)) so that sidecars restarted together do not
 * knock on the brokers in step.
 */
export function connectDelayMs(attempt: number, backoff: ConnectBackoff, random: number): number {
  const base = Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random)));
}

export interface KeepConnectingOptions {
  /** One attempt (EventProducer.connect). */
  connect: () => Promise<void>;
  /** True once the sidecar is shutting down: no further attempt. */
  stopped: () => boolean;
  /** Called once, after a successful attempt (unless stopped meanwhile). */
  onConnected: () => void;
  logger: Logger;
  backoff?: ConnectBackoff;
  random?: () => number;
}

export interface Reconnecting {
  /** Resolves when connected, or when the loop gave up because the sidecar stopped. */
  readonly done: Promise<void>;
  /** Ends the loop now (its timer is cleared; an attempt in flight is left to finish). */
  stop(): void;
}

/**
 * Retries `connect` until it succeeds or the sidecar stops. The first attempt is made after the first wait
 * (the caller has just seen one fail). Its timer does not hold the process open.
 */
export function keepConnecting(options: KeepConnectingOptions): Reconnecting {
  const backoff = options.backoff ?? DEFAULT_CONNECT_BACKOFF;
  const random = options.random ?? Math.random;
  const { logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let stopped = false;
  const isStopped = () => stopped || options.stopped();

  const done = (async () => {
    for (let attempt = 1; !isStopped(); attempt += 1) {
      const delay = connectDelayMs(attempt, backoff, random());
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, delay);
        timer.unref();
      });
      timer = wake = undefined;
      if (isStopped()) return;
      try {
        await options.connect();
      } catch (err) {
        if (isStopped()) return;
        logger.warn(
          { err, attempt, retryInMs: connectDelayMs(attempt + 1, backoff, 0.5) },
          'Kafka still unavailable; events are spooled meanwhile',
        );
        continue;
      }
      if (isStopped()) return;
      logger.info({ attempts: attempt + 1 }, 'connected to Kafka; delivering the spool');
      options.onConnected();
      return;
    }
  })();

  return {
    done,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
    },
  };
}
