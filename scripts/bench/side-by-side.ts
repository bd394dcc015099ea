// Two (or more) sidecars that are already running, side by side: the real event-sdk client at each number of calls
// in flight, the targets alternating within each round (and their order reversed every other round), with each
// sidecar's CPU per event and its producer's events per Kafka request (from its /metrics). For comparing two builds
// or two settings on one broker, where only figures measured in the same rounds count.
//
//   SIDE_BY_SIDE=before:50061:4061,after:50062:4062 npx tsx scripts/bench/side-by-side.ts
//
// Each target is name:grpcPort:httpPort of a sidecar on 127.0.0.1 (its pid is found by its HTTP port). Settings:
// SIDE_BY_SIDE_IN_FLIGHT (4,16,64), SIDE_BY_SIDE_SECONDS (4 per point), SIDE_BY_SIDE_ROUNDS (3).
import { execFileSync } from 'node:child_process';
import { closedLoop } from './lib/closed-loop.js';
import { generateEvents, sdkCanCarry } from './lib/events.js';
import { readCpuMs } from './lib/proc.js';
import { EventSdkClient } from './lib/sdk-client.js';

interface Target {
  name: string;
  grpcPort: number;
  httpPort: number;
  pid: number;
}

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const IN_FLIGHT = env('SIDE_BY_SIDE_IN_FLIGHT', '4,16,64').split(',').map(Number);
const SECONDS = Number(env('SIDE_BY_SIDE_SECONDS', '4'));
const ROUNDS = Number(env('SIDE_BY_SIDE_ROUNDS', '3'));

/** The pid of the process listening on `port` (ss shows it for the processes of this user). */
function pidListeningOn(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const pid = /pid=(\d+)/.exec(out)?.[1];
  if (!pid) throw new Error(`no process of this user listens on port ${port}`);
  return Number(pid);
}

/** Events and requests the producer has sent so far (its kafka_batch_events histogram). */
async function batches(port: number): Promise<{ events: number; requests: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`kafka_batch_events_${name} (\\S+)`).exec(text)?.[1] ?? NaN);
  return { events: read('sum'), requests: read('count') };
}

function targets(): Target[] {
  const spec = process.env.SIDE_BY_SIDE;
  if (!spec) throw new Error('set SIDE_BY_SIDE=name:grpcPort:httpPort,name:grpcPort:httpPort');
  return spec.split(',').map((t) => {
    const [name, grpc, http] = t.split(':');
    const httpPort = Number(http);
    return { name: name!, grpcPort: Number(grpc), httpPort, pid: pidListeningOn(httpPort) };
  });
}

async function main(): Promise<void> {
  const list = targets();
  const events = generateEvents(2000, { seed: 3 }).filter(sdkCanCarry);
  const clients = await Promise.all(list.map((t) => EventSdkClient.connect('127.0.0.1', t.grpcPort)));
  const rows = new Map<string, string[]>();
  try {
    for (const client of clients) await closedLoop((i) => client.log(events[i % events.length]!), 4, 2);
    for (let round = 0; round < ROUNDS; round++) {
      for (const inFlight of IN_FLIGHT) {
        const order = [...list.keys()];
        if (round % 2 === 1) order.reverse();
        for (const k of order) {
          const target = list[k]!;
          const client = clients[k]!;
          const before = await batches(target.httpPort);
          const cpu0 = readCpuMs(target.pid);
          const r = await closedLoop((i) => client.log(events[i % events.length]!), inFlight, SECONDS);
          const cpu = ((readCpuMs(target.pid) - cpu0) * 1000) / Math.max(1, r.ok);
          const after = await batches(target.httpPort);
          const perRequest = (after.events - before.events) / (after.requests - before.requests);
          const cell =
            `${r.okPerSecond.toFixed(0)} events/s, p99 ${r.p99Ms.toFixed(1)} ms, ` +
            `${perRequest.toFixed(1)} events/request, ${cpu.toFixed(0)} µs CPU/event${r.failed ? `, ${r.failed} failed` : ''}`;
          process.stderr.write(`round ${round + 1} @${inFlight} ${target.name}: ${cell}\n`);
          const key = `| ${inFlight} | ${target.name} |`;
          rows.set(key, [...(rows.get(key) ?? []), cell]);
        }
      }
    }
  } finally {
    for (const client of clients) client.close();
  }
  console.log('| calls in flight | sidecar | rounds |\n| --- | --- | --- |');
  for (const [key, cells] of rows) console.log(`${key} ${cells.join(' · ')} |`);
}

await main();
