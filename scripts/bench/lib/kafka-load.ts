// The Kafka limit: raw kafkajs sendBatch of pre-built messages, as fast as the broker acknowledges them (acks=-1),
// with the producer settings the sidecar's producer uses (idempotent, so one request in flight per broker).
import { Kafka, logLevel, Partitioners, type Admin, type Message, type Producer } from 'kafkajs';
import { closedLoop } from './closed-loop.js';

export type KafkaLoadResult = Awaited<ReturnType<RawKafka['run']>>;

export class RawKafka {
  private readonly kafka: Kafka;
  private admin: Admin | undefined;
  private producer: Producer | undefined;

  constructor(brokers: string[]) {
    this.kafka = new Kafka({ clientId: 'event-sidecar-bench', brokers, logLevel: logLevel.NOTHING });
  }

  async connect(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
  }

  /** Creates `topic` unless it exists; resolves once every partition has a leader. */
  async createTopic(topic: string, partitions: number): Promise<void> {
    const admin = this.requireAdmin();
    // On a busy machine, or a broker just started, kafkajs can give up ("does not host this topic-partition") while
    // the broker is still electing leaders: look at the leaders ourselves, and ask again.
    for (let attempt = 1; ; attempt++) {
      try {
        const spec = { topic, numPartitions: partitions, replicationFactor: 1 };
        await admin.createTopics({ topics: [spec], waitForLeaders: true });
        return;
      } catch (err) {
        const found = await admin
          .fetchTopicMetadata({ topics: [topic] })
          .then((m) => m.topics[0]?.partitions ?? [])
          .catch(() => []);
        if (found.length === partitions && found.every((p) => p.leader >= 0)) return;
        if (attempt >= 30) throw err;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  async deleteTopics(topics: string[]): Promise<void> {
    const existing = new Set(await this.requireAdmin().listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await this.requireAdmin().deleteTopics({ topics: present, timeout: 30_000 });
  }

  /** Records in `topic` (sum over partitions of high minus low watermark). */
  async records(topic: string): Promise<number> {
    const offsets = await this.requireAdmin().fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0);
  }

  /** `sendBatch` of `batches` in turn (all of one size), `concurrency` at once, for `durationS`. */
  async run(topic: string, batches: readonly Message[][], concurrency: number, durationS: number) {
    const producer = await this.connectProducer();
    const send = (i: number) =>
      producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: batches[i % batches.length]! }] });
    const r = await closedLoop(async (i) => void (await send(i)), concurrency, durationS);
    if (r.failed > 0) throw new Error(`sendBatch failed: ${JSON.stringify(r.failures)}`);
    const size = batches[0]?.length ?? 0;
    return { events: r.ok * size, eventsPerSecond: r.okPerSecond * size, batchP50Ms: r.p50Ms, batchP99Ms: r.p99Ms };
  }

  /** One record, acks=-1, as `await producer.send()` of a service that waits for each event: the floor of latency. */
  async sendOne(topic: string, message: Message): Promise<void> {
    const producer = await this.connectProducer();
    await producer.send({ topic, acks: -1, messages: [message] });
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    await this.admin?.disconnect();
  }

  private async connectProducer(): Promise<Producer> {
    if (!this.producer) {
      this.producer = this.kafka.producer({
        idempotent: true,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await this.producer.connect();
    }
    return this.producer;
  }

  private requireAdmin(): Admin {
    if (!this.admin) throw new Error('RawKafka.connect() first');
    return this.admin;
  }
}
