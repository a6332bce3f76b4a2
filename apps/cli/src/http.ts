import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** An HTTP answer whose body is read once: as text, as JSON, or streamed. */
export interface HttpAnswer {
  status: number;
  ok: boolean;
  /** The body as it arrives (for server-sent events). */
  body: AsyncIterable<Buffer>;
  text(): Promise<string>;
  /** Drops the connection (ends a stream that is being read). */
  close(): void;
}

/** What {@link httpFetch} sends. */
export interface HttpInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM of the CA to verify an HTTPS server with (a private CA of `shoal up --tls-*`). */
  ca?: string;
}

/**
 * One HTTP(S) request with node:http(s) (Node's fetch cannot be given a CA). No connection is
 * kept alive, so a command exits as soon as its work is done.
 */
export function httpFetch(url: string, init: HttpInit = {}): Promise<HttpAnswer> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...init.headers, ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) };
  return new Promise((resolve, reject) => {
    const req = send(u, { method: init.method ?? 'GET', headers, agent: false, ...(init.ca ? { ca: init.ca } : {}) }, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      resolve({
        status,
        ok: status >= 200 && status < 300,
        body: res,
        text: async () => {
          let s = '';
          res.setEncoding('utf8');
          for await (const chunk of res) s += chunk as string;
          return s;
        },
        close: () => res.destroy(),
      });
    });
    req.once('error', reject);
    req.end(init.body);
  });
}
