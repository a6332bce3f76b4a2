import { locateNatsServer } from './binaries.js';
import { isDockerAvailable } from './docker.js';
import { HarnessError } from './errors.js';
import { LocalNatsProcess } from './nats-local.js';
import { tempDir } from './temp-dir.js';

/** Where a test NATS server runs. */
export type NatsServerKind = 'local' | 'docker';

/** Options for {@link startNats}. */
export interface StartNatsOptions {
  /** Enable JetStream (default true). */
  jetstream?: boolean;
  /**
   * `auto` (default, or env `SHOAL_TEST_NATS`): Docker if an engine answers, else the local binary.
   * Fault tests that crash or restart servers should ask for `local`.
   */
  mode?: 'auto' | NatsServerKind;
  /** Deadline for "Server is ready" in ms (default 30 000). */
  startTimeoutMs?: number;
  /** Docker image for the container path (default `nats:2.10.29`). */
  image?: string;
  /**
   * Local only: a nats-server config file (authorization, TLS, JetStream store dir). The server
   * still listens on 127.0.0.1 at `port` (or a random port) and keeps it across restarts.
   */
  configFile?: string;
  /** Local only, with `configFile`: the port to listen on (default random). */
  port?: number;
}

/** Options to pass to `connect()` of `@nats-io/transport-node`. */
export interface NatsConnectOptions {
  servers: string | string[];
  user?: string;
  pass?: string;
}

/** A running NATS server for a test. */
export interface NatsServerHandle {
  readonly kind: NatsServerKind;
  /** `nats://host:port` (no credentials; see `connectOptions`). */
  readonly url: string;
  readonly port: number;
  /** JetStream store dir (local: a temp dir removed by `stop()`; docker: path inside the container). */
  readonly dataDir: string;
  /** Process id of the local server while it runs; undefined for docker or when stopped. */
  readonly pid: number | undefined;
  /** Ready-made options for `connect()`, including credentials the container requires. */
  readonly connectOptions: NatsConnectOptions;
  /** Server log so far. */
  logs(): string;
  /** Local only: kills the server abruptly (default SIGKILL), keeping its data dir. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Local only: starts a killed server again on the same port with the same data dir. */
  restart(): Promise<void>;
  /** Stops the server (SIGTERM, SIGKILL after a deadline) and removes its data dir. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a NATS server (JetStream on by default): in Docker via testcontainers when an
 * engine is reachable, else the local `nats-server` binary on a random 127.0.0.1 port.
 */
export async function startNats(opts: StartNatsOptions = {}): Promise<NatsServerHandle> {
  const mode = opts.mode ?? envMode() ?? 'auto';
  const useDocker = !opts.configFile && (mode === 'docker' || (mode === 'auto' && (await isDockerAvailable())));
  return useDocker ? startDockerNats(opts) : startLocalNats(opts);
}

function envMode(): StartNatsOptions['mode'] | undefined {
  const v = process.env.SHOAL_TEST_NATS;
  return v === 'local' || v === 'docker' || v === 'auto' ? v : undefined;
}

async function startLocalNats(opts: StartNatsOptions): Promise<NatsServerHandle> {
  const bin = locateNatsServer();
  const dir = tempDir('shoal-nats-');
  const jetstream = opts.jetstream ?? true;
  const server = new LocalNatsProcess(
    bin,
    'nats-server',
    (previous) => [
      ...(opts.configFile ? ['-c', opts.configFile] : jetstream ? ['-js', '-sd', dir.path] : []),
      '-a',
      '127.0.0.1',
      '-p',
      String(previous?.port ?? opts.port ?? -1),
    ],
    opts.startTimeoutMs ?? 30_000,
  );
  let port: number;
  try {
    ({ port } = await server.start());
  } catch (err) {
    await dir.dispose();
    throw err;
  }
  return localHandle(server, port, dir.path, () => dir.dispose());
}

/** Wraps a started {@link LocalNatsProcess} as a {@link NatsServerHandle}. */
export function localHandle(
  server: LocalNatsProcess,
  port: number,
  dataDir: string,
  removeData: () => Promise<void>,
  host = '127.0.0.1',
): NatsServerHandle {
  const url = `nats://${host}:${port}`;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      try {
        await server.stop('SIGTERM', 10_000);
      } finally {
        await removeData();
      }
    })();
    return stopping;
  };
  return {
    kind: 'local',
    url,
    port,
    dataDir,
    get pid() {
      return server.pid;
    },
    connectOptions: { servers: url },
    logs: () => server.logs(),
    kill: (signal: NodeJS.Signals = 'SIGKILL') => server.stop(signal, 5000),
    restart: async () => {
      if (stopping) throw new HarnessError('START_FAILED', `nats-server on ${url} was stopped for good`);
      await server.start();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function startDockerNats(opts: StartNatsOptions): Promise<NatsServerHandle> {
  const { NatsContainer } = await import('@testcontainers/nats');
  const dataDir = '/data';
  let container = new NatsContainer(opts.image ?? 'nats:2.10.29');
  if (opts.jetstream ?? true) container = container.withArg('-js').withArg('-sd', dataDir);
  const started = await container.withStartupTimeout(opts.startTimeoutMs ?? 120_000).start();
  const { user, pass } = started.getConnectionOptions();
  const port = started.getMappedPort(4222);
  const url = `nats://${started.getHost()}:${port}`;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= started.stop().then(() => undefined);
    return stopping;
  };
  const localOnly = async () => {
    throw new HarnessError('COMMAND_FAILED', 'kill/restart need a local nats-server: startNats({ mode: "local" })');
  };
  return {
    kind: 'docker',
    url,
    port,
    dataDir,
    pid: undefined,
    connectOptions: { servers: url, ...(user ? { user } : {}), ...(pass ? { pass } : {}) },
    logs: () => '(container logs: use `docker logs`)',
    kill: localOnly,
    restart: localOnly,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
