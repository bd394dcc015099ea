// The kafkajs client and the lanes' producers, configured as the producer needs them.
import { Kafka, type Admin, type AdminConfig, type Producer, type ProducerConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { ProducerError } from './errors.js';
import { fixRequestQueueTimers, noDelaySocketFactory, poolEncoderBuffers } from './kafkajs-fixes.js';
import { kafkaLogCreator, kafkaLogLevel } from './kafka-log.js';
import { PRODUCER_DEFAULTS, produceRetryFor, type ResolvedOptions } from './options.js';

/** The part of a kafkajs client the producer uses. */
export interface KafkaClient {
  producer(config: ProducerConfig): Producer;
  admin(config?: AdminConfig): Admin;
}

/** Not part of the options (not validated, not documented): lets unit tests drive the logic with a fake client. */
export interface EventProducerInternals {
  kafka?: KafkaClient;
}

/** Connection attempts inside one request; a produce request itself retries (produceRetryFor). */
export const CONNECT_RETRY = Object.freeze({ retries: 2, initialRetryTime: 100, maxRetryTime: 1000 });

export function createKafkaClient(opts: ResolvedOptions, log: Logger): KafkaClient {
  fixRequestQueueTimers();
  poolEncoderBuffers();
  return new Kafka({
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    ssl: opts.ssl,
    // A copy: kafkajs caches its authentication provider on this object, and ours is frozen.
    sasl: opts.sasl ? ({ ...opts.sasl } as SASLOptions) : undefined,
    connectionTimeout: opts.connectionTimeoutMs,
    requestTimeout: opts.requestTimeoutMs,
    retry: { ...CONNECT_RETRY },
    logLevel: kafkaLogLevel(log),
    logCreator: kafkaLogCreator(log),
    socketFactory: noDelaySocketFactory,
  });
}

/** A new (unconnected) kafkajs producer for a lane. */
export function createLaneProducer(kafka: KafkaClient, opts: ResolvedOptions): Producer {
  return kafka.producer({
    idempotent: opts.idempotent,
    allowAutoTopicCreation: false,
    // Each message carries the partition chosen by our strategy.
    createPartitioner: () => (args) => {
      const partition = args.message.partition;
      if (partition === undefined) throw new ProducerError('UNKNOWN', 'message without a partition');
      return partition;
    },
    retry: produceRetryFor(
      opts.whenUnavailable === 'wait'
        ? Math.min(opts.publishTimeoutMs, PRODUCER_DEFAULTS.publishTimeoutMs)
        : opts.publishTimeoutMs,
    ),
  });
}
