// What the ingress and spool unit tests share: a minimal valid event, and an ingress with a real spool in a
// temporary directory over a stand-in publisher.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { validateEvent, type EventMessage } from '@event-sidecar/contract';
import { createIngress } from '../src/ingress.js';
import type { Publisher } from '../src/producer-views.js';
import { createMetrics } from '../src/metrics.js';
import { createSpool } from '../src/spool/spool.js';

/** A minimal valid event: `log`/`info`, or `audit`/`start`, of trace `traceId`. */
export function testEvent(id: string, options: { type?: 'log' | 'audit'; traceId?: string } = {}): EventMessage {
  const type = options.type ?? 'log';
  return {
    id,
    type: 'application/json',
    content: { n: 1 },
    metadata: {
      event: {
        id: `e-${id}`,
        type,
        action: type === 'log' ? 'info' : 'start',
        createdAt: '2026-01-01T00:00:00Z',
        state: { status: 'success' },
      },
      trace: { service: 's', traceId: options.traceId ?? 'a'.repeat(32), spanId: 'b'.repeat(16) },
    },
  } as EventMessage;
}

/** The ingress over `producer`, with a spool in a directory removed (with the spool) when the test ends. */
export function ingressWithSpool(
  t: { after(fn: () => unknown): void },
  producer: Publisher,
  maxBytes = 1 << 20,
  extra: Pick<Parameters<typeof createIngress>[0], 'admission' | 'recordCheck'> = {},
) {
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
  return { spool, registry, ingress: createIngress({ producer, validate: validateEvent, metrics, spool, ...extra }) };
}
