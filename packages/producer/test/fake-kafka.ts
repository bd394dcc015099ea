// A kafkajs client in memory for unit tests of the producer's logic: a log per partition, a producer per lane
// that records its requests, and `onSend` to make a request fail or hang. Real brokers are in test/integration.
import type { Admin, Message, Producer, RecordMetadata } from 'kafkajs';
import { EventProducer, type EventProducerOptions, type KafkaClient } from '../src/index.js';

const TOPIC = 'topic-event';

export type SendHandler = (producer: FakeProducer, messages: Message[]) => Promise<RecordMetadata[]>;

export class FakeProducer {
  connected = false;
  disconnected = false;
  readonly sends: Message[][] = [];
  constructor(
    readonly id: number,
    private readonly fake: FakeKafka,
  ) {}
  async connect(): Promise<void> {
    if (this.fake.connectError) throw this.fake.connectError;
    this.connected = true;
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
  async sendBatch({ topicMessages }: { topicMessages: { topic: string; messages: Message[] }[] }) {
    const messages = topicMessages[0]!.messages;
    this.sends.push(messages);
    this.fake.inFlight++;
    this.fake.maxInFlight = Math.max(this.fake.maxInFlight, this.fake.inFlight);
    try {
      return await this.fake.onSend(this, messages);
    } finally {
      this.fake.inFlight--;
    }
  }
}

/** A broker in memory: a log per partition; `onSend` can be replaced to fail or hang. */
export class FakeKafka implements KafkaClient {
  readonly producers: FakeProducer[] = [];
  readonly logs = new Map<number, Message[]>();
  inFlight = 0;
  maxInFlight = 0;
  connectError: Error | undefined;
  onSend: SendHandler = async (_p, messages) => this.store(messages);
  constructor(readonly partitions = 12) {}

  store(messages: Message[]): RecordMetadata[] {
    const base = new Map<number, number>();
    for (const m of messages) {
      const log = this.logs.get(m.partition!) ?? [];
      this.logs.set(m.partition!, log);
      if (!base.has(m.partition!)) base.set(m.partition!, log.length);
      log.push(m);
    }
    return [...base].map(([partition, offset]) => ({
      topicName: TOPIC,
      partition,
      errorCode: 0,
      baseOffset: String(offset),
    }));
  }
  get stored(): number {
    let n = 0;
    for (const log of this.logs.values()) n += log.length;
    return n;
  }
  producer(): Producer {
    const p = new FakeProducer(this.producers.length + 1, this);
    this.producers.push(p);
    return p as unknown as Producer;
  }
  admin(): Admin {
    return {
      connect: async () => {},
      disconnect: async () => {},
      listTopics: async () => [TOPIC],
      fetchTopicMetadata: async () => ({
        topics: [{ name: TOPIC, partitions: Array.from({ length: this.partitions }, (_, i) => ({ partitionId: i })) }],
      }),
    } as unknown as Admin;
  }
}

export async function connected(fake: FakeKafka, options: Partial<EventProducerOptions> = {}): Promise<EventProducer> {
  const producer = new EventProducer({ brokers: ['fake:9092'], ...options }, { kafka: fake });
  await producer.connect();
  return producer;
}
