// The narrow views of EventProducer the sidecar's modules need, defined once: each module asks for no
// more than it uses, so a test may pass a small wrapper, and what a module can do to Kafka shows in its type.
import type { EventProducer } from '@event-sidecar/producer';

/** Reports the producer's state (health endpoints, gRPC health). */
export type HealthSource = Pick<EventProducer, 'health'>;

/** Publishes one event again (the spool's replayer). */
export type ReplayPublisher = Pick<EventProducer, 'publish'>;

/** What the ingress needs to take events (both transports go through it). */
export type Publisher = Pick<EventProducer, 'publish' | 'publishMany' | 'health' | 'topic'>;

/** The producer as the sidecar drives it, start to stop. */
export type SidecarProducer = Publisher & Pick<EventProducer, 'connect' | 'close' | 'partitionFor'>;
