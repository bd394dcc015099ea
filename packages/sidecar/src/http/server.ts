// HTTP as one of the sidecar's transports: a node:http server whose requests pass admission, then the
// fast path (the common event requests), then the express app (everything else). Started once Kafka is
// reachable, closed before the producer is flushed, within the sidecar's shutdown deadline.
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Admission } from '../admission.js';
import type { SidecarConfig } from '../config.js';
import type { Transport } from '../transport.js';
import type { FastPath } from './fast-path.js';

/** How often the server looks for requests past their headers or request timeout. */
const TIMEOUT_SWEEP_MS = 500;
/**
 * Connections the kernel completes before the server accepts them (the kernel caps it at
 * net.core.somaxconn). Node's default, 511, overflows when thousands of clients connect while the
 * event loop is busy: SYNs are then dropped, clients wait seconds between retries, and a connection
 * the kernel gives up on is reset.
 */
const LISTEN_BACKLOG = 4096;

export interface HttpTransport extends Transport {
  readonly server: Server;
  /** The port listened on once started (useful with HTTP_PORT=0); before that, the configured one. */
  readonly port: number;
  /** Requests whose answer is not finished yet. */
  readonly inFlight: number;
}

export interface HttpTransportDeps {
  config: SidecarConfig;
  admission: Pick<Admission, 'admitHttp'>;
  /** Answers the common event requests, or returns false. */
  fastPath: FastPath;
  /** The express app: every request the fast path leaves. */
  app: RequestListener;
}

/** Applies the configured HTTP server timeouts. */
function applyServerTimeouts(server: Server, config: SidecarConfig): void {
  server.requestTimeout = config.http.requestTimeoutMs;
  server.headersTimeout = config.http.headersTimeoutMs;
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
}

export function createHttpTransport(deps: HttpTransportDeps): HttpTransport {
  const { config, admission, fastPath, app } = deps;
  // Node enforces headersTimeout and requestTimeout from a periodic sweep, every 30 s unless told
  // otherwise: a client trickling bytes would hold its connection up to 30 s past HTTP_*_TIMEOUT_MS.
  const server = createServer({ connectionsCheckingInterval: TIMEOUT_SWEEP_MS }, (req, res) => {
    if (admission.admitHttp(req, res) && !fastPath(req, res)) void app(req, res);
  });
  applyServerTimeouts(server, config);

  // Answers still being computed when shutdown starts must close their connection afterwards,
  // or a keep-alive client would hold the server open until the bound.
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  const quiesce = (): void => {
    for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
  };
  const openConnections = () =>
    new Promise<number>((resolve) => server.getConnections((err, count) => resolve(err ? 0 : count)));

  return {
    name: 'http',
    server,
    get port() {
      const address = server.address() as AddressInfo | null;
      return address?.port ?? config.http.port;
    },
    get inFlight() {
      return inFlight.size;
    },
    start: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: config.http.port, host: config.http.host, backlog: LISTEN_BACKLOG }, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    quiesce,
    busy: async () => server.listening && (await openConnections()) > 0,
    /** Stops listening, closes the idle connections and waits for the answers in flight. */
    close: (deadline) =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        quiesce();
        const timer = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now()));
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
