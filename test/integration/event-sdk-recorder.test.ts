// EventSdkRecorder against the SDK's own direct mode: the same events, driven by the SDK's Span API, recorded once
// through our recorder (EventProducer with per-type topics, kafkajs) and once through @mojaloop/event-sdk's Kafka
// recorder (central-services-stream, node-rdkafka), both read back from the broker: each on its type's topic, at
// the same partition, with the same key and the same value bytes (protocol.createdAt aside).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { EventProducer } from '@event-sidecar/producer';
import { EventSdkRecorder, type RecorderResponse } from '@event-sidecar/producer/event-sdk';
import { testBrokers, uniqueName } from '../helpers/kafka.js';
import { javaDefaultPartition } from '../helpers/partition-oracle.js';
import {
  SDK_TOPICS,
  createSdkTopics,
  disconnectSdkProducers,
  readRaw,
  sdkKafkaConfig,
  type RawRecord,
} from '../helpers/sdk-direct.js';

// The SDK reads its configuration (rc 'EVENT_SDK') once, when loaded: keep its console echo quiet.
process.env.EVENT_SDK_LOG_FILTER = 'none:none';
const sdk = await import('@mojaloop/event-sdk');
const {
  Tracer,
  AuditEventAction,
  DefaultSidecarRecorder,
  EventLoggingServiceClient,
  EventMessage,
  EventStateMetadata,
} = sdk;
type SdkEvent = InstanceType<typeof EventMessage>;

/** The value with its publish time zeroed: the one field that differs between two writers. */
const withoutCreatedAt = (value: Buffer): Buffer =>
  Buffer.from(value.toString('utf8').replace(/"protocol\.createdAt":\d+/, '"protocol.createdAt":0'), 'utf8');

const idOf = (record: RawRecord): string => (JSON.parse(record.value.toString('utf8')) as { id: string }).id;

/** Events whose content exercises the serializer: key order, escapes, non-ASCII, numbers, nulls, arrays. */
function edgeEvents(traceId: string, parentSpanId: string): SdkEvent[] {
  const base = (type: 'application/json' | 'text/plain', content: unknown, eventType = 'log', action = 'info') =>
    new EventMessage({
      id: randomUUID(),
      from: 'payerfsp',
      to: 'payeefsp',
      pp: 'session "1"',
      type,
      content,
      metadata: {
        event: {
          id: randomUUID(),
          type: eventType,
          action,
          createdAt: new Date().toISOString(),
          state: { status: 'failed', code: 3100, description: 'validation failed: "amount" < 0' },
          responseTo: randomUUID(),
        },
        trace: {
          service: 'sdk-direct-it',
          traceId,
          spanId: '00f067aa0ba902b7',
          parentSpanId,
          sampled: 0,
          flags: 1,
          startTimestamp: new Date().toISOString(),
          tags: { zeta: 'z', alpha: 'a', transactionId: randomUUID(), ünï: 'cödé' },
        },
      },
    } as never);
  return [
    base('application/json', {
      z: 1,
      a: { y: [3, null, { b: true, a: false }], x: 'line\nbreak\ttab "quote" \\ back' },
      '10': 'numeric key',
      '2': 'another',
      emoji: '💸 €100,50',
      control: '\u0001\u001f\u2028\u2029',
      big: 9007199254740991,
      float: -0.000001,
      empty: {},
      list: [],
    }),
    base('text/plain', 'plain text, ünïcode, "quoted"', 'audit', 'egress'),
    base('application/json', { payload: 'a trace' }, 'trace', 'span'),
  ];
}

test("records through EventSdkRecorder land like the SDK direct mode's: type topic, partition, bytes", async (t) => {
  await createSdkTopics(3);
  const prefix = uniqueName('it-sdk-recorder');
  const ourTopic = (type: string) => `${prefix}-${type}`;
  const producer = new EventProducer({
    brokers: testBrokers(),
    topicStrategy: 'per-type',
    topicTemplate: `${prefix}-{type}`,
    createTopic: { partitions: 3 },
    clientId: uniqueName('it-sdk-recorder'),
    whenUnavailable: 'wait',
  });
  await producer.connect();
  t.after(() => producer.close());
  t.after(() => disconnectSdkProducers());

  const ours = new EventSdkRecorder(producer);
  // Exactly what the SDK's Span module builds when EVENT_SDK_KAFKA is set.
  const theirs = new DefaultSidecarRecorder(new EventLoggingServiceClient('unused', 0, sdkKafkaConfig() as never));

  const recorded: SdkEvent[] = [];
  const outcomes: Array<[RecorderResponse, unknown]> = [];
  // Ours first: it serializes within the call, before the SDK's producer adds protocol.createdAt to the
  // event's metadata object (central-services-stream writes it into the caller's event).
  const tee = {
    recorder: () => null,
    preProcess: (event: SdkEvent) => event,
    async record(event: SdkEvent): Promise<RecorderResponse> {
      recorded.push(event);
      const both = await Promise.all([ours.record(event, false), theirs.record(event, false)]);
      outcomes.push(both);
      return both[0];
    },
  };

  // The Span API as a service uses it, with the tee as its recorder.
  const parent = Tracer.createSpan('sdk-direct-parent', { transactionId: randomUUID() }, { defaultRecorder: tee });
  const child = parent.getChild('sdk-direct-child');
  child.setTags({ transactionAction: 'prepare' });
  for (const action of Object.values(AuditEventAction)) await child.audit({ step: `audit-${action}` }, action);
  await child.info('an info line');
  await child.debug({ detail: 'debugging', nested: { b: 2, a: 1 } });
  await child.warning({ warning: 'careful' });
  await child.error(new Error('boom'), EventStateMetadata.failed(3100, 'validation failed'));
  // Span#trace is public JavaScript that the SDK's typings mark private.
  await (child as unknown as { trace(): Promise<unknown> }).trace();
  await child.finish();
  await parent.finish('parent done');
  const { traceId, spanId } = parent.getContext();
  for (const event of edgeEvents(traceId, spanId)) await tee.record(event);

  assert.ok(recorded.length >= 12, `${recorded.length} events recorded`);
  for (const [a, b] of outcomes) {
    assert.deepEqual(a, { status: 'accepted' });
    assert.deepEqual(b, { status: 'accepted' }, 'the SDK accepted it too');
  }
  const ids = new Set(recorded.map((e) => e.id));
  const complete = (records: RawRecord[]) => ids.size === new Set(records.map(idOf).filter((id) => ids.has(id))).size;
  const [mine, reference] = await Promise.all([
    readRaw(['log', 'audit', 'trace'].map(ourTopic), complete),
    readRaw(SDK_TOPICS, complete),
  ]);

  const byId = (records: RawRecord[]) => new Map(records.filter((r) => ids.has(idOf(r))).map((r) => [idOf(r), r]));
  const ourRecords = byId(mine);
  const sdkRecords = byId(reference);
  for (const event of recorded) {
    const type = String(event.metadata!.event!.type);
    const a = ourRecords.get(event.id)!;
    const b = sdkRecords.get(event.id)!;
    assert.equal(b.topic, `topic-event-${type}`, 'the SDK writes each type to its own topic');
    assert.equal(a.topic, ourTopic(type), 'so does the recorder');
    assert.equal(a.partition, javaDefaultPartition(traceId, 3), 'murmur2 of the trace id');
    assert.equal(a.partition, b.partition, "the partition librdkafka's murmur2_random chose");
    assert.equal(a.key, traceId);
    assert.equal(a.key, b.key, `key of ${type} ${event.id}`);
    assert.equal(
      withoutCreatedAt(a.value).toString('utf8'),
      withoutCreatedAt(b.value).toString('utf8'),
      `value of ${type} ${event.id}`,
    );
    assert.ok(withoutCreatedAt(a.value).equals(withoutCreatedAt(b.value)), 'the same bytes');
  }
});
