// The order of start and stop. Start: connect the producer (with a spool, Kafka may come later), start the
// replayer, then each transport. Stop: refuse new work while draining what the kernel already accepted,
// close the transports, stop the replayer, then flush and close the producer, all within one deadline.
import { isProducerError } from '@event-sidecar/producer';
import type { Logger } from 'pino';
import type { Admission } from './admission.js';
import type { SidecarConfig } from './config.js';
import { keepConnecting } from './kafka-connect.js';
import type { SidecarProducer } from './producer-views.js';
import { shouldSpool, type Spool } from './spool/spool.js';
import type { Transport } from './transport.js';

/**
 * How long the servers keep listening and reading once shutdown began, answering new requests
 * 503 / UNAVAILABLE with Retry-After: connections the kernel had accepted, and calls a client had
 * already sent, are answered instead of reset. At most a quarter of SHUTDOWN_TIMEOUT_MS; it ends
 * early once no transport holds a connection and nothing was refused for DRAIN_QUIET_MS.
 */
const SHUTDOWN_DRAIN_MS = 1000;
const DRAIN_QUIET_MS = 100;
const DRAIN_POLL_MS = 25;

export interface LifecycleDeps {
  config: SidecarConfig;
  logger: Logger;
  producer: SidecarProducer;
  spool: Spool | undefined;
  admission: Pick<Admission, 'closing' | 'lastRefusedAt' | 'shutDown' | 'close'>;
  /** Started in this order, after Kafka is reachable; the first is the HTTP server. */
  transports: readonly Transport[];
  /** Fields of the start and shutdown log lines. */
  describe: () => { port: number; inFlight: number; version: string };
}

export interface Lifecycle {
  readonly started: boolean;
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createLifecycle(deps: LifecycleDeps): Lifecycle {
  const { config, logger, producer, spool, admission, transports } = deps;
  let started = false;
  let closed: Promise<void> | undefined;

  /**
   * The drain: the servers keep listening and reading, every new request is refused (503 /
   * UNAVAILABLE, Retry-After) and its connection closed. A connection accepted but not read yet
   * when a server stops would otherwise be reset, and a gRPC call in the pipe refused by GOAWAY.
   */
  async function drain(deadline: number): Promise<void> {
    for (const t of transports) t.quiesce?.();
    const end = Math.min(Date.now() + Math.min(SHUTDOWN_DRAIN_MS, config.shutdownTimeoutMs / 4), deadline);
    const anyBusy = async () => (await Promise.all(transports.map((t) => t.busy?.() ?? false))).includes(true);
    while (Date.now() < end) {
      const busy = Date.now() - admission.lastRefusedAt < DRAIN_QUIET_MS || (await anyBusy());
      if (!busy) return;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(DRAIN_POLL_MS, end - Date.now()))));
    }
  }

  async function doClose(): Promise<void> {
    admission.shutDown();
    const deadline = Date.now() + config.shutdownTimeoutMs;
    logger.info({ inFlight: deps.describe().inFlight, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    if (started) await drain(deadline);
    const results = await Promise.allSettled(transports.map((t) => t.close(deadline)));
    for (const r of results) if (r.status === 'rejected') logger.error({ err: r.reason }, 'transport close failed');
    // The replayer needs the producer: it stops (its round delivered or kept) before the producer closes,
    // within half the time left so that the producer keeps the other half to flush.
    if (spool)
      await spool
        .close(deadline - (deadline - Date.now()) / 2)
        .catch((err: unknown) => logger.error({ err }, 'spool close failed'));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      producer.close().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
      }),
    ]).finally(() => clearTimeout(timer));
    admission.close();
    if (timedOut) throw new Error(`shutdown exceeded ${config.shutdownTimeoutMs} ms: events may be lost`);
    logger.info('shut down');
  }

  /**
   * Without a spool a Kafka that cannot be reached fails the start: nothing could take the events, and an
   * operator's mistake (wrong address, missing topic) must show at once. With a spool the sidecar starts
   * anyway when the failure is one the spool is for (Kafka away, as `shouldSpool` judges it): events are
   * spooled, and the connection is retried in the background; once connected the replayer delivers them.
   * Failures that waiting would not cure (refused credentials, a missing topic, too few partitions) still fail
   * the start.
   */
  async function connectAtStart(): Promise<'connected' | 'connecting'> {
    if (!spool) {
      await producer.connect();
      return 'connected';
    }
    try {
      await producer.connect();
      return 'connected';
    } catch (err) {
      // A missing topic is spooled when it happens at run time, but at start it is the operator's mistake.
      if (!shouldSpool(err) || (isProducerError(err) && err.code === 'TOPIC_NOT_FOUND') || admission.closing) throw err;
      logger.warn(
        { err, spooled: spool.stats().events },
        'Kafka is unavailable: starting without it; events are spooled until it connects',
      );
      // Its timer does not hold the process, and it ends by itself once closing: close() needs no part in it.
      keepConnecting({
        connect: () => producer.connect(),
        stopped: () => admission.closing,
        onConnected: () => spool.start(),
        logger,
      });
      return 'connecting';
    }
  }

  return {
    get started() {
      return started;
    },
    async start() {
      if (started) throw new Error('already started');
      started = true;
      const kafka = await connectAtStart();
      // A signal during the connect: close() owns the shutdown, do not start listening behind it.
      if (admission.closing) throw new Error('closed while starting');
      if (kafka === 'connected') spool?.start();
      for (const transport of transports) await transport.start();
      const { port, version } = deps.describe();
      logger.info(
        { port, topic: producer.topic, version, transports: transports.map((t) => t.name), kafka },
        'event-sidecar started',
      );
    },
    close() {
      closed ??= doClose();
      return closed;
    },
  };
}
