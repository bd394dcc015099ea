// The transport limits: a bare express 5 app that parses the JSON body and answers 201 with a body shaped like
// the sidecar's, and a bare grpc-js server whose `Log` decodes the message and answers `accepted`; neither
// validates nor touches Kafka. Run as its own process, like the sidecar: HTTP on PORT, gRPC on GRPC_PORT (when
// set). What the sidecar adds on each transport is measured against these.
import { Server, ServerCredentials, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition } from '@grpc/grpc-js';
import express from 'express';
import { protoPath } from '@event-sidecar/contract';

const port = Number(process.env.PORT ?? 0);
const grpcPort = process.env.GRPC_PORT ? Number(process.env.GRPC_PORT) : undefined;
const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '1mb' }));
app.get('/health', (_req, res) => {
  res.json({ status: 'OK' });
});
app.post('/event', (req, res) => {
  const id = (req.body as { id?: unknown } | undefined)?.id;
  res.status(201).json({ id, topic: 'bare', partition: 0, offset: '0' });
});
app.post('/events', (req, res) => {
  const events = Array.isArray(req.body) ? (req.body as { id?: unknown }[]) : [];
  res.status(201).json(events.map((e, i) => ({ id: e?.id, topic: 'bare', partition: 0, offset: String(i) })));
});

// The loader options of event-sdk and of the sidecar: the same decoding work per call.
const definition = loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true });
const events = (loadPackageDefinition(definition).mojaloop as GrpcObject).events as GrpcObject;
const service = (events.EventLoggerService as unknown as { service: ServiceDefinition }).service;
const grpcServer = new Server();
grpcServer.addService(service, {
  Log: (_call: unknown, callback: (error: null, response: { status: string }) => void) => {
    callback(null, { status: 'accepted' });
  },
});

const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(
    JSON.stringify({ msg: 'bare server listening', port: typeof address === 'object' ? address?.port : port }),
  );
});
if (grpcPort !== undefined) {
  grpcServer.bindAsync(`127.0.0.1:${grpcPort}`, ServerCredentials.createInsecure(), (err, bound) => {
    if (err) {
      console.error(`bare gRPC server: ${err.message}`);
      process.exit(1);
    }
    console.log(JSON.stringify({ msg: 'bare gRPC server listening', port: bound }));
  });
}
const stop = (): void => {
  grpcServer.forceShutdown();
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
