// An IEventRecorder for @mojaloop/event-sdk that writes through EventProducer: a service logs its spans, audits
// and logs straight to Kafka, as the SDK's own direct mode (EVENT_SDK_KAFKA) does, with the same key and value
// bytes, but each event confirmed by the broker (acks=all), partitioned and batched, and kept through an outage
// (the producer's whenUnavailable 'wait') as librdkafka keeps it.
// Only the SDK's types are used: it stays an optional peer dependency, loaded by the service, not by us.
import { toEventMessage, type EventMessage } from '@event-sidecar/contract';
import type { EventMessage as SdkEventMessage, TypeMessageMetadata } from '@mojaloop/event-sdk';
// Not re-exported by the SDK's index; the SDK has no exports map, so its file is reachable.
import type { IEventRecorder } from '@mojaloop/event-sdk/dist/Recorder.js';
import { isProducerError, ProducerError } from './errors.js';
import type { WhenUnavailable } from './options.js';
import type { PublishResult } from './producer.js';

/** The part of EventProducer the recorder uses. */
export interface RecorderPublisher {
  publish(event: EventMessage): Promise<PublishResult>;
  /** An EventProducer says it; the recorder refuses one that would drop events during an outage ('refuse'). */
  readonly whenUnavailable?: WhenUnavailable;
}

/** The SDK's LogResponse: what its own recorders resolve with, and what Span checks (`status === 'accepted'`). */
export interface RecorderResponse {
  status: 'accepted' | 'error';
  error?: ProducerError;
}

export interface EventSdkRecorderOptions {
  /**
   * Called for each event whose `doLog` flag is set (the SDK sets it from its LOG_FILTER): the SDK's own
   * recorders echo such events to the console. Left to the service, which knows its logger; none by default.
   */
  onLog?: (event: SdkEventMessage) => void;
  /**
   * Called once for each event that could not be recorded (the deadline passed, the queue was full, the producer
   * closed, ...). Span logs the failure of a call it awaits, but never sees one it does not await (the SDK's
   * ASYNC_OVERRIDE_EVENTS): this is where those show. Default: a warning on stderr at most every 10 s, with the
   * count since the last one.
   */
  onError?: (error: ProducerError, event: SdkEventMessage) => void;
}

/** The default onError: one line at most every 10 s, so that an outage that ends in failures cannot flood stderr. */
function warnEvery(intervalMs: number): (error: ProducerError) => void {
  let last = -Infinity;
  let unreported = 0;
  return (error) => {
    unreported++;
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    process.emitWarning(`${unreported} event(s) not recorded; last: ${error.code}: ${error.message}`, {
      code: 'EVENT_SDK_RECORDER',
    });
    unreported = 0;
  };
}

/**
 * Records each event with `producer.publish()`. `record()` resolves with `{ status: 'accepted' }` once Kafka has
 * acknowledged the event, and rejects with the ProducerError otherwise (as the SDK's DefaultSidecarRecorder
 * rejects with its client's error); Span catches and logs the rejection of a call it awaits, and never retries.
 * A call Span does not await cannot leak an unhandled rejection: the promise is marked handled, and onError
 * reports the failure. An event without `content` is refused, as the SDK's EventLoggingServiceClient refuses it.
 */
export class EventSdkRecorder implements IEventRecorder {
  /** The function that records: IEventRecorder asks for the transport or a function. */
  readonly recorder: (event: SdkEventMessage) => Promise<PublishResult>;
  private readonly onLog: ((event: SdkEventMessage) => void) | undefined;
  private readonly onError: (error: ProducerError, event: SdkEventMessage) => void;

  constructor(producer: RecorderPublisher, options: EventSdkRecorderOptions = {}) {
    if (typeof producer?.publish !== 'function') {
      throw new ProducerError('INVALID_OPTIONS', 'EventSdkRecorder needs an EventProducer (an object with publish())');
    }
    if (producer.whenUnavailable === 'refuse') {
      throw new ProducerError(
        'INVALID_OPTIONS',
        "EventSdkRecorder needs an EventProducer created with whenUnavailable: 'wait': one that refuses events while " +
          'Kafka is away would lose them (Span never retries)',
      );
    }
    this.onLog = options.onLog;
    this.onError = options.onError ?? warnEvery(10_000);
    this.recorder = (event) => {
      if (event?.content === undefined || event.content === null) {
        return Promise.reject(new ProducerError('INVALID_EVENT', 'Invalid eventMessage: content is mandatory'));
      }
      // The SDK's EventMessage is an EventMessageLike: checked against the contract before it goes to Kafka, as the
      // sidecar checks what it receives; the producer serializes own enumerable fields only, as the SDK does.
      const checked = toEventMessage(event);
      if (!checked.ok) {
        const issues = checked.errors.map((issue) => `${issue.field || '/'} ${issue.message}`).join('; ');
        return Promise.reject(new ProducerError('INVALID_EVENT', `Invalid eventMessage: ${issues}`));
      }
      return producer.publish(checked.event);
    };
  }

  preProcess = (event: SdkEventMessage): SdkEventMessage | TypeMessageMetadata => event;

  postProcess = (result: RecorderResponse): RecorderResponse => result;

  record(
    event: SdkEventMessage,
    doLog = true,
    callback?: (result: RecorderResponse) => void,
  ): Promise<RecorderResponse> {
    const recorded = this.recordOne(event, doLog, callback);
    // Span does not await the types of its ASYNC_OVERRIDE_EVENTS and attaches no handler: without this, their
    // failure would be an unhandled rejection, which ends a Node.js process. A caller that awaits still gets it.
    recorded.catch(() => undefined);
    return recorded;
  }

  private async recordOne(
    event: SdkEventMessage,
    doLog: boolean,
    callback: ((result: RecorderResponse) => void) | undefined,
  ): Promise<RecorderResponse> {
    if (doLog && this.onLog) this.onLog(event);
    let result: RecorderResponse;
    try {
      await this.recorder(this.preProcess(event) as SdkEventMessage);
      result = this.postProcess({ status: 'accepted' });
    } catch (e) {
      const error = isProducerError(e) ? e : new ProducerError('UNKNOWN', String(e), { cause: e });
      try {
        this.onError(error, event);
      } catch {
        // A failing hook must not turn into the recorder's failure.
      }
      callback?.({ status: 'error', error });
      throw error;
    }
    callback?.(result);
    return result;
  }
}
