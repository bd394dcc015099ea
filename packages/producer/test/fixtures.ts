// Valid events for the producer's unit tests.
import type { EventMessage, EventType, EventActionsByType } from '@event-sidecar/contract';

const ACTION: { [T in EventType]: EventActionsByType[T] } = {
  log: 'info',
  audit: 'default',
  trace: 'span',
  error: 'internal',
};

/** A valid event of `type` in trace `traceId`. */
export function makeEvent<T extends EventType>(
  type: T,
  traceId: string,
  overrides: Partial<EventMessage> = {},
): EventMessage {
  return {
    id: 'aa398930-f210-4dcd-8af0-7c769cea1660',
    from: 'dfsp1',
    to: 'dfsp2',
    type: 'application/json',
    content: { b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } },
    metadata: {
      event: {
        id: '3920382d-f78c-4023-adf9-0d7a4a2a3a2a',
        type,
        action: ACTION[type],
        createdAt: '2024-01-02T03:04:05.678Z',
        state: { status: 'success', code: 0, description: 'action successful' },
      },
      trace: {
        service: 'central-ledger-prepare-handler',
        traceId,
        spanId: '1234567890abcdef',
        sampled: 1,
        flags: 1,
        startTimestamp: '2024-01-02T03:04:05.600Z',
        tags: { transactionId: 'aa398930', transactionType: 'transfer' },
      },
    } as EventMessage['metadata'],
    ...overrides,
  };
}
