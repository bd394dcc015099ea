// One lane's kafkajs producer, and its replacement after a failed request.
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * Holds a lane's current kafkajs producer. After a failed request the outcome is unknown (kafkajs may have rolled
 * back sequence numbers of records the broker did store), so the slot is marked stale and the next request goes
 * through a new producer, with a new producer id: no other record can be mistaken for a duplicate of those.
 */
export class ProducerSlot {
  private current: Producer | undefined;
  private stale = false;
  private ready: Promise<Producer> | undefined;

  constructor(
    private readonly create: () => Producer,
    private readonly log: Logger,
  ) {}

  /** Whether a new producer is being connected. */
  get replacing(): boolean {
    return this.ready !== undefined;
  }

  markStale(): void {
    this.stale = true;
  }

  /** The current producer, replaced by a new connected one when stale (or missing). */
  get(): Promise<Producer> {
    if (this.current && !this.stale) return Promise.resolve(this.current);
    this.ready ??= this.replace().finally(() => {
      this.ready = undefined;
    });
    return this.ready;
  }

  /** Disconnects the producer (waiting for one being connected); the slot is left empty. */
  async close(): Promise<void> {
    const producer = this.current ?? (await this.ready?.catch(() => undefined));
    this.current = undefined;
    if (producer) await producer.disconnect().catch((err: unknown) => this.log.warn({ err }, 'disconnect failed'));
  }

  /** Disconnects without waiting: for slots dropped before anything was sent through them. */
  discard(): void {
    this.current?.disconnect().catch(() => {});
  }

  private async replace(): Promise<Producer> {
    const old = this.current;
    this.current = undefined;
    if (old) {
      // Nothing is in flight on it any more; its sockets may already be dead.
      old.disconnect().catch((err: unknown) => this.log.debug({ err }, 'disconnect of the replaced producer failed'));
    }
    const producer = this.create();
    try {
      await producer.connect();
    } catch (e) {
      producer.disconnect().catch(() => {});
      throw e;
    }
    this.current = producer;
    this.stale = false;
    return producer;
  }
}
