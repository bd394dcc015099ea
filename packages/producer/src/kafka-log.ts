// Routes kafkajs's own logging into the producer's pino logger.
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

// We bound kafkajs's retries on purpose (publishTimeoutMs) and replace the producer after any failed send,
// so that the idempotent producer never reuses sequence numbers of a request with an unknown outcome.
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer may invalidate EoS guarantees'];

/** The kafkajs level matching a pino logger's level: kafkajs is chatty below WARN. */
export function kafkaLogLevel(logger: Logger): logLevel {
  const level = logger.levelVal;
  if (level <= 20) return logLevel.DEBUG;
  return level <= 50 ? logLevel.WARN : logLevel.NOTHING;
}

/**
 * kafkajs's ERROR lines come from attempts it retries (and reports to us when it gives up, which we log
 * ourselves), so they are logged at warn.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      if (EXPECTED_WARNINGS.includes(message)) return;
      const fields = { kafkajs: namespace, ...extra };
      switch (level) {
        case logLevel.ERROR:
        case logLevel.WARN:
          logger.warn(fields, message);
          break;
        case logLevel.INFO:
          logger.info(fields, message);
          break;
        default:
          logger.debug(fields, message);
      }
    };
}
