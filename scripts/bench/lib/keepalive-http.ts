// `POST` over ONE keep-alive connection, one request at a time: what a service awaiting each event sees. node:http
// with a one-socket agent, lighter on the client than fetch, so that the client's own cost stays small.
import { Agent, request } from 'node:http';

export class KeepAliveClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
  }

  /** One request; resolves when it answered `okStatus`, throws with the status otherwise. */
  post(path: string, body: Buffer, okStatus: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: this.host,
          port: this.port,
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.once('end', () =>
            res.statusCode === okStatus ? resolve() : reject(new Error(`HTTP ${res.statusCode ?? 'no status'}`)),
          );
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
