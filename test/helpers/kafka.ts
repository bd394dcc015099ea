import { randomBytes } from 'node:crypto';

/** Brokers of the broker this run uses; scripts/with-kafka.sh sets KAFKA_BROKERS. */
export function testBrokers(): string[] {
  const value = process.env.KAFKA_BROKERS?.trim();
  if (!value) throw new Error('KAFKA_BROKERS is not set: run integration tests through scripts/with-kafka.sh');
  return value.split(',').map((b) => b.trim());
}

/** A topic name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
