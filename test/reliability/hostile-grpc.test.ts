// Hostile input over gRPC: mutated events sent as event-sdk sends them, enum numbers out of range,
// content Anys with wrong MIME types, invalid UTF-8 or JSON, random and corrupted protobuf bytes,
// oversized messages. The oracle decodes each message as the contract's proto says, then applies
// the contract's validator: a valid event is `accepted` and on the topic, an invalid one gets
// INVALID_ARGUMENT naming the field; no call ever gets INTERNAL, UNKNOWN or no answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import protoLoader from '@grpc/proto-loader';
import { protoPath, validateEvent } from '@event-sidecar/contract';
// internal to the sidecar, from its build: how the server turns a decoded message into an event
import { wireToEvent } from '../../packages/sidecar/dist/grpc/decode.js';
import {
  FULL,
  SidecarProcess,
  baseSidecarEnv,
  report,
  sharedBrokers,
  sized,
  uniqueSuffix,
} from '../helpers/reliability.js';
import { toWire } from '../helpers/reliability-events.js';
import { grpcCases, type GrpcCase } from '../helpers/reliability-hostile.js';
import { Ledger, grpcClient, rawGrpcClient, type GrpcResult } from '../helpers/reliability-load.js';
import { invalidRecords, readTopic, reconcile } from '../helpers/reliability-topic.js';

const CASES = sized(600, 4000);
const CONCURRENCY = 16;
const MAX_MESSAGE_BYTES = 65_536;
const SEED = Number(process.env.RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Statuses that mean "the server failed", never a client's fault. */
const SERVER_FAULTS = ['INTERNAL', 'UNKNOWN', 'UNIMPLEMENTED', 'DATA_LOSS', 'DEADLINE_EXCEEDED', 'UNAVAILABLE'];

const SDK_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true };
const log = protoLoader.loadSync(protoPath, SDK_OPTIONS)['mojaloop.events.EventLoggerService'] as unknown as {
  Log: { requestSerialize: (value: unknown) => Buffer; requestDeserialize: (bytes: Buffer) => unknown };
};
const serialize = (message: unknown): Buffer => log.Log.requestSerialize(message);

type Prediction =
  | { decodes: false }
  | { decodes: true; ok: true; id: string }
  | { decodes: true; ok: false; field: string; why: string; id?: string };

/** What the contract says of these bytes, decoded as the proto and event-sdk's loader options say. */
function predict(bytes: Buffer): Prediction {
  let wire: unknown;
  try {
    wire = log.Log.requestDeserialize(bytes);
  } catch {
    return { decodes: false };
  }
  const decoded = wireToEvent(wire as Parameters<typeof wireToEvent>[0]);
  if (!decoded.ok) return { decodes: true, ok: false, field: decoded.error.field ?? '', why: decoded.error.message };
  const result = validateEvent(decoded.event);
  if (result.ok) return { decodes: true, ok: true, id: result.event.id };
  const id = (decoded.event as { id?: unknown }).id;
  return {
    decodes: true,
    ok: false,
    field: result.errors[0]!.field,
    why: `${result.errors[0]!.field} ${result.errors[0]!.message}`,
    ...(typeof id === 'string' ? { id } : {}),
  };
}

test(
  `hostile gRPC input: ${CASES} generated cases, no server fault, INVALID_ARGUMENT names the field, nothing invalid on Kafka`,
  {
    timeout: 20 * 60_000,
  },
  async (t) => {
    const brokers = sharedBrokers();
    const topic = `reliability-hostile-grpc-${uniqueSuffix()}`;
    const sidecar = await SidecarProcess.start(t, {
      env: baseSidecarEnv(brokers, topic, { MAX_BODY_BYTES: String(MAX_MESSAGE_BYTES) }),
    });
    // gRPC is a core transport: SidecarProcess.start fails when the sidecar does not serve it.
    assert.deepEqual(sidecar.transports, ['http', 'grpc']);
    const client = grpcClient(sidecar.grpcPort);
    const raw = rawGrpcClient(sidecar.grpcPort);
    t.after(() => {
      client.close();
      raw.close();
    });

    const cases = fc.sample(grpcCases({ maxMessageBytes: MAX_MESSAGE_BYTES, toWire, serialize }), {
      numRuns: CASES,
      seed: SEED,
    });
    const ledger = new Ledger();
    const invalidIds = new Set<string>();
    const codes = new Map<string, number>();
    const kinds = new Map<string, number>();
    const problems = new Map<string, { n: number; example: string }>();
    let notEncodable = 0;
    let unanswered = 0;
    const problem = (c: GrpcCase, text: string, bytes: Buffer) => {
      const key = `${c.kind}: ${text.replace(/[0-9a-f-]{36}/g, '<id>').slice(0, 120)}`;
      const entry = problems.get(key);
      if (entry) entry.n++;
      else problems.set(key, { n: 1, example: bytes.subarray(0, 80).toString('base64') });
    };

    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!;
          let bytes: Buffer;
          try {
            bytes = c.bytes ?? serialize(c.message);
          } catch {
            // protobufjs cannot encode it (a string in an int32 field, ...): no client could send it.
            notEncodable++;
            continue;
          }
          kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
          const result: GrpcResult = await raw.call(bytes, { deadlineMs: 30_000 });
          if (result.error !== undefined) {
            unanswered++;
            problem(c, `no answer: ${result.error}`, bytes);
            continue;
          }
          const { code, status, details = '', trailers } = result.answer;
          codes.set(code, (codes.get(code) ?? 0) + 1);
          if (SERVER_FAULTS.includes(code)) problem(c, `${code}: ${details}`, bytes);
          if (bytes.length > MAX_MESSAGE_BYTES) {
            if (code !== 'RESOURCE_EXHAUSTED') problem(c, `${bytes.length} bytes answered ${code}`, bytes);
            continue;
          }
          const expected = predict(bytes);
          if (!expected.decodes) {
            if (code !== 'INVALID_ARGUMENT') problem(c, `undecodable bytes answered ${code} (${details})`, bytes);
            continue;
          }
          if (expected.ok) {
            if (code === 'OK' && status === 'accepted')
              ledger.record(expected.id, { transport: 'grpc', kind: 'acked', status: 'OK', sentAt: 0, answeredAt: 0 });
            else problem(c, `valid event answered ${code}: ${details}`, bytes);
            continue;
          }
          if (expected.id) invalidIds.add(expected.id);
          if (code !== 'INVALID_ARGUMENT') problem(c, `invalid event (${expected.why}) answered ${code}`, bytes);
          else if (expected.field !== '' && !details.includes(expected.field))
            problem(c, `INVALID_ARGUMENT does not name ${expected.field}: ${details}`, bytes);
          else if (!trailers['error-code']) problem(c, 'INVALID_ARGUMENT without an error-code trailer', bytes);
        }
      }),
    );
    const elapsedMs = Date.now() - started;
    assert.ok(sidecar.running, `the sidecar crashed\n${sidecar.describe()}`);

    const contents = await readTopic(brokers, topic, { keep: true });
    const r = reconcile(ledger, contents);
    const bad = invalidRecords(contents);
    const invalidOnTopic = [...contents.countById.keys()].filter((id) => invalidIds.has(id) && !ledger.byId.has(id));
    const failures = [...problems.values()].reduce((sum, p) => sum + p.n, 0);
    report(
      t,
      [
        `hostile gRPC (${FULL ? 'full' : 'reduced'}): ${cases.length} cases (fast-check seed ${SEED}), ${notEncodable} not encodable by protobufjs (not sent), in ${elapsedMs} ms`,
        `  kinds: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`,
        `  codes: ${[...codes].map(([k, n]) => `${k}: ${n}`).join(', ')}; unanswered ${unanswered}`,
        `  acknowledged ${r.ackedIds} events, on the topic ${r.found}, lost ${r.lost.length}; records ${r.records}, invalid records ${bad.length}, invalid events published ${invalidOnTopic.length}`,
        `  cases not answered as the contract says: ${failures}`,
        ...[...problems]
          .sort(([, a], [, b]) => b.n - a.n)
          .slice(0, 20)
          .map(([k, { n, example }]) => `    ${n} × ${k}\n      e.g. bytes (base64) ${example}`),
      ].join('\n'),
    );

    assert.equal(sidecar.linesAtLeast(60), 0, 'no fatal log line');
    assert.equal(unanswered, 0, 'every call answered');
    assert.deepEqual(
      [...codes.keys()].filter((c) => SERVER_FAULTS.includes(c)),
      [],
      'no server-fault status',
    );
    assert.deepEqual(
      bad.slice(0, 5).map((b) => b.issue),
      [],
      'every record on the topic passes the contract',
    );
    assert.deepEqual(invalidOnTopic.slice(0, 5), [], 'no invalid event published');
    assert.deepEqual(r.lost.slice(0, 5), [], 'every accepted event is on the topic');
    assert.equal(failures, 0, `${failures} cases answered otherwise than the contract says (seed ${SEED})`);
    sidecar.signal('SIGTERM');
    assert.equal((await sidecar.exited).code, 0);
  },
);
