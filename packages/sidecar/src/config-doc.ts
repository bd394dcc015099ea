// The documentation of every environment variable loadConfig reads. `--help` prints it and
// CONFIG.md embeds `configTable()`; a unit test fails when loadConfig reads a variable that is
// not listed here, or when CONFIG.md is out of date.

export interface ConfigVariable {
  readonly name: string;
  readonly default?: string;
  readonly description: string;
}

export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.freeze([
  { name: 'HTTP_HOST', default: '0.0.0.0', description: 'Address the HTTP server listens on' },
  { name: 'HTTP_PORT', default: '4001', description: 'HTTP port (0 picks a free port)' },
  {
    name: 'MAX_BODY_BYTES',
    default: '1048576',
    description: 'Largest request body (larger bodies get 413) and gRPC message (RESOURCE_EXHAUSTED)',
  },
  { name: 'MAX_BATCH_EVENTS', default: '1000', description: 'Most events in one `POST /events`' },
  {
    name: 'AUTH_TOKEN',
    description:
      'When set (16+ characters), requests need `Authorization: Bearer <token>` (gRPC: an `authorization` metadata entry, else UNAUTHENTICATED); `/health`, `/live`, `/metrics`, `/openapi.json`, `/docs` and the gRPC health service stay open',
  },
  {
    name: 'HTTP_REQUEST_TIMEOUT_MS',
    default: '30000',
    description:
      "Time to receive a whole request (0: none); also bounds the wait for a gRPC call's message (then `DEADLINE_EXCEEDED`)",
  },
  { name: 'HTTP_HEADERS_TIMEOUT_MS', default: '10000', description: 'Time to receive the request headers' },
  {
    name: 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    default: '5000',
    description: 'Idle time before a keep-alive connection closes',
  },
  {
    name: 'MAX_EVENT_LOOP_DELAY_MS',
    default: '1000',
    description:
      'Load shedding: while the event loop runs later than this, events (HTTP and gRPC) are refused at once with 503 / `UNAVAILABLE` and `Retry-After` instead of queueing until clients time out (0: never)',
  },
  {
    name: 'MAX_IN_FLIGHT_BYTES',
    default: '16777216',
    description:
      'Admission control: bytes of `POST /event` and `/events` bodies (by Content-Length; a chunked body counts as `MAX_BODY_BYTES`) handled at once; beyond it a request is answered 429 with `Retry-After` before its body is read (a request alone is always taken; 0: no bound)',
  },
  { name: 'GRPC_HOST', default: '0.0.0.0', description: 'Address the gRPC server listens on' },
  { name: 'GRPC_PORT', default: '50051', description: 'gRPC port (0 picks a free port), as the original sidecar' },
  {
    name: 'GRPC_MAX_CONNECTION_IDLE_MS',
    default: '60000',
    description:
      'A gRPC connection without a call for this long is closed with GOAWAY (the client reconnects on its next call); bounds connections that never send a call',
  },
  {
    name: 'GRPC_MAX_CONNECTION_AGE_MS',
    default: '1800000',
    description:
      'A gRPC connection is asked to go away (GOAWAY; clients reconnect) after this long (±10%), and closed `HTTP_REQUEST_TIMEOUT_MS` later with any call left: bounds a client that keeps a call open after its answer',
  },
  {
    name: 'ACK_MODE',
    default: 'confirmed',
    description:
      'When gRPC `Log` answers `accepted`: `confirmed`, once Kafka acknowledged the event; `received`, on receipt of a valid event (as the original), later failures only logged and counted',
  },
  {
    name: 'KAFKA_BROKERS',
    default: 'localhost:9092',
    description: 'Bootstrap brokers, `host:port` separated by commas',
  },
  { name: 'KAFKA_CLIENT_ID', default: 'event-sidecar', description: 'Kafka client id' },
  { name: 'EVENT_TOPIC', default: 'topic-event', description: 'Topic every event is published to' },
  {
    name: 'PARTITION_STRATEGY',
    default: 'event-type',
    description:
      '`event-type` (partitions reserved per event type) or `trace-id` (murmur2 of the trace id, as the original)',
  },
  {
    name: 'PARTITION_MAP',
    description:
      'Partitions per event type with `event-type`, e.g. `log=0-3,audit=4-5,trace=6-9,error=10-11`; default: an even split of the topic',
  },
  {
    name: 'KAFKA_CREATE_TOPIC_PARTITIONS',
    description:
      'When set, the topic is created at start with this many partitions if it is missing; unset: a missing topic stops the start',
  },
  {
    name: 'KAFKA_CREATE_TOPIC_REPLICATION_FACTOR',
    default: '1',
    description: 'Replication factor of a topic created at start',
  },
  { name: 'KAFKA_SSL', default: 'false', description: 'Connect to Kafka over TLS' },
  {
    name: 'KAFKA_SSL_CA_FILE',
    description: 'PEM file of the CAs to trust (needs `KAFKA_SSL=true`); default: the system CAs',
  },
  { name: 'KAFKA_SSL_REJECT_UNAUTHORIZED', default: 'true', description: "Verify the brokers' certificates" },
  { name: 'KAFKA_SASL_MECHANISM', description: '`plain`, `scram-sha-256` or `scram-sha-512`; unset: no SASL' },
  { name: 'KAFKA_SASL_USERNAME', description: 'SASL user name (required with a mechanism)' },
  { name: 'KAFKA_SASL_PASSWORD', description: 'SASL password (required with a mechanism)' },
  { name: 'KAFKA_CONNECTION_TIMEOUT_MS', default: '3000', description: 'Time to open a connection to a broker' },
  { name: 'KAFKA_REQUEST_TIMEOUT_MS', default: '10000', description: 'Time for a broker to answer a request' },
  {
    name: 'PUBLISH_TIMEOUT_MS',
    default: '10000',
    description: 'Time for Kafka to acknowledge an event before the request fails with 503',
  },
  { name: 'PRODUCER_LINGER_MS', default: '2', description: 'How long the producer waits to fill a batch' },
  { name: 'PRODUCER_BATCH_MAX_EVENTS', default: '500', description: 'Most events in one produce request' },
  { name: 'PRODUCER_BATCH_MAX_BYTES', default: '1000000', description: 'Most bytes in one produce request' },
  {
    name: 'PRODUCER_MAX_QUEUE',
    default: '10000',
    description:
      'Most events waiting for Kafka; beyond it requests get 429 with `Retry-After` (at least `MAX_BATCH_EVENTS`)',
  },
  {
    name: 'PRODUCER_LANES',
    default: '4',
    description:
      'Produce requests in flight at once, each through its own producer for a fixed share of the partitions (at most the partition count)',
  },
  {
    name: 'SPOOL_DIR',
    description:
      'Directory of the durable spool (SQLite); unset: no spool. With it, an event Kafka cannot take (unavailable, not confirmed within `PUBLISH_TIMEOUT_MS`) is kept on disk, answered 202 (gRPC `accepted`) and delivered when Kafka is back; the sidecar then also starts while Kafka is down',
  },
  {
    name: 'SPOOL_MAX_BYTES',
    default: '1073741824',
    description: 'Most bytes of events (JSON) on the spool; beyond it events get 503 with `Retry-After` again',
  },
  {
    name: 'SPOOL_LINGER_MS',
    default: '2',
    description: 'How long a spool write waits for others to share its transaction (group commit)',
  },
  {
    name: 'SPOOL_SYNC',
    default: 'full',
    description:
      '`full`: every spool commit is fsynced (an answered event survives a power cut); `normal`: it survives a crash of the process only',
  },
  { name: 'LOG_LEVEL', default: 'info', description: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`' },
  {
    name: 'SHUTDOWN_TIMEOUT_MS',
    default: '15000',
    description: 'Bound on a graceful stop (finish requests, flush the producer); past it the process exits 1',
  },
]);

/** The Markdown table of CONFIG.md. */
export function configTable(): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const rows = CONFIG_VARIABLES.map(
    (v) => `| \`${v.name}\` | ${v.default === undefined ? '' : `\`${v.default}\``} | ${escape(v.description)} |`,
  );
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n') + '\n';
}
