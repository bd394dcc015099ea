// The README's "Swapping the image in Mojaloop's charts" section says what the chart (test/fixtures/mojaloop-helm)
// and docker/Dockerfile do: the values that change, the paths, and a patch that fits the rendered Deployment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_NAME, chartSidecar } from '../helpers/mojaloop-chart.js';
import { stage } from '../image/dockerfile.js';
import { root } from './circleci-config.js';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const title = "## Swapping the image in Mojaloop's charts";
const start = readme.indexOf(title);
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const yamls = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Record<string, unknown>);
const runtime = stage('runtime');

test('the values that change are the image only', () => {
  assert.ok(start >= 0, `README has "${title}"`);
  assert.deepEqual(Object.keys(yamls[0] ?? {}), ['sidecar']);
  const sidecar = yamls[0]!.sidecar as { enabled: boolean; image: Record<string, unknown> };
  assert.equal(sidecar.enabled, true);
  assert.deepEqual(Object.keys(sidecar.image).sort(), ['repository', 'tag']);
  const chart = chartSidecar();
  assert.ok(section.includes(`\`command: ${JSON.stringify(chart.command).replace(/,/g, ', ')}\``), 'the command');
  assert.ok(section.includes(`WORKDIR, \`${runtime.workdir}\``));
  assert.ok(section.includes(`mounted on \`${chart.configMountPath}\``));
  for (const name of Object.keys(chart.env)) assert.ok(section.includes(`\`${name}\``), name);
});

test('the patch fits the rendered Deployment: its sidecar container, the spool volume, resources', () => {
  const patch = yamls[1] as {
    kind: string;
    metadata: { name: string };
    spec: {
      template: { spec: { containers: Container[]; volumes: { name: string; emptyDir: { sizeLimit: string } }[] } };
    };
  };
  interface Container {
    name: string;
    resources: { requests: Record<string, string>; limits: Record<string, string> };
    volumeMounts: { name: string; mountPath: string }[];
  }
  assert.equal(patch.kind, 'Deployment');
  assert.ok(patch.metadata.name.endsWith(`-${CHART_NAME}`), '<release>-<chart>');
  const [container] = patch.spec.template.spec.containers;
  assert.equal(container!.name, `${CHART_NAME}-sidecar`, "the deployment template's {{ .Chart.Name }}-sidecar");
  assert.deepEqual(
    container!.volumeMounts.map((m) => m.mountPath),
    runtime.volumes,
  );
  const [volume] = patch.spec.template.spec.volumes;
  assert.equal(volume!.name, container!.volumeMounts[0]!.name);
  assert.ok(Number.parseInt(volume!.emptyDir.sizeLimit, 10) > 1, 'above SPOOL_MAX_BYTES, 1 GiB');
  assert.ok(container!.resources.requests.memory && container!.resources.limits.memory);
  assert.equal(container!.resources.limits.cpu, undefined, 'no CPU limit');
  assert.ok(section.includes(runtime.env.SPOOL_DIR!));
});
