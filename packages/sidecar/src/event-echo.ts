// EVENT_SDK_LOG_FILTER and EVENT_SDK_LOG_METADATA_ONLY, which Mojaloop's charts set on the sidecar as on the
// service: the events the filter selects are echoed to the log as they arrive (once valid), the whole event or its
// metadata only, as `@mojaloop/event-sdk` logs them in a service. The filter's grammar is the SDK's: `type:action`,
// `type:*`, or `*` for every event, separated by commas. The echo wraps the validator, so both transports and both
// routes echo alike without the ingress knowing.
import type { Logger } from 'pino';
import { EVENT_ACTIONS, EVENT_TYPES, type EventMessage, type EventType } from '@event-sidecar/contract';
import { bad, ok, splitList, type Parser } from './env.js';
import type { EventValidator } from './ingress.js';
import type { LogLevel } from './log-levels.js';

/** Every `type:action` pair the contract allows, in its order. */
const ALL = EVENT_TYPES.flatMap((type) => EVENT_ACTIONS[type].map((action) => `${type}:${action}`));

/** The filter as the `type:action` pairs it selects, in the contract's order. */
export const eventLogFilter: Parser<readonly string[]> = (value, name) => {
  const selected = new Set<string>();
  const refused: string[] = [];
  for (const entry of splitList(value)) {
    const [type = '', action = ''] = entry.split(':').map((part) => part.trim());
    if (type === '*') ALL.forEach((pair) => selected.add(pair));
    else if (!(EVENT_TYPES as readonly string[]).includes(type)) refused.push(entry);
    else if (action === '*') EVENT_ACTIONS[type as EventType].forEach((a) => selected.add(`${type}:${a}`));
    else if ((EVENT_ACTIONS[type as EventType] as readonly string[]).includes(action))
      selected.add(`${type}:${action}`);
    else refused.push(entry);
  }
  if (refused.length > 0)
    return bad(
      `${name} must list type:action, type:* or * (types ${EVENT_TYPES.join(', ')}), got "${refused.join('", "')}"`,
    );
  return ok(ALL.filter((pair) => selected.has(pair)));
};

/** A log event at its action's level (the SDK's), every other event at info. */
const LEVEL_OF_ACTION: Readonly<Record<string, LogLevel>> = {
  info: 'info',
  debug: 'debug',
  verbose: 'debug',
  perf: 'debug',
  warn: 'warn',
  error: 'error',
};

function echoLevel(event: EventMessage): LogLevel {
  const { type, action } = event.metadata.event;
  return type === 'log' ? (LEVEL_OF_ACTION[action] ?? 'info') : 'info';
}

export interface EchoOptions {
  /** The `type:action` pairs to echo. */
  readonly events: readonly string[];
  readonly metadataOnly: boolean;
}

/** `validate`, echoing each valid event the filter selects to `logger` (component `events`). */
export function echoingValidator(validate: EventValidator, logger: Logger, options: EchoOptions): EventValidator {
  const selected = new Set(options.events);
  const log = logger.child({ component: 'events' });
  return (value) => {
    const checked = validate(value);
    if (checked.ok) {
      const { event } = checked;
      if (selected.has(`${event.metadata.event.type}:${event.metadata.event.action}`)) {
        const level = echoLevel(event);
        if (log.isLevelEnabled(level))
          log[level](options.metadataOnly ? { id: event.id, metadata: event.metadata } : { event }, 'event');
      }
    }
    return checked;
  };
}
