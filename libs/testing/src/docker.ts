import { existsSync } from 'node:fs';
import { request } from 'node:http';

const DEFAULT_SOCKET = '/var/run/docker.sock';
const cache = new Map<string, Promise<boolean>>();

/**
 * True when a Docker engine answers `GET /_ping` within `timeoutMs` (default 1000).
 * Cheap when there is no engine: without DOCKER_HOST or /var/run/docker.sock nothing is
 * contacted. The answer is cached per process and DOCKER_HOST value.
 */
export function isDockerAvailable(timeoutMs = 1000, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const key = `${env.DOCKER_HOST ?? ''}|${env.DOCKER_TLS_VERIFY ?? ''}`;
  let answer = cache.get(key);
  if (!answer) {
    answer = pingDocker(timeoutMs, env);
    cache.set(key, answer);
  }
  return answer;
}

function pingDocker(timeoutMs: number, env: NodeJS.ProcessEnv): Promise<boolean> {
  const target = dockerTarget(env.DOCKER_HOST, Boolean(env.DOCKER_TLS_VERIFY));
  if (!target) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('docker ping timed out')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

function dockerTarget(
  dockerHost: string | undefined,
  tls: boolean,
): { socketPath: string } | { host: string; port: number } | undefined {
  if (!dockerHost) return existsSync(DEFAULT_SOCKET) ? { socketPath: DEFAULT_SOCKET } : undefined;
  if (dockerHost.startsWith('unix://')) {
    const socketPath = dockerHost.slice('unix://'.length);
    return existsSync(socketPath) ? { socketPath } : undefined;
  }
  const m = /^(?:tcp|http):\/\/([^:/]+):(\d+)/.exec(dockerHost);
  // TLS (DOCKER_TLS_VERIFY / https) engines are not pinged; the local binary is used instead.
  if (!m || tls) return undefined;
  return { host: m[1]!, port: Number(m[2]) };
}
