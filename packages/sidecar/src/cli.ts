#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { loadConfig } from './config.js';
import { startSidecar } from './server.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

try {
  const config = loadConfig();
  const sidecar = await startSidecar(config, version);
  console.log(JSON.stringify({ msg: 'event-sidecar listening', port: sidecar.port, version }));
  const stop = (): void => {
    void sidecar.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
