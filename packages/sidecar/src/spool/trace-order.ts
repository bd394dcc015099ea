// The order of a trace across the two ways an event can take (straight to Kafka, or the spool). The spool
// replays in insertion order, so per-trace order holds if the events of a trace are appended in the order the
// sidecar accepted them. Events published at once break that when an outage begins under them: event A of
// trace T waits for Kafka's answer, the outage begins, B of T is refused at once (the producer knows Kafka is
// down) and spooled, and only later A times out and is spooled — behind B. So an event that goes to the spool
// first waits until every earlier event of its trace has settled (published, failed, or handed to the spool).
//
// Why waiting rather than a sequence number the spool would sort by: the replayer may already be sending B when
// A is still waiting for Kafka; a number decides the order of rows, not whether B may go before A's fate is
// known. Waiting costs nothing while Kafka is up (no event spools, nobody waits) and, during an outage, delays
// the answer to B by at most A's publish timeout, which A's own client waits for anyway.
//
// While an event of T is on its way to the spool, a later event of T must not go straight to Kafka either (it
// could arrive before the spooled one is replayed): it follows onto the spool.

/** One accepted event of a trace, until it settles. */
export interface OrderTicket {
  /** True when an earlier event of this trace is on its way to the spool: this one must follow it there. */
  readonly follows: boolean;
  /** Marks this event as bound for the spool; resolves once every earlier event of its trace settled. */
  toSpool(): Promise<void>;
  /** This event is published, failed, or handed to the spool (its append was called). Idempotent. */
  settle(): void;
}

interface Entry {
  settled: boolean;
  done?: Promise<void>;
  resolve?: () => void;
}

interface Trace {
  /** Unsettled events, in the order they were accepted. */
  readonly open: Entry[];
  /** How many of them are bound for the spool. */
  spooling: number;
}

const settledPromise = Promise.resolve();

export class TraceOrder {
  private readonly traces = new Map<string, Trace>();

  /** Registers an event of trace `key`, accepted now (call in acceptance order). */
  enter(key: string): OrderTicket {
    let trace = this.traces.get(key);
    if (!trace) {
      trace = { open: [], spooling: 0 };
      this.traces.set(key, trace);
    }
    const entry: Entry = { settled: false };
    trace.open.push(entry);
    const follows = trace.spooling > 0;
    let bound = false;
    const state = trace;
    return {
      follows,
      toSpool: () => {
        if (entry.settled) return settledPromise;
        if (!bound) {
          bound = true;
          state.spooling += 1;
        }
        const index = state.open.indexOf(entry);
        if (index <= 0) return settledPromise;
        return Promise.all(state.open.slice(0, index).map(doneOf)).then(noop);
      },
      settle: () => {
        if (entry.settled) return;
        entry.settled = true;
        if (bound) state.spooling -= 1;
        const index = state.open.indexOf(entry);
        if (index >= 0) state.open.splice(index, 1);
        if (state.open.length === 0 && this.traces.get(key) === state) this.traces.delete(key);
        entry.resolve?.();
      },
    };
  }

  /** Traces with unsettled events (for tests and debugging). */
  get size(): number {
    return this.traces.size;
  }
}

function noop(): void {}

function doneOf(entry: Entry): Promise<void> {
  if (entry.settled) return settledPromise;
  entry.done ??= new Promise<void>((resolve) => {
    entry.resolve = resolve;
  });
  return entry.done;
}
