// Releasing what a run started, whatever happened: clients first, then the processes (in parallel, each given its
// grace period to flush and write its profile), the spool directories, the topics, and the Kafka client.
import { rmSync } from 'node:fs';
import type { RawKafka } from '../lib/kafka-load.js';
import type { Resources } from './phase.js';

export async function release(resources: Resources, kafka: RawKafka, log: (message: string) => void): Promise<void> {
  for (const close of resources.closers) {
    try {
      close();
    } catch {
      // Closing a client that never connected: nothing to release.
    }
  }
  await Promise.allSettled(resources.children.map(({ child, graceMs }) => child.stop(graceMs)));
  for (const dir of resources.dirs) rmSync(dir, { recursive: true, force: true });
  await kafka
    .deleteTopics(resources.topics)
    .catch((err: unknown) => log(`could not delete the topics: ${(err as Error).message}`));
  await kafka.close().catch(() => undefined);
}
