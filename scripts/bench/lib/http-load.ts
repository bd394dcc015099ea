// HTTP load with autocannon's programmatic API: keep-alive connections, each cycling through the same set of
// pre-serialized bodies, so the load generator spends its CPU on sending rather than on JSON.stringify.
import autocannon from 'autocannon';

export interface HttpLoadOptions {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  path: string;
  bodies: readonly Buffer[];
  connections: number;
  durationS: number;
  /** Requests per second over all connections (a soak); unset: as fast as answers come. */
  overallRate?: number;
  /** Status codes that count as success (default: every 2xx); e.g. 200 only for `POST /events`, whose 207 is partial. */
  okStatus?: readonly number[];
}

export interface HttpLoadResult {
  connections: number;
  seconds: number;
  /** Successful answers (`okStatus`): for the sidecar, events Kafka acknowledged. */
  ok: number;
  okPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

export async function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationS,
    pipelining: 1,
    timeout: 10,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    // autocannon copies these per connection: keep the set small (64 single events are plenty of variety).
    requests: options.bodies.map((body) => ({
      method: 'POST',
      path: options.path,
      headers: { 'content-type': 'application/json' },
      body,
    })),
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  const seconds = result.duration;
  const ok = options.okStatus
    ? options.okStatus.reduce((sum, code) => sum + (statusCodes[String(code)] ?? 0), 0)
    : result['2xx'];
  return {
    connections: options.connections,
    seconds,
    ok,
    okPerSecond: seconds > 0 ? ok / seconds : 0,
    // Partial successes (207) are failures here: not every event of the request reached Kafka.
    non2xx: result.non2xx + (result['2xx'] - ok),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

/** One request, to check a route before loading it: its status and the start of its body. */
export async function probe(url: string, body: Buffer): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: (await res.text()).slice(0, 500) };
  } catch (err) {
    return { status: 0, body: (err as Error).message };
  }
}

export interface HeapReading {
  heapTotalMiB: number;
}

/** The V8 heap of a process that exposes prom-client's default metrics (any prefix) on `/metrics`. */
export async function readHeap(url: string): Promise<HeapReading | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
    const match = /^\w*nodejs_heap_size_total_bytes ([0-9.e+]+)$/m.exec(await res.text());
    return res.status === 200 ? { heapTotalMiB: match ? Number(match[1]) / (1024 * 1024) : Number.NaN } : undefined;
  } catch {
    return undefined;
  }
}
