#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=100
// The `event-sidecar` bin. npm links a workspace's bin only if its target exists at install time, and in a fresh
// clone dist/ is built after `npm ci`: this committed file is the target, so the link is there, and it loads the
// compiled CLI when run. The node flags are the CLI's own (src/cli.ts), which a bin's shebang must pass.
try {
  await import('../dist/cli.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/cli.js')) throw err;
  process.stderr.write('event-sidecar: the sidecar is not built (no dist/cli.js): run `npm run build` first\n');
  process.exitCode = 1;
}
