// Security: with AUTH_TOKEN set, HTTP and gRPC calls without the right bearer token are refused
// (a token in the URL's query is no credential) and the token never appears in anything the
// process writes (at LOG_LEVEL=trace), wherever the client put it; Kafka over
// SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) against a broker that requires it publishes for real,
// a wrong password stops the start without printing it; the container runs as a non-root user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FULL,
  ROOT,
  ReliabilityBroker,
  SidecarProcess,
  baseSidecarEnv,
  report,
  sharedBrokers,
  uniqueSuffix,
} from '../helpers/reliability.js';
import { toWire, validEvent } from '../helpers/reliability-events.js';
import { Ledger, grpcClient, grpcLog, httpCall, sendGrpc, sendHttp } from '../helpers/reliability-load.js';
import { readTopic, reconcile } from '../helpers/reliability-topic.js';

test(
  'AUTH_TOKEN: HTTP and gRPC calls without the right bearer token are refused; the token is never written',
  {
    timeout: 5 * 60_000,
  },
  async (t) => {
    const token = `rel-${randomBytes(24).toString('hex')}`;
    const brokers = sharedBrokers();
    const topic = `reliability-auth-${uniqueSuffix()}`;
    const sidecar = await SidecarProcess.start(t, {
      env: baseSidecarEnv(brokers, topic, { AUTH_TOKEN: token, LOG_LEVEL: 'trace' }),
      secrets: [token],
    });
    const port = sidecar.httpPort;
    const post = (headers: Record<string, string>, path = '/event', body: unknown = validEvent(0, 'auth')) =>
      httpCall(port, {
        path,
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...headers },
        timeoutMs: 30_000,
      });

    const wrongHeaders: Record<string, Record<string, string>> = {
      'no Authorization': {},
      'another token': { authorization: `Bearer rel-${randomBytes(24).toString('hex')}` },
      'the token plus a character': { authorization: `Bearer ${token}x` },
      'the token less a character': { authorization: `Bearer ${token.slice(0, -1)}` },
      'Basic scheme': { authorization: `Basic ${Buffer.from(`user:${token}`).toString('base64')}` },
      'no scheme': { authorization: token },
      'empty Bearer': { authorization: 'Bearer ' },
      'token in another header': { 'x-auth-token': token, 'x-api-key': token },
      'token as a cookie': { cookie: `token=${token}` },
    };
    const refusals: string[] = [];
    for (const [name, headers] of Object.entries(wrongHeaders))
      for (const path of ['/event', '/events']) {
        const result = await post(headers, path, path === '/events' ? [validEvent(1, 'auth')] : validEvent(1, 'auth'));
        const status = result.answer?.status;
        refusals.push(`${name} ${path}: ${status}`);
        assert.equal(status, 401, `${name} on ${path}`);
        assert.equal(result.answer!.headers['www-authenticate'], 'Bearer');
        assert.ok(!result.answer!.text.includes(token));
      }
    // A token in the URL is not a credential, and is never written: pino-http logs the request line,
    // at trace for every request and at warn for the 401.
    const inUrl: string[] = [];
    for (const path of [
      `/event?access_token=${token}`,
      `/event?token=${token}`,
      `/events?access_token=${token}`,
      `/event?${token}`,
      `/health?access_token=${token}`,
    ]) {
      const body = path.startsWith('/events') ? [validEvent(1, 'auth')] : validEvent(1, 'auth');
      const result = path.startsWith('/health')
        ? await httpCall(port, { path, timeoutMs: 10_000 })
        : await post({}, path, body);
      const status = result.answer?.status;
      inUrl.push(`${path.replace(token, '<token>')}: ${status}`);
      assert.equal(status, path.startsWith('/health') ? 200 : 401, path.replace(token, '<token>'));
      assert.ok(!result.answer!.text.includes(token));
    }
    const ledger = new Ledger();
    const okHttp = await sendHttp(ledger, port, validEvent(2, 'auth-ok'), { token, timeoutMs: 30_000 });
    assert.equal(okHttp.status, '201');
    // Probes and scrapes stay open.
    for (const path of ['/health', '/live', '/metrics'])
      assert.equal((await httpCall(port, { path, timeoutMs: 10_000 })).answer?.status, 200, path);

    const client = grpcClient(sidecar.grpcPort);
    t.after(() => client.close());
    const wrongMetadata: Record<string, Record<string, string>> = {
      'no metadata': {},
      'another token': { authorization: `Bearer rel-${randomBytes(24).toString('hex')}` },
      'the token plus a character': { authorization: `Bearer ${token}x` },
      'no scheme': { authorization: token },
      'token under another key': { 'x-auth-token': token },
    };
    const codes: string[] = [];
    for (const [name, metadata] of Object.entries(wrongMetadata)) {
      const event = validEvent(3, 'auth-grpc');
      const result = await grpcLog(client, toWire(event), { metadata, deadlineMs: 30_000 });
      codes.push(`${name}: ${result.answer?.code ?? result.error}`);
      assert.equal(result.answer?.code, 'UNAUTHENTICATED', name);
      assert.ok(!(result.answer?.details ?? '').includes(token));
    }
    const okEvent = validEvent(4, 'auth-grpc-ok');
    const okGrpc = await sendGrpc(ledger, client, okEvent, toWire(okEvent), { token, deadlineMs: 30_000 });
    assert.equal(okGrpc.status, 'OK/accepted');
    const grpcSummary = `gRPC refusals: ${codes.join(', ')}; with the token: ${okGrpc.status}`;

    sidecar.signal('SIGTERM');
    const exit = await sidecar.exited;
    const r = reconcile(ledger, await readTopic(brokers, topic));
    report(
      t,
      [
        `auth: HTTP refusals: ${refusals.join(', ')}; with the token: ${okHttp.status}`,
        `  token in the URL: ${inUrl.join(', ')}`,
        `  ${grpcSummary}`,
        `  events with the token on the topic: ${r.found} of ${r.ackedIds}; records ${r.records}`,
        `  log lines written at LOG_LEVEL=trace: ${[...sidecar.levels.values()].reduce((a, b) => a + b, 0)}; the token appeared in them: ${sidecar.leaks().length > 0}`,
      ].join('\n'),
    );
    assert.equal(exit.code, 0);
    assert.equal(r.records, r.ackedIds, 'only the events sent with the token reached Kafka');
    assert.deepEqual(r.lost, []);
    assert.deepEqual(sidecar.leaks(), [], 'the token never appears in stdout or stderr');
  },
);

test('AUTH_TOKEN too short: the start is refused without printing it', { timeout: 60_000 }, async (t) => {
  const short = `s${randomBytes(4).toString('hex')}`; // 9 characters
  const sidecar = await SidecarProcess.start(t, {
    env: baseSidecarEnv(['127.0.0.1:9'], 'unused', { AUTH_TOKEN: short }),
    secrets: [short],
    waitStarted: false,
  });
  const exit = await sidecar.exited;
  assert.equal(exit.code, 1);
  assert.match(sidecar.stderr(), /AUTH_TOKEN/);
  assert.deepEqual(sidecar.leaks(), []);
});

test(
  'Kafka over SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512): published for real; a wrong password stops the start',
  {
    timeout: 10 * 60_000,
  },
  async (t) => {
    const username = 'reliability';
    const password = `pw-${randomBytes(16).toString('hex')}`;
    const broker = await ReliabilityBroker.create(t, {
      sasl: 'plain,scram',
      saslUsername: username,
      saslPassword: password,
    });
    const startMs = await broker.start();
    const lines = [`SASL broker (PLAIN + SCRAM-SHA-256/512 on its SASL_PLAINTEXT listener) started in ${startMs} ms`];

    // The reduced run tries one mechanism of each family; the full run all three.
    for (const mechanism of FULL ? ['scram-sha-256', 'scram-sha-512', 'plain'] : ['scram-sha-256', 'plain']) {
      const topic = `reliability-sasl-${mechanism}-${uniqueSuffix()}`;
      const sidecar = await SidecarProcess.start(t, {
        env: baseSidecarEnv(broker.saslBrokers, topic, {
          KAFKA_SASL_MECHANISM: mechanism,
          KAFKA_SASL_USERNAME: username,
          KAFKA_SASL_PASSWORD: password,
          LOG_LEVEL: 'trace',
        }),
        secrets: [password],
      });
      const ledger = new Ledger();
      for (let i = 0; i < 10; i++) await sendHttp(ledger, sidecar.httpPort, validEvent(i, `sasl-${mechanism}`));
      const client = grpcClient(sidecar.grpcPort);
      for (let i = 0; i < 10; i++) {
        const event = validEvent(i, `sasl-${mechanism}-grpc`);
        await sendGrpc(ledger, client, event, toWire(event));
      }
      client.close();
      sidecar.signal('SIGTERM');
      const exit = await sidecar.exited;
      // Read back through the SASL listener too, with the same credentials.
      const r = reconcile(
        ledger,
        await readTopic(broker.saslBrokers, topic, {
          sasl: { mechanism: mechanism as 'plain', username, password },
        }),
      );
      lines.push(
        `  ${mechanism}: ${ledger.statusSummary()}; on the topic ${r.found} of ${r.ackedIds}; exit ${exit.code}; password written: ${sidecar.leaks().length > 0}`,
      );
      assert.equal(ledger.refused + ledger.unanswered, 0, `${mechanism}: every event accepted`);
      assert.deepEqual(r.lost, [], mechanism);
      assert.equal(exit.code, 0);
      assert.deepEqual(sidecar.leaks(), [], `${mechanism}: the password never appears in stdout or stderr`);
    }

    const wrongPassword = `pw-${randomBytes(16).toString('hex')}`;
    for (const [name, env] of [
      [
        'a wrong password',
        { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: wrongPassword },
      ],
      ...(FULL ? ([['no SASL at all', {}]] as const) : []),
    ] as const) {
      const started = Date.now();
      const sidecar = await SidecarProcess.start(t, {
        env: baseSidecarEnv(broker.saslBrokers, `reliability-sasl-refused-${uniqueSuffix()}`, {
          ...env,
          LOG_LEVEL: 'trace',
          KAFKA_CONNECTION_TIMEOUT_MS: '2000',
          KAFKA_REQUEST_TIMEOUT_MS: '5000',
        }),
        secrets: [wrongPassword, password],
        waitStarted: false,
      });
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        sidecar.exited,
        new Promise<undefined>((resolve) => (timer = setTimeout(resolve, 90_000, undefined))),
      ]);
      clearTimeout(timer);
      const fatal = sidecar.lastLogs(50).find((l) => l.level === 60);
      lines.push(
        `  ${name}: exit ${exit?.code ?? 'none within 90 s'} after ${Date.now() - started} ms (${String((fatal?.err as { message?: string } | undefined)?.message ?? fatal?.msg ?? '').slice(0, 160)}); password written: ${sidecar.leaks().length > 0}`,
      );
      assert.equal(exit?.code, 1, `${name}: the start fails\n${sidecar.describe()}`);
      assert.deepEqual(sidecar.leaks(), [], `${name}: no password in stdout or stderr`);
    }

    // The PLAINTEXT listener, for reading back, agrees with the SASL one.
    assert.ok(broker.brokers[0] !== broker.saslBrokers[0]);
    report(t, lines.join('\n'));
  },
);

test('the container image runs as a non-root user', (t) => {
  const text = readFileSync(join(ROOT, 'docker/Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const instructions = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const lastFrom = instructions.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  assert.ok(lastFrom >= 0, 'a FROM');
  const finalStage = instructions.slice(lastFrom);
  const users = finalStage.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]!);
  assert.ok(users.length > 0, 'the final stage sets USER');
  const user = users.at(-1)!;
  assert.ok(!/^(root|0)(:.*)?$/.test(user), `the final USER is ${user}`);
  // Nothing runs as root after it, and the process is started directly (signals reach node).
  const afterUser = finalStage.slice(finalStage.findLastIndex((l) => /^USER\s/i.test(l)));
  assert.ok(!afterUser.some((l) => /^RUN\s/i.test(l) && /\bsudo\b|\bsu\b/.test(l)));
  const entrypoint = finalStage.find((l) => /^ENTRYPOINT\s/i.test(l));
  assert.ok(entrypoint && /^ENTRYPOINT\s+\[/.test(entrypoint), 'exec-form ENTRYPOINT');
  report(t, `container: final stage USER ${user}, ${entrypoint}`);
});
