import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny HTTP server for Prometheus: `GET /metrics` answers `render()` as text exposition 0.0.4,
 * anything else 404 (`HEAD` too, nothing but the one route). No auth: bind it to loopback or a
 * network only scrapers reach.
 */
export class MetricsServer {
  private server?: Server;

  constructor(private readonly render: () => Promise<string>) {}

  /** Listens; resolves with the bound address (port 0 picks a free one). */
  async listen(host: string, port: number): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics only\n');
        return;
      }
      this.render().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`# metrics collection failed: ${e.message}\n`),
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  /** Stops listening and closes idle keep-alive connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
