// The Kafka limit: raw kafkajs sendBatch of pre-built messages, as fast as the broker acknowledges them (acks=-1),
// with the producer settings the sidecar's producer uses (idempotent, so one request in flight per broker).
import { Kafka, logLevel, Partitioners, type Admin, type Message, type Producer } from 'kafkajs';
import { percentile } from './stats.js';

export interface KafkaLoadResult {
  concurrency: number;
  batchSize: number;
  seconds: number;
  events: number;
  eventsPerSecond: number;
  batchP50Ms: number;
  batchP99Ms: number;
}

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

  async run(
    topic: string,
    batches: readonly Message[][],
    concurrency: number,
    durationS: number,
  ): Promise<KafkaLoadResult> {
    const producer = await this.connectProducer();
    const latencies: number[] = [];
    let events = 0;
    let next = 0;
    const started = performance.now();
    const deadline = started + durationS * 1000;
    const worker = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const messages = batches[next++ % batches.length]!;
        const t0 = performance.now();
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
        latencies.push(performance.now() - t0);
        events += messages.length;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    return {
      concurrency,
      batchSize: batches[0]?.length ?? 0,
      seconds,
      events,
      eventsPerSecond: events / seconds,
      batchP50Ms: percentile(latencies, 50),
      batchP99Ms: percentile(latencies, 99),
    };
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
