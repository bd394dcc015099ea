// The brokers of a standalone benchmark script: KAFKA_BROKERS, or a throwaway broker it is run again under.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The brokers a standalone benchmark script runs against. When KAFKA_BROKERS is unset the script runs
 * again under scripts/with-kafka.sh (a throwaway broker, always stopped) and this process exits with its code.
 */
export function benchBrokers(scriptUrl: string): string[] {
  if (!process.env.KAFKA_BROKERS?.trim()) {
    const withKafka = fileURLToPath(new URL('../../with-kafka.sh', import.meta.url));
    const child = spawnSync(
      withKafka,
      [process.execPath, '--import', 'tsx', fileURLToPath(scriptUrl), ...process.argv.slice(2)],
      {
        stdio: 'inherit',
      },
    );
    process.exit(child.status ?? 1);
  }
  return process.env.KAFKA_BROKERS.split(',').map((b) => b.trim());
}
