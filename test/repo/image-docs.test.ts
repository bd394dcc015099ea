// The README's "Run the container" and docs/operations.md's Kubernetes pod say what docker/Dockerfile does (and what
// `npm run test:image` runs): the same ports, volume, probes and environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { stage } from '../image/dockerfile.js';
import { codeBlocks, readDoc, section as sectionOf } from './markdown.js';

const section = sectionOf(readDoc('README.md'), '### 1. Run the container');
const kubernetes = sectionOf(readDoc('docs/operations.md'), '## Running it in Kubernetes');
const runtime = stage('runtime');

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  restartPolicy?: string;
  ports: { containerPort: number; name: string }[];
  startupProbe: Probe;
  readinessProbe: Probe;
  livenessProbe: Probe;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  volumeMounts: { name: string; mountPath: string }[];
}

test('the README runs the image with its own ports, volume, environment and health route', () => {
  const [volume] = runtime.volumes;
  assert.ok(section.includes(`-v event-sidecar-spool:${volume}`), 'docker run mounts the volume');
  for (const [name, value] of Object.entries(runtime.env)) assert.ok(section.includes(`\`${name}=${value}\``), name);
  assert.deepEqual(runtime.expose, ['4001', '50051'], 'HTTP and gRPC, the original sidecar ports');
  for (const port of runtime.expose) assert.ok(section.includes(`-p ${port}:${port}`));
  const healthUrl = /\/health/.exec(runtime.healthcheck.command.join(' '));
  assert.ok(healthUrl, 'the HEALTHCHECK asks /health');
});

test('the pod snippet mounts the volume, probes /health and /live, and stops within its grace period', () => {
  const [yaml] = codeBlocks(kubernetes, 'yaml');
  assert.ok(yaml, 'a pod snippet');
  const pod = parse(yaml) as {
    spec: { terminationGracePeriodSeconds: number; initContainers: Container[]; securityContext: { fsGroup: number } };
  };
  const sidecar = pod.spec.initContainers.find((c) => c.name === 'event-sidecar');
  assert.ok(sidecar);
  assert.equal(sidecar.restartPolicy, 'Always', 'a native sidecar container');
  assert.deepEqual(sidecar.ports.map((p) => String(p.containerPort)).sort(), [...runtime.expose].sort());
  const http = sidecar.ports.find((p) => String(p.containerPort) === runtime.expose[0])!.name;
  for (const probe of [sidecar.startupProbe, sidecar.readinessProbe])
    assert.deepEqual(probe.httpGet, { path: '/health', port: http });
  assert.deepEqual(sidecar.livenessProbe.httpGet, { path: '/live', port: http });
  assert.deepEqual(
    sidecar.volumeMounts.map((m) => m.mountPath),
    runtime.volumes,
  );
  assert.ok(sidecar.resources.requests.cpu && sidecar.resources.requests.memory && sidecar.resources.limits.memory);
  // The sidecar's graceful stop (SHUTDOWN_TIMEOUT_MS, 15 s by default) fits in the pod's grace period.
  assert.ok(pod.spec.terminationGracePeriodSeconds > 15);
  assert.equal(pod.spec.securityContext.fsGroup, 1000, "the image's user, node");
  assert.match(readDoc('docker/Dockerfile'), /^USER node$/m);
});
