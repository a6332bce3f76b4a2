import { existsSync } from 'node:fs';
import { request } from 'node:http';

const DEFAULT_SOCKET = '/var/run/docker.sock';
let cached: Promise<boolean> | undefined;

/**
 * True when a Docker engine answers `GET /_ping` within `timeoutMs` (default 1000).
 * Cheap when there is no engine: without DOCKER_HOST or /var/run/docker.sock nothing is
 * contacted. The answer is cached per process.
 */
export function isDockerAvailable(timeoutMs = 1000): Promise<boolean> {
  cached ??= pingDocker(timeoutMs);
  return cached;
}

function pingDocker(timeoutMs: number): Promise<boolean> {
  const target = dockerTarget(process.env.DOCKER_HOST);
  if (!target) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request(
      { ...target, path: '/_ping', method: 'GET', timeout: timeoutMs },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy(new Error('docker ping timed out')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

function dockerTarget(dockerHost: string | undefined): { socketPath: string } | { host: string; port: number } | undefined {
  if (!dockerHost) return existsSync(DEFAULT_SOCKET) ? { socketPath: DEFAULT_SOCKET } : undefined;
  if (dockerHost.startsWith('unix://')) {
    const socketPath = dockerHost.slice('unix://'.length);
    return existsSync(socketPath) ? { socketPath } : undefined;
  }
  const m = /^(?:tcp|http):\/\/([^:/]+):(\d+)/.exec(dockerHost);
  // TLS (DOCKER_TLS_VERIFY / https) engines are not pinged; the local binary is used instead.
  if (!m || process.env.DOCKER_TLS_VERIFY) return undefined;
  return { host: m[1]!, port: Number(m[2]) };
}
