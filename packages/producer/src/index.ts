// The producer is built in its own step; this package already exists so that the
// workspace and project references have their final shape.
export const PRODUCER_PACKAGE = '@event-sidecar/producer';
