// The replicated side of the reliability suite: a three-node Kafka cluster run by
// scripts/kafka-local.sh (KAFKA_NODES=3), topics replicated as production replicates them, and the
// load of services that log through the real @mojaloop/event-sdk client over gRPC plus HTTP clients.
// Its measure is the events the clients LOGGED (every id a client tried, whatever the answer).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
// Types only: the SDK reads its settings when loaded, so the module itself is imported later (loadSdk).
import type * as EventSdk from '@mojaloop/event-sdk';
import { validEvent } from './reliability-events.js';
import { Ledger, runLoad, sendHttp, type LoadReport, type Outcome } from './reliability-load.js';
import { ROOT, until } from './reliability.js';

const KAFKA_LOCAL = join(ROOT, 'scripts/kafka-local.sh');
const NODES = 3;
export const REPLICATION_FACTOR = 3;
export const MIN_INSYNC_REPLICAS = 2;

/**
 * Three KRaft nodes (broker + controller each) in a fresh work dir, stopped and removed after the
 * test. Failure detection is shortened (a fenced broker in 6 s instead of 9, a lagging replica out
 * of the ISR in 10 s instead of 30) so that a case takes a minute, not three.
 */
export class ReliabilityCluster {
  readonly workDir: string;
  brokers: string[] = [];
  private readonly env: NodeJS.ProcessEnv;

  private constructor(workDir: string) {
    this.workDir = workDir;
    this.env = {
      ...process.env,
      KAFKA_NODES: String(NODES),
      KAFKA_WORK_DIR: workDir,
      KAFKA_START_TIMEOUT: process.env.KAFKA_START_TIMEOUT ?? '240',
      KAFKA_STOP_TIMEOUT: '10',
      KAFKA_EXTRA_PROPERTIES: [
        'broker.session.timeout.ms=6000',
        'broker.heartbeat.interval.ms=1000',
        'replica.lag.time.max.ms=10000',
        process.env.KAFKA_EXTRA_PROPERTIES ?? '',
      ]
        .filter(Boolean)
        .join(';'),
    };
    for (const name of ['KAFKA_PORT', 'KAFKA_CONTROLLER_PORT', 'KAFKA_SASL', 'KAFKA_PORTS', 'KAFKA_CONTROLLER_PORTS'])
      delete this.env[name];
  }

  /**
   * Starts a new cluster; resolves once all three nodes serve requests. `after` registers its
   * clean-up (a test's `t.after`, or `after` of a describe block that shares it).
   */
  static async create(
    after: (fn: () => Promise<void>) => void,
  ): Promise<{ cluster: ReliabilityCluster; startMs: number }> {
    const cluster = new ReliabilityCluster(mkdtempSync(join(tmpdir(), 'kafka-cluster-reliability-')));
    after(async () => {
      await cluster.run(['stop']).catch(() => undefined);
      rmSync(cluster.workDir, { recursive: true, force: true });
    });
    const startMs = await cluster.start();
    return { cluster, startMs };
  }

  private run(args: string[]): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(KAFKA_LOCAL, args, { env: this.env, timeout: 300_000 }, (err, stdout, stderr) =>
        err
          ? reject(new Error(`kafka-local.sh ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`))
          : resolve({ stdout, stderr }),
      );
    });
  }

  private async timed(args: string[]): Promise<number> {
    const started = Date.now();
    await this.run(args);
    return Date.now() - started;
  }

  /** Starts every node that is not running (all at once); resolves with the time it took in ms. */
  async start(): Promise<number> {
    const started = Date.now();
    const { stdout } = await this.run(['start']);
    const line = /^KAFKA_BROKERS=(.+)$/m.exec(stdout);
    if (!line) throw new Error(`kafka-local.sh start printed no KAFKA_BROKERS: ${stdout}`);
    this.brokers = line[1]!.trim().split(',');
    return Date.now() - started;
  }

  /** SIGKILL to node n (1-based). */
  killNode(n: number): Promise<number> {
    return this.timed(['kill-node', String(n)]);
  }

  /** SIGTERM to node n: a controlled shutdown. */
  stopNode(n: number): Promise<number> {
    return this.timed(['stop-node', String(n)]);
  }

  /** Starts node n; resolves once it serves requests. */
  startNode(n: number): Promise<number> {
    return this.timed(['start-node', String(n)]);
  }

  /** The node that leads a partition, as `kafka-local.sh leader` names it. */
  async leader(topic: string, partition: number): Promise<number> {
    const { stdout } = await this.run(['leader', topic, String(partition)]);
    const id = Number(stdout.trim());
    if (!Number.isInteger(id) || id < 1) throw new Error(`kafka-local.sh leader printed "${stdout}"`);
    return id;
  }

  /** Nodes whose process runs now. */
  async runningNodes(): Promise<number[]> {
    const { stdout } = await this.run(['status']).catch((err: Error) => ({ stdout: err.message, stderr: '' }));
    return [...stdout.matchAll(/node (\d+) running/g)].map((m) => Number(m[1]));
  }

  kafka(): Kafka {
    return new Kafka({ clientId: 'reliability-cluster-admin', brokers: this.brokers, logLevel: logLevel.NOTHING });
  }

  /** A topic with replication factor 3 and min.insync.replicas 2, its leaders elected. */
  async createTopic(topic: string, partitions: number): Promise<void> {
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      // Leaders are awaited below: kafkajs's own wait asks one broker, which may not know the topic yet.
      await admin.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic,
            numPartitions: partitions,
            replicationFactor: REPLICATION_FACTOR,
            configEntries: [{ name: 'min.insync.replicas', value: String(MIN_INSYNC_REPLICAS) }],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    await until(`leaders for the ${partitions} partitions of ${topic}`, 60_000, async () => {
      const described = await this.describe(topic);
      return described.length === partitions && described.every((p) => p.leader > 0) ? true : undefined;
    });
  }

  /** Per partition: leader, replicas and ISR. */
  async describe(
    topic: string,
  ): Promise<Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>> {
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]!.partitions
        .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
        .sort((a, b) => a.partition - b.partition);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * The node leading the busiest partitions (most records so far) of `topic`: the half of the
   * partitions with the most records are counted by leader, and the node leading most of them wins.
   */
  async busiestLeader(topic: string): Promise<{ node: number; partitions: number[] }> {
    const admin = this.kafka().admin();
    await admin.connect();
    let offsets: Array<{ partition: number; high: string }>;
    try {
      offsets = await admin.fetchTopicOffsets(topic);
    } finally {
      await admin.disconnect();
    }
    const busiest = [...offsets]
      .sort((a, b) => Number(BigInt(b.high) - BigInt(a.high)))
      .slice(0, Math.max(1, Math.ceil(offsets.length / 2)))
      .map((o) => o.partition);
    const byNode = new Map<number, number[]>();
    for (const partition of busiest) {
      const node = await this.leader(topic, partition);
      byNode.set(node, [...(byNode.get(node) ?? []), partition]);
    }
    const [node, partitions] = [...byNode].sort((a, b) => b[1].length - a[1].length)[0]!;
    return { node, partitions };
  }

  /** Waits until every partition of `topic` has all replicas in its ISR again. */
  async waitFullIsr(topic: string, timeoutMs = 120_000): Promise<void> {
    await until(`every partition of ${topic} back to ${REPLICATION_FACTOR} in-sync replicas`, timeoutMs, async () =>
      (await this.describe(topic)).every((p) => p.isr.length === REPLICATION_FACTOR) ? true : undefined,
    );
  }
}

// ------------------------------------------------------------------ services logging events

type Sdk = typeof EventSdk;
let sdk: Promise<Sdk> | undefined;

/** @mojaloop/event-sdk, loaded once with its console logging off (it reads its settings at load). */
function loadSdk(): Promise<Sdk> {
  process.env.EVENT_SDK_LOG_FILTER ??= 'none:none';
  // central-services-logger writes a warning per failed call; the ledger already has each one.
  process.env.LOG_LEVEL ??= 'error';
  process.env.EVENT_SDK_SIDECAR_DISABLED ??= 'false';
  sdk ??= import('@mojaloop/event-sdk');
  return sdk;
}

export interface ServiceLoadOptions {
  grpcPort: number;
  httpPort: number;
  /** Events per second logged through event-sdk's EventLoggingServiceClient. */
  grpcRate: number;
  /** Calls in flight at most through the SDK (a busy service: 16). */
  grpcInFlight: number;
  /** Events per second POSTed to /event. */
  httpRate: number;
  agent: Agent;
  note: string;
}

/** How long a client waits for an answer before it counts the call as unanswered. */
const ANSWER_BOUND_MS = 120_000;

/**
 * Services logging events until stopped: the SDK client over gRPC (which, like a service, never
 * retries: a failed call is an event lost at its source) and HTTP clients. Every event a client
 * tried is in the ledger under its id with its answer.
 */
export class ServiceLoad {
  readonly ledger = new Ledger();
  private running = true;
  private readonly loads: Promise<LoadReport>[];
  private readonly close: () => void;

  private constructor(options: ServiceLoadOptions, api: Sdk) {
    const client = new api.EventLoggingServiceClient('127.0.0.1', options.grpcPort);
    this.close = () => (client as unknown as { grpcClient: { close(): void } }).grpcClient.close();
    const stop = () => !this.running;
    this.loads = [
      runLoad({
        ratePerSec: options.grpcRate,
        durationMs: 60 * 60_000,
        maxCount: 10_000_000,
        maxInFlight: options.grpcInFlight,
        stop,
        send: (n) => this.logThroughSdk(api, client, n, options.note),
      }),
      runLoad({
        ratePerSec: options.httpRate,
        durationMs: 60 * 60_000,
        maxCount: 10_000_000,
        maxInFlight: 256,
        stop,
        send: (n) =>
          sendHttp(this.ledger, options.httpPort, validEvent(n, `${options.note}-http`), {
            agent: options.agent,
            timeoutMs: ANSWER_BOUND_MS,
          }),
      }),
    ];
  }

  static async start(options: ServiceLoadOptions): Promise<ServiceLoad> {
    return new ServiceLoad(options, await loadSdk());
  }

  private async logThroughSdk(
    api: Sdk,
    client: InstanceType<Sdk['EventLoggingServiceClient']>,
    n: number,
    note: string,
  ): Promise<void> {
    // event-sdk's proto knows the types log, audit and trace (the contract adds error, sent over HTTP).
    const event = validEvent(n % 3, `${note}-sdk`);
    const sentAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'unanswered'>(
      (resolve) => (timer = setTimeout(() => resolve('unanswered'), ANSWER_BOUND_MS)),
    );
    const answer = await Promise.race([
      client.log(new api.EventMessage(event as never)).then(
        (response) => ({ ok: true as const, status: String((response as { status?: unknown }).status) }),
        (err: { code?: number; details?: string; message?: string }) => ({
          ok: false as const,
          status: `${err.code ?? ''} ${(err.details ?? err.message ?? '').slice(0, 60)}`.trim(),
        }),
      ),
      bound,
    ]);
    clearTimeout(timer);
    const answeredAt = Date.now();
    const outcome: Outcome =
      answer === 'unanswered'
        ? { transport: 'grpc', kind: 'unanswered', status: 'no answer', sentAt, answeredAt }
        : {
            transport: 'grpc',
            kind: answer.ok && answer.status === 'accepted' ? 'acked' : 'refused',
            status: answer.ok ? `sdk ${answer.status}` : `sdk error ${answer.status}`,
            sentAt,
            answeredAt,
          };
    this.ledger.record(event.id, outcome);
  }

  /** Stops starting calls and waits for those in flight. */
  async stop(): Promise<LoadReport[]> {
    this.running = false;
    const reports = await Promise.all(this.loads);
    this.close();
    return reports;
  }

  /** The time calls waited for their answer, in ms, at quantile q (0.5, 0.99). */
  answerQuantileMs(q: number): number {
    const times: number[] = [];
    for (const [, o] of this.ledger.outcomes()) times.push(o.answeredAt - o.sentAt);
    times.sort((a, b) => a - b);
    return times.length === 0 ? 0 : times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  }

  /** Longest time any call waited for its answer, in ms. */
  longestAnswerMs(): number {
    let longest = 0;
    for (const [, o] of this.ledger.outcomes()) longest = Math.max(longest, o.answeredAt - o.sentAt);
    return longest;
  }
}
