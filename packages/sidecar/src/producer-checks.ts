// The producer's own option checks, asked about one setting at a time so that a refusal can be reported under
// the environment variable that caused it.
import { checkProducerOptions, isProducerError, type EventProducerOptions } from '@event-sidecar/producer';

/** Any broker the producer accepts, for checks of another option. */
const A_BROKER = 'localhost:9092';

/** Whether the producer accepts `options` (INVALID_OPTIONS: no; any other error is a bug and thrown). */
export function producerAccepts(options: Partial<EventProducerOptions>): boolean {
  try {
    checkProducerOptions({ brokers: [A_BROKER], ...options });
    return true;
  } catch (err) {
    if (isProducerError(err) && err.code === 'INVALID_OPTIONS') return false;
    throw err;
  }
}
