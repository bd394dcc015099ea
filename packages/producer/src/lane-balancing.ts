// Which lane an event joins, and when a lane hands events back: a quiet moment's few events share one request,
// and under load the lanes share the work.
//
// Each partition has its own lane, partition % lanes. One event per lane would make the few events of a quiet
// moment (a service with a handful of calls in flight) one request each, and a request costs about as much CPU
// in kafkajs and on the wire as the events in it: so while no request is in flight, an event joins a lane that
// is about to send. Under load events go to their own lanes and gather there behind the request in flight,
// and the lanes' requests go in parallel. Order: while a lane holds events of a partition (waiting or in its
// request), the partition's next events join them there, so a partition is in one request at a time.
import type { Entry } from './ledger.js';
import type { Lane } from './lane.js';

/**
 * A lane whose request is over keeps the events of other lanes' partitions that gathered behind it only while
 * the producer is quiet (no other request in flight) and they are few: more than this many means the load
 * would keep those partitions there, behind one request at a time, while their own lanes could send them in
 * parallel.
 */
const SPREAD_ABOVE = 16;

/** The lane `entry` joins. */
export function laneFor(lanes: readonly Lane[], entry: Entry): Lane {
  for (const lane of lanes) if (lane.holds(entry.key)) return lane;
  const own = ownLane(lanes, entry);
  if (lanes.some((lane) => lane.busy())) return own;
  // A quiet moment: join a lane about to send (events waiting and no request in flight).
  for (const lane of lanes) if (lane !== own && lane.waiting > 0) return lane;
  return own;
}

/**
 * `lane`'s request is over: under load (another request in flight, or many events waiting here), the waiting
 * events of other lanes' partitions go back to their own lanes. None of them is in a request (the lane's is
 * over) and no other lane holds their partitions (they are held here), so each partition keeps its order.
 */
export function rebalance(lanes: readonly Lane[], lane: Lane): void {
  if (lanes.length === 1) return;
  if (lane.waiting <= SPREAD_ABOVE && !lanes.some((other) => other !== lane && other.busy())) return;
  const handed = lane.handOver((entry) => ownLane(lanes, entry) !== lane);
  if (handed.length === 0) return;
  const byLane = new Map<Lane, Entry[]>();
  for (const entry of handed) {
    const own = ownLane(lanes, entry);
    const list = byLane.get(own);
    if (list) list.push(entry);
    else byLane.set(own, [entry]);
  }
  for (const [own, entries] of byLane) own.adopt(entries);
}

function ownLane(lanes: readonly Lane[], entry: Entry): Lane {
  return lanes[entry.message.partition % lanes.length]!;
}
