// Where each event type goes once the topics are known: its topic, that topic's partition count, its chooser,
// and the partitions a consumer of that type reads. One route per type, in both topic layouts.
import type { EventMessage, EventType } from '@event-sidecar/contract';
import { EVENT_TYPES } from '@event-sidecar/contract/constants';
import { ProducerError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { TopicHealth } from './status.js';
import { createChooser, resolvePartitionMap, type Chooser } from './partitioning.js';

export interface Route {
  readonly topic: string;
  /** Partitions of `topic`. */
  readonly topicPartitions: number;
  readonly choose: Chooser;
  /** The partitions of `topic` that carry this type: what a consumer of the type assigns itself. */
  readonly partitions: readonly number[];
}

export type Routes = Readonly<Record<EventType, Route>>;

type RouteOptions = Pick<ResolvedOptions, 'topics' | 'strategy' | 'partitionMap'>;

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The routes of every type, from the partition count of each topic (checkTopics). */
export function createRoutes(opts: RouteOptions, partitionsOf: ReadonlyMap<string, number>): Routes {
  const choosers = new Map<string, Chooser>();
  const out = {} as Record<EventType, Route>;
  for (const type of EVENT_TYPES) {
    const topic = opts.topics[type];
    const topicPartitions = partitionsOf.get(topic);
    if (topicPartitions === undefined) throw new ProducerError('TOPIC_NOT_FOUND', `topic "${topic}" was not checked`);
    // One chooser per topic: with one topic, every type shares its map.
    let choose = choosers.get(topic);
    if (!choose) choosers.set(topic, (choose = createChooser(opts.strategy, opts.partitionMap, topicPartitions)));
    const partitions =
      opts.strategy === 'event-type'
        ? resolvePartitionMap(topicPartitions, opts.partitionMap)[type]
        : // trace-id (and per-type topics) spread every type over all partitions; a custom partitioner may too.
          all(topicPartitions);
    out[type] = Object.freeze({ topic, topicPartitions, choose, partitions: Object.freeze([...partitions]) });
  }
  return Object.freeze(out);
}

/** A route for an event whose type is none of the four: creating its entry fails with INVALID_EVENT. */
const NO_ROUTE: Route = Object.freeze({
  topic: '',
  topicPartitions: 0,
  partitions: Object.freeze([]),
  choose: (event: EventMessage) => {
    throw new ProducerError('INVALID_EVENT', `unknown event type "${String(event?.metadata?.event?.type)}"`);
  },
});

/** The route of `event` by its type; NO_ROUTE for an unknown type (its record is checked first, in sizedRecord). */
export function routeOf(routes: Routes, event: EventMessage): Route {
  const type = event?.metadata?.event?.type;
  return (typeof type === 'string' && (routes as Record<string, Route>)[type]) || NO_ROUTE;
}

/** The topics of the routes, each once, with the types it carries: what health() reports. */
export function topicsOf(routes: Routes): TopicHealth[] {
  const out = new Map<string, TopicHealth>();
  for (const type of EVENT_TYPES) {
    const { topic, topicPartitions } = routes[type];
    const seen = out.get(topic);
    if (seen) seen.types.push(type);
    else out.set(topic, { topic, partitions: topicPartitions, types: [type] });
  }
  return [...out.values()];
}
