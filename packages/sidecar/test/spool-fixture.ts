// An ingress with a real spool in a temporary directory, over a stand-in publisher: what the unit tests
// of spooling share. The directory and the spool are removed when the test ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { validateEvent } from '@event-sidecar/contract';
import { createIngress, type Publisher } from '../src/ingress.js';
import { createMetrics } from '../src/metrics.js';
import { createSpool } from '../src/spool/index.js';

export function ingressWithSpool(t: { after(fn: () => unknown): void }, producer: Publisher, maxBytes = 1 << 20) {
  const dir = mkdtempSync(join(tmpdir(), 'ingress-spool-'));
  const registry = new Registry();
  const spool = createSpool(
    { dir, maxBytes, lingerMs: 1, sync: 'normal' },
    { producer, logger: pino({ level: 'silent' }), registry },
  );
  t.after(async () => {
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const metrics = createMetrics(registry, { processMetrics: false });
  return { spool, ingress: createIngress({ producer, validate: validateEvent, metrics, spool }) };
}
