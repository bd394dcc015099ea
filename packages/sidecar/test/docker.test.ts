// Docker cannot run where the tests run: these tests check what can be checked without it, that
// the Dockerfile copies paths that exist and the compose file wires the sidecar to Kafka.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { chartSidecar, renderSidecarConfig } from '../../../test/helpers/mojaloop-chart.js';
import { mapOriginal } from '../src/original-config/map.js';
import { layer } from '../src/original-config/rc-env.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dockerfile = readFileSync(join(root, 'docker/Dockerfile'), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

const steps = instructions(dockerfile);

test('every COPY from the build context names a path of the repository', () => {
  const copies = steps.filter((s) => s.op === 'COPY' && !s.args.includes('--from='));
  assert.ok(copies.length > 0);
  for (const copy of copies) {
    const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    const sources = parts.slice(0, -1);
    assert.ok(sources.length > 0, copy.args);
    for (const source of sources) assert.ok(existsSync(join(root, source)), `COPY source ${source} exists`);
  }
});

test('the runtime stage copies what the build stage compiles', () => {
  const stages = steps.filter((s) => s.op === 'FROM').map((s) => / AS (\S+)$/i.exec(s.args)?.[1]);
  assert.deepEqual(stages, ['build', 'runtime']);
  for (const copy of steps.filter((s) => s.op === 'COPY' && s.args.includes('--from='))) {
    const [, source] = copy.args.split(/\s+/);
    const match = /^\/app\/(packages\/[^/]+)\/dist$/.exec(source ?? '');
    assert.ok(match, `copies a package's dist: ${copy.args}`);
    const tsconfig = JSON.parse(readFileSync(join(root, match[1]!, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { outDir: string };
    };
    assert.equal(tsconfig.compilerOptions.outDir, 'dist');
  }
  const entry = steps.find((s) => s.op === 'ENTRYPOINT');
  // The container runs the CLI with the node flags of its shebang, as the installed bin script does.
  const shebang = /^#!\/usr\/bin\/env -S node(.*)$/.exec(
    readFileSync(join(root, 'packages/sidecar/src/cli.ts'), 'utf8').split('\n')[0]!,
  );
  assert.ok(shebang, 'the CLI starts with #!/usr/bin/env -S node [flags]');
  const flags = shebang[1]!.trim().split(/\s+/).filter(Boolean);
  assert.deepEqual(JSON.parse(entry!.args), ['node', ...flags, 'packages/sidecar/dist/cli.js']);
  const pkg = JSON.parse(readFileSync(join(root, 'packages/sidecar/package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  // The bin is a committed launcher (npm links it at `npm ci`, before dist/ exists) with the same shebang.
  assert.equal(pkg.bin['event-sidecar'], './bin/event-sidecar.js');
  const launcher = readFileSync(join(root, 'packages/sidecar', pkg.bin['event-sidecar']), 'utf8');
  assert.equal(launcher.split('\n')[0], shebang[0]);
  assert.match(launcher, /import\('\.\.\/dist\/cli\.js'\)/);
  // V8 flags come and go between Node releases, and node refuses to start with one it does not know.
  const run = spawnSync(process.execPath, [...flags, '-e', '0'], { encoding: 'utf8' });
  assert.equal(run.status, 0, `node ${flags.join(' ')}: ${run.stderr}`);
});

test('the runtime stage holds every file the workspaces publish', () => {
  const runtime = steps.slice(steps.findIndex((s) => s.op === 'FROM' && / AS runtime$/i.test(s.args)));
  const copied = runtime
    .filter((s) => s.op === 'COPY')
    .map((s) =>
      s.args
        .split(/\s+/)
        .filter((p) => !p.startsWith('--'))
        .at(-1)!,
    );
  for (const name of ['contract', 'producer', 'sidecar']) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { files: string[] };
    // Not dist-cjs/: the CommonJS build is for other repositories' require(); the sidecar imports the ESM build.
    for (const entry of pkg.files.filter((f) => !f.startsWith('!') && f !== 'dist-cjs')) {
      const path = `packages/${name}/${entry}`;
      assert.ok(copied.includes(path), `the runtime image has ${path}`);
    }
  }
});

test('the image runs as a non-root user, exposes HTTP and gRPC, and checks /health with node', () => {
  assert.ok(steps.some((s) => s.op === 'RUN' && /npm ci .*--omit=dev/.test(s.args)));
  const user = steps.filter((s) => s.op === 'USER').at(-1);
  assert.ok(user && !['root', '0'].includes(user.args), 'runs as non-root');
  const exposed = steps.filter((s) => s.op === 'EXPOSE').flatMap((s) => s.args.split(/\s+/));
  assert.deepEqual(exposed.sort(), ['4001', '50051']);
  const health = steps.find((s) => s.op === 'HEALTHCHECK');
  assert.ok(health);
  assert.match(health.args, /CMD \["node",/);
  assert.match(health.args, /\/health/);
  assert.doesNotMatch(health.args, /curl|wget/);
});

test("the image runs as Mojaloop's chart runs it: npm run start in its WORKDIR, its config directory left to the mount", () => {
  const chart = chartSidecar();
  const runtime = steps.slice(steps.findIndex((s) => s.op === 'FROM' && / AS runtime$/i.test(s.args)));
  const workdir = runtime.filter((s) => s.op === 'WORKDIR').at(-1)!.args;
  assert.equal(workdir, '/opt/app', "the original's WORKDIR");
  assert.equal(chart.configMountPath, `${workdir}/config`);
  assert.deepEqual(chart.command, ['npm', 'run', 'start']);
  // The WORKDIR's package.json keeps one script, start, which runs what the ENTRYPOINT runs; `exec` puts node in
  // the place of the shell npm runs it in, so that npm's forwarded SIGTERM reaches node.
  const pkg = runtime.find((s) => s.op === 'RUN' && s.args.includes('npm pkg'));
  assert.ok(pkg, 'a RUN rewrites the scripts of package.json');
  assert.match(pkg.args, /^npm pkg delete scripts && npm pkg set "scripts\.start=[^"]+"$/);
  const start = /"scripts\.start=([^"]+)"/.exec(pkg.args)![1];
  const entrypoint = JSON.parse(runtime.find((s) => s.op === 'ENTRYPOINT')!.args) as string[];
  assert.equal(start, `exec ${entrypoint.join(' ')}`);
  assert.ok(
    runtime.findIndex((s) => s === pkg) > runtime.findIndex((s) => s.op === 'RUN' && /npm ci/.test(s.args)),
    'after the install, which needs the repository manifest',
  );
  // Nothing of the image in the directory the chart's mount hides.
  for (const copy of runtime.filter((s) => s.op === 'COPY')) {
    const destination = copy.args.split(/\s+/).at(-1)!;
    assert.doesNotMatch(destination, /^(\/opt\/app\/)?config(\/|$)/, copy.args);
  }
  // No ENV sets what the chart's file sets: a variable would win over the file.
  const env = runtime
    .filter((s) => s.op === 'ENV')
    .flatMap((s) => [...s.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]!));
  const fromChart = [...mapOriginal(layer(JSON.parse(renderSidecarConfig()), []), 'default.json').values.keys()];
  assert.ok(fromChart.includes('HTTP_PORT') && fromChart.includes('KAFKA_BROKERS'));
  assert.deepEqual(
    env.filter((name) => (fromChart as string[]).includes(name)),
    [],
  );
});

test('the spool directory is the volume, created and owned by the image user before VOLUME (writable with none mounted)', () => {
  const runtime = steps.slice(steps.findIndex((s) => s.op === 'FROM' && / AS runtime$/i.test(s.args)));
  const volume = runtime.findIndex((s) => s.op === 'VOLUME');
  const [path] = JSON.parse(runtime[volume]!.args) as string[];
  const user = runtime.filter((s) => s.op === 'USER').at(-1)!.args;
  const made = runtime.findIndex(
    (s) =>
      s.op === 'RUN' && s.args.includes(`mkdir -p ${path}`) && new RegExp(`chown -R ${user}:${user} `).test(s.args),
  );
  assert.ok(made >= 0 && made < volume, `RUN mkdir -p ${path} && chown ${user} before VOLUME`);
  assert.ok(runtime.some((s) => s.op === 'ENV' && s.args.includes(`SPOOL_DIR=${path}`)));
});

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  depends_on?: Record<string, { condition?: string }>;
  environment?: Record<string, string | number>;
  ports?: string[];
  healthcheck?: unknown;
}

test('compose runs Kafka (KRaft) and the sidecar wired to it', () => {
  const compose = parse(readFileSync(join(root, 'docker/docker-compose.yml'), 'utf8')) as {
    services: Record<string, ComposeService>;
  };
  const { kafka, sidecar } = compose.services;
  assert.ok(kafka && sidecar);
  assert.match(kafka.image ?? '', /^apache\/kafka:\d+\.\d+\.\d+$/);
  assert.equal(kafka.environment?.KAFKA_PROCESS_ROLES, 'broker,controller');
  assert.ok(kafka.healthcheck, 'kafka has a healthcheck for depends_on');

  // The sidecar builds this repository's Dockerfile.
  assert.ok(sidecar.build);
  const context = join(root, 'docker', sidecar.build.context);
  assert.ok(existsSync(join(context, sidecar.build.dockerfile)));
  assert.equal(join(context, sidecar.build.dockerfile), join(root, 'docker/Dockerfile'));

  assert.deepEqual(sidecar.depends_on, { kafka: { condition: 'service_healthy' } });

  // KAFKA_BROKERS names a listener Kafka advertises under its service name.
  const advertised = String(kafka.environment?.KAFKA_ADVERTISED_LISTENERS).split(',');
  const brokers = String(sidecar.environment?.KAFKA_BROKERS).split(',');
  for (const broker of brokers) {
    assert.match(broker, /^kafka:\d+$/);
    assert.ok(
      advertised.some((l) => l.endsWith(`//${broker}`)),
      `${broker} is one of the advertised listeners ${advertised.join(', ')}`,
    );
    const port = broker.split(':')[1];
    assert.ok(String(kafka.environment?.KAFKA_LISTENERS).includes(`:${port}`));
  }
  assert.ok(Number(sidecar.environment?.KAFKA_CREATE_TOPIC_PARTITIONS) > 0, 'the quick start creates its topic');

  const httpPort = String(sidecar.environment?.HTTP_PORT ?? 4001);
  const grpcPort = String(sidecar.environment?.GRPC_PORT ?? 50051);
  assert.deepEqual(sidecar.ports, [`${httpPort}:${httpPort}`, `${grpcPort}:${grpcPort}`]);
  assert.deepEqual([httpPort, grpcPort], ['4001', '50051']);
});
