// The real `@mojaloop/event-sdk` client, as services use it: one EventLoggingServiceClient (one gRPC channel) per
// sidecar, `await client.log(eventMessage)`, which maps the content to a protobuf Any and waits for the answer.
import type { EventMessage } from '@event-sidecar/contract';

type SdkClient = { log(event: object): Promise<{ status?: string }> };
type SdkModule = { EventLoggingServiceClient: new (host: string, port: number) => SdkClient };

let sdk: Promise<SdkModule> | undefined;

/**
 * The SDK reads its configuration (rc 'EVENT_SDK') when first loaded: keep it from echoing events to the console,
 * and the variable from the sidecars started after it (whose settings refuse that value).
 */
function loadSdk(): Promise<SdkModule> {
  sdk ??= (async () => {
    const own = process.env.EVENT_SDK_LOG_FILTER;
    process.env.EVENT_SDK_LOG_FILTER ??= 'none:none';
    try {
      return (await import('@mojaloop/event-sdk')) as unknown as SdkModule;
    } finally {
      if (own === undefined) delete process.env.EVENT_SDK_LOG_FILTER;
    }
  })();
  return sdk;
}

export class EventSdkClient {
  private constructor(private readonly client: SdkClient) {}

  static async connect(host: string, port: number): Promise<EventSdkClient> {
    const { EventLoggingServiceClient } = await loadSdk();
    return new EventSdkClient(new EventLoggingServiceClient(host, port));
  }

  /** Logs one event; resolves when the sidecar answered `accepted`, throws otherwise. */
  async log(event: EventMessage): Promise<void> {
    const response = await this.client.log(event);
    if (response?.status !== 'accepted') throw new Error(`Log answered ${response?.status ?? 'no status'}`);
  }

  close(): void {
    // The SDK exposes no close(); its grpc-js client is a field, closed so that the run can end.
    (this.client as unknown as { grpcClient?: { close?: () => void } }).grpcClient?.close?.();
  }
}
