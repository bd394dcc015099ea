import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SidecarConfig } from './config.js';

export interface RunningSidecar {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the HTTP side; resolves once it listens. */
export async function startSidecar(config: SidecarConfig, version: string): Promise<RunningSidecar> {
  const startTime = new Date();
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'OK',
          uptime: process.uptime(),
          startTime: startTime.toISOString(),
          versionNumber: version,
          services: [],
        }),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errorInformation: { errorCode: '3002', errorDescription: 'Unknown URI' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.httpPort, config.httpHost, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
