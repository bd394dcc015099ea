// The event-loop delay monitor that sheds load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLoadMonitor } from '../src/load-monitor.js';

function block(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

test('a late event loop turns the monitor overloaded, and an idle window turns it back', async (t) => {
  const monitor = createLoadMonitor(40, 50);
  t.after(() => monitor.close());
  await sleep(120);
  assert.equal(monitor.overloaded(), false);
  block(200); // one turn far past the 40 ms bound
  // The overdue check fires before this later timer; the state lasts until a window comes on time.
  await sleep(5);
  assert.equal(monitor.overloaded(), true);
  await sleep(200); // idle windows since
  assert.equal(monitor.overloaded(), false);
});

test('a bound of 0 never sheds', async () => {
  const monitor = createLoadMonitor(0);
  block(100);
  await sleep(10);
  assert.equal(monitor.overloaded(), false);
  monitor.close();
});
