// docs/mojaloop.md's move from the original sidecar under Mojaloop's charts says what the chart
// (test/fixtures/mojaloop-helm) and docker/Dockerfile do: the values that change, the paths, and a patch that fits the
// rendered Deployment. The README shows the same values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { CHART_NAME, chartSidecar } from '../helpers/mojaloop-chart.js';
import { stage } from '../image/dockerfile.js';
import { codeBlocks, readDoc, section as sectionOf } from './markdown.js';

const section = sectionOf(readDoc('docs/mojaloop.md'), "## From the original sidecar under Mojaloop's charts");
const yamls = codeBlocks(section, 'yaml').map((y) => parse(y) as Record<string, unknown>);
const runtime = stage('runtime');

test('the values that change are the image only, as the README shows them', () => {
  const readme = codeBlocks(readDoc('README.md'), 'yaml').map((y) => parse(y) as Record<string, unknown>);
  assert.deepEqual(
    readme.find((y) => 'sidecar' in y),
    yamls[0],
    "the README's values are docs/mojaloop.md's",
  );
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
