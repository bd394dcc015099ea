// The producer's own option checks, asked about one setting at a time so that a refusal can be reported under
// the environment variable that caused it. The producer exports its checks only through EventProducer's
// constructor, which validates its options and opens nothing (no connection, no timer), hence this detour.
import { EventProducer, isProducerError, type EventProducerOptions } from '@event-sidecar/producer';

/** Any broker the producer accepts, for checks of another option. */
const A_BROKER = 'localhost:9092';

/** Whether the producer accepts `options` (INVALID_OPTIONS: no; any other error is a bug and thrown). */
export function producerAccepts(options: Partial<EventProducerOptions>): boolean {
  try {
    void new EventProducer({ brokers: [A_BROKER], ...options });
    return true;
  } catch (err) {
    if (isProducerError(err) && err.code === 'INVALID_OPTIONS') return false;
    throw err;
  }
}
