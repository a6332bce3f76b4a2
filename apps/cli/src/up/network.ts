import { createServer } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

/** True for the listen-everywhere addresses. */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/**
 * The host other machines use to reach a listener: `advertise` when given; for a wildcard listen
 * address the first non-internal IPv4 address of this host (else `fallback`, the host name);
 * otherwise the listen address itself.
 */
export function advertiseHost(listen: string, advertise: string | undefined, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>, fallback: string): string {
  if (advertise) return advertise;
  if (!isWildcard(listen)) return listen;
  for (const list of Object.values(interfaces)) {
    const v4 = list?.find((i) => i.family === 'IPv4' && !i.internal);
    if (v4) return v4.address;
  }
  return fallback;
}

/** True for addresses only this host can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

/** How processes on this host reach a listener on `listen` (a wildcard is reached on loopback). */
export function localHost(listen: string): string {
  if (listen === '::' || listen === '[::]') return '::1';
  return isWildcard(listen) ? '127.0.0.1' : listen;
}

/** A host as it appears in a URL (IPv6 in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A free TCP port on `host` (binds port 0, reads it, closes it). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host.replace(/^\[|\]$/g, ''), () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
