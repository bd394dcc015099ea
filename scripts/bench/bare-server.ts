// The HTTP limit: a bare express 5 app that parses the JSON body and answers 201 with a body shaped like the
// sidecar's, without validation and without Kafka. Run as its own process, like the sidecar, on PORT.
import express from 'express';

const port = Number(process.env.PORT ?? 0);
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

const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(
    JSON.stringify({ msg: 'bare server listening', port: typeof address === 'object' ? address?.port : port }),
  );
});
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
