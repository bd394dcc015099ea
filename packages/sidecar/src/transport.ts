// What every transport is to the sidecar. A leaf, so the transports and the sidecar that assembles them both
// depend on it, never on each other. The health they all report is decided in health-policy.ts.

/** A server the sidecar starts after Kafka is reachable and stops before flushing the producer. */
export interface Transport {
  readonly name: string;
  start(): Promise<void>;
  /** Stop taking work and finish what is in flight; must resolve by `deadline` (epoch ms) or soon after. */
  close(deadline: number): Promise<void>;
  /** Shutdown began: answers still being computed close their connection once sent. */
  quiesce?(): void;
  /** True while clients still hold connections open (the drain waits for them to go, or for its bound). */
  busy?(): Promise<boolean>;
}
