// Is any broker reachable at all? The producer learns of an outage only from a failing request,
// so an idle sidecar would report a stopped Kafka as healthy. Health therefore also opens a TCP
// connection to the bootstrap brokers (cached briefly, so probes cannot amplify into a storm of
// connections). It proves the port answers, not that Kafka serves: the producer's own state
// covers the rest.
import { connect } from 'node:net';

export interface ProbeResult {
  readonly reachable: boolean;
  /** Why no broker answered, when none did. */
  readonly error?: string;
  readonly at: Date;
}

export interface BrokerProbe {
  check(): Promise<ProbeResult>;
}

/** `host:port` or `[v6]:port` -> host and port. */
export function splitBroker(broker: string): { host: string; port: number } {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(broker.slice(at + 1)) };
}

function tryConnect(broker: string, timeoutMs: number): Promise<void> {
  const { host, port } = splitBroker(broker);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`${broker}: no answer within ${timeoutMs} ms`)));
    socket.once('connect', () => done());
    socket.once('error', (err) => done(new Error(`${broker}: ${err.message}`)));
  });
}

export function createBrokerProbe(
  brokers: readonly string[],
  options: { timeoutMs: number; cacheMs?: number },
): BrokerProbe {
  const cacheMs = options.cacheMs ?? 1000;
  let last: ProbeResult | undefined;
  let running: Promise<ProbeResult> | undefined;

  const run = async (): Promise<ProbeResult> => {
    try {
      await Promise.any(brokers.map((broker) => tryConnect(broker, options.timeoutMs)));
      return { reachable: true, at: new Date() };
    } catch (err) {
      const reasons = (err as AggregateError).errors?.map((e: Error) => e.message) ?? [String(err)];
      return { reachable: false, error: reasons.join('; '), at: new Date() };
    }
  };

  return {
    check() {
      if (last && Date.now() - last.at.getTime() < cacheMs) return Promise.resolve(last);
      running ??= run().then((result) => {
        last = result;
        running = undefined;
        return result;
      });
      return running;
    },
  };
}
