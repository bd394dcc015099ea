// The logging variables Mojaloop's charts set on the sidecar: LOG_LEVEL with Mojaloop's level names, LOG_FILTER as
// the levels written, EVENT_SDK_LOG_FILTER and EVENT_SDK_LOG_METADATA_ONLY as the events echoed to the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { validateEvent, type EventMessage } from '@event-sidecar/contract';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { echoingValidator, eventLogFilter } from '../src/event-echo.js';
import { effectiveLogLevels, logFilter, logLevel } from '../src/log-levels.js';
import { createLogger } from '../src/logger.js';
import { testEvent } from './fixtures.js';

type Line = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function capture(): { stream: Writable; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  return { stream, lines };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test("LOG_LEVEL takes pino's levels and Mojaloop's names for the nearest of them", () => {
  for (const [value, level] of [
    ['info', 'info'],
    ['WARN', 'warn'],
    ['silly', 'trace'],
    ['verbose', 'debug'],
    ['perf', 'debug'],
    ['audit', 'warn'],
    ['trace', 'trace'],
  ])
    assert.deepEqual(logLevel(value!, 'LOG_LEVEL'), { ok: true, value: level });
  assert.equal(loadConfig({ LOG_LEVEL: 'silly' }).logLevel, 'trace');
  assert.equal(logLevel('loud', 'LOG_LEVEL').ok, false);
});

test('LOG_FILTER: the levels written, as a threshold and, with gaps, the only levels kept', () => {
  assert.deepEqual(logFilter('error, warn, info', 'LOG_FILTER'), { ok: true, value: ['error', 'warn', 'info'] });
  assert.deepEqual(logFilter('audit, error', 'LOG_FILTER'), { ok: true, value: ['error'] });
  assert.deepEqual(logFilter('error, loud, silent', 'LOG_FILTER'), {
    ok: false,
    problems: [
      'LOG_FILTER must list levels (fatal, error, warn, info, debug, trace, audit, perf, verbose, silly), got "loud", "silent"',
    ],
  });
  // The charts' default: every level from info up, as LOG_LEVEL=info alone.
  assert.deepEqual(effectiveLogLevels('info', ['error', 'warn', 'info']), { level: 'info' });
  assert.deepEqual(effectiveLogLevels('debug', ['error', 'warn', 'info']), { level: 'info' });
  assert.deepEqual(effectiveLogLevels('info', ['error']), { level: 'error' });
  assert.deepEqual(effectiveLogLevels('info', ['error', 'info']), { level: 'info', only: ['fatal', 'error', 'info'] });
  assert.deepEqual(effectiveLogLevels('warn', ['debug']), { level: 'warn', only: ['fatal'] });
  assert.deepEqual(effectiveLogLevels('silent', ['error']), { level: 'silent' });
  const config = loadConfig({ LOG_LEVEL: 'debug', LOG_FILTER: 'error, info' });
  assert.equal(config.logLevel, 'info');
  assert.deepEqual(config.logOnly, ['fatal', 'error', 'info']);
});

test('a logger with a gap in LOG_FILTER drops the lines of the missing levels, fatal kept', async () => {
  const { stream, lines } = capture();
  const logger = createLogger('info', stream, ['fatal', 'error', 'info']);
  logger.child({ component: 'c' }).warn('dropped');
  logger.info('kept');
  logger.error('kept');
  logger.fatal('kept');
  logger.debug('below the threshold');
  await flush();
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      [30, 'kept'],
      [50, 'kept'],
      [60, 'kept'],
    ],
  );
});

test("EVENT_SDK_LOG_FILTER takes event-sdk's grammar and selects type:action pairs", () => {
  assert.deepEqual(eventLogFilter('audit:*, log:info, log:warn, log:error', 'EVENT_SDK_LOG_FILTER'), {
    ok: true,
    value: [
      'log:info',
      'log:warn',
      'log:error',
      'audit:default',
      'audit:start',
      'audit:finish',
      'audit:ingress',
      'audit:egress',
    ],
  });
  const all = eventLogFilter('*', 'F');
  assert.ok(
    all.ok && all.value.length === 14 && all.value.includes('trace:span') && all.value.includes('error:internal'),
  );
  assert.deepEqual(eventLogFilter('log:warning, audit, span:*', 'EVENT_SDK_LOG_FILTER'), {
    ok: false,
    problems: [
      'EVENT_SDK_LOG_FILTER must list type:action, type:* or * (types log, audit, trace, error), got "log:warning", "audit", "span:*"',
    ],
  });
  const config = loadConfig({ EVENT_SDK_LOG_FILTER: 'trace:*', EVENT_SDK_LOG_METADATA_ONLY: 'true' });
  assert.deepEqual(config.eventEcho, { events: ['trace:span'], metadataOnly: true });
  assert.equal(loadConfig({ EVENT_SDK_LOG_METADATA_ONLY: 'true' }).eventEcho, undefined, 'no filter, no echo');
});

function withAction(event: EventMessage, type: string, action: string): EventMessage {
  return {
    ...event,
    metadata: { ...event.metadata, event: { ...event.metadata.event, type, action } },
  } as EventMessage;
}

test('the selected events are echoed once valid, at their level, whole or metadata only', async () => {
  const { stream, lines } = capture();
  const logger = createLogger('info', stream);
  const events = ['log:warn', 'audit:start'];
  const whole = echoingValidator(validateEvent, logger, { events, metadataOnly: false });
  const warn = withAction(testEvent('1'), 'log', 'warn');
  const audit = testEvent('2', { type: 'audit' });
  assert.equal(whole(warn).ok, true);
  assert.equal(whole(audit).ok, true);
  assert.equal(whole(testEvent('3')).ok, true, 'log:info is not selected');
  assert.equal(whole({ ...warn, id: 7 }).ok, false, 'an invalid event is not echoed');
  const metadataOnly = echoingValidator(validateEvent, logger, { events, metadataOnly: true });
  metadataOnly(audit);
  await flush();
  assert.deepEqual(
    lines.map((l) => ({
      level: l.level,
      component: l.component,
      msg: l.msg,
      event: l.event,
      id: l.id,
      metadata: l.metadata,
    })),
    [
      { level: 40, component: 'events', msg: 'event', event: warn, id: undefined, metadata: undefined },
      { level: 30, component: 'events', msg: 'event', event: audit, id: undefined, metadata: undefined },
      { level: 30, component: 'events', msg: 'event', event: undefined, id: '2', metadata: audit.metadata },
    ],
  );
});

test('a bad logging variable stops the start, named', () => {
  assert.throws(
    () => loadConfig({ LOG_FILTER: 'everything', EVENT_SDK_LOG_FILTER: 'log:all' }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.length === 2 &&
      err.problems[0]!.startsWith('LOG_FILTER') &&
      err.problems[1]!.startsWith('EVENT_SDK_LOG_FILTER'),
  );
});
