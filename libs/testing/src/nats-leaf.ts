import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { locateNatsServer } from './binaries.js';
import { Disposables } from './disposables.js';
import { freePort } from './free-port.js';
import { LocalNatsProcess } from './nats-local.js';
import { localHandle, type NatsServerHandle } from './nats-server.js';
import { tempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

/** Ports chosen for the hub before it starts (its config must name them). */
export interface HubPorts {
  /** Client port (127.0.0.1). */
  port: number;
  /** Leafnode listener port (127.0.0.1): the leaf's remote points here. */
  leafPort: number;
}

/** Ports chosen for the leaf before it starts. */
export interface LeafPorts {
  /** Client port of the leaf (127.0.0.1): the site's clients connect here. */
  port: number;
  /** The hub's leafnode port (build the remote URL from it, credentials included). */
  hubLeafPort: number;
}

/** Options for {@link startNatsLeafPair}. */
export interface StartNatsLeafPairOptions {
  /** Where `hub.conf` (and `leaf.conf`, unless {@link leafConfigDir}) is written; files they `include` resolve from here. */
  configDir: string;
  /** Where `leaf.conf` is written when the leaf's files live apart from the hub's (default {@link configDir}). */
  leafConfigDir?: string;
  /**
   * The hub's config for its ports: client `listen` on 127.0.0.1, a `leafnodes { listen }` on
   * `leafPort`, JetStream (its store under `configDir` or elsewhere). The helper appends a
   * monitoring listener.
   */
  hubConfig: (ports: HubPorts) => string;
  /** The leaf's config: client `listen` on 127.0.0.1 and `leafnodes { remotes [...] }` to the hub. */
  leafConfig: (ports: LeafPorts) => string;
  /** Deadline for each server's start and for the leaf link (default 30 000 ms). */
  startTimeoutMs?: number;
}

/** A hub nats-server and a leaf nats-server linked to it as a leaf node, both local processes. */
export interface NatsLeafPair {
  hub: NatsServerHandle;
  leaf: NatsServerHandle;
  /** Monitoring base URLs (`http://127.0.0.1:<port>`). */
  hubMonitorUrl: string;
  leafMonitorUrl: string;
  /** Waits until the hub lists `count` (default 1) leaf connections and the leaf lists its link to the hub. */
  waitForLink(timeoutMs?: number, count?: number): Promise<void>;
  /** Stops both servers and removes their temp dirs. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface Leafz {
  leafnodes?: number;
}

/**
 * Starts two local nats-servers from the caller's configs — a hub with a leafnode listener and a
 * leaf whose `leafnodes.remotes` point at it — on free ports, and waits for the leaf link. The
 * configs are the caller's so that a test runs the very configs a product renders (accounts,
 * authorization, JetStream domains).
 */
export async function startNatsLeafPair(opts: StartNatsLeafPairOptions): Promise<NatsLeafPair> {
  const bin = locateNatsServer();
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const cleanup = new Disposables();
  try {
    const taken: number[] = [];
    const [hubPort, hubLeafPort, leafPort] = [await uniqueFreePort(taken), await uniqueFreePort(taken), await uniqueFreePort(taken)];
    const start = async (name: string, conf: string, configDir: string) => {
      const dir = tempDir(`shoal-nats-${name}-`);
      cleanup.add(() => dir.dispose());
      const confPath = join(configDir, `${name}.conf`);
      // monitoring on a port the server picks (reported in its log)
      writeFileSync(confPath, `${conf.trimEnd()}\nhttp: "127.0.0.1:-1"\n`, { mode: 0o600 });
      const proc = new LocalNatsProcess(bin, `nats-server ${name}`, () => ['-c', confPath], timeoutMs);
      cleanup.add(() => proc.stop('SIGKILL', 5000));
      const info = await proc.start();
      return { handle: localHandle(proc, info.port, dir.path, () => dir.dispose()), monitorUrl: `http://127.0.0.1:${info.monitorPort}` };
    };
    const hub = await start('hub', opts.hubConfig({ port: hubPort, leafPort: hubLeafPort }), opts.configDir);
    const leaf = await start('leaf', opts.leafConfig({ port: leafPort, hubLeafPort }), opts.leafConfigDir ?? opts.configDir);
    let stopping: Promise<void> | undefined;
    const stop = () => {
      // the leaf first, so the hub does not log a lost link as a failure of its own
      stopping ??= (async () => {
        const results = await Promise.allSettled([leaf.handle.stop()]);
        results.push(...(await Promise.allSettled([hub.handle.stop()])));
        await cleanup.disposeAll().catch(() => undefined);
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed.length) throw new AggregateError(failed.map((f) => f.reason), 'stopping the leaf pair failed');
      })();
      return stopping;
    };
    const pair: NatsLeafPair = {
      hub: hub.handle,
      leaf: leaf.handle,
      hubMonitorUrl: hub.monitorUrl,
      leafMonitorUrl: leaf.monitorUrl,
      waitForLink: (ms = timeoutMs, count = 1) =>
        waitFor(
          async () => {
            const [h, l] = await Promise.all([leafz(hub.monitorUrl), leafz(leaf.monitorUrl)]);
            if (h >= count && l >= 1) return true;
            throw new Error(`leaf connections: hub ${h} (want ${count}), leaf ${l} (want 1); leaf log:\n${leaf.handle.logs().split('\n').slice(-5).join('\n')}`);
          },
          { what: 'the leaf node linked to the hub', timeoutMs: ms, intervalMs: 100 },
        ).then(() => undefined),
      stop,
      [Symbol.asyncDispose]: stop,
    };
    await pair.waitForLink();
    return pair;
  } catch (err) {
    await cleanup.disposeAll().catch(() => undefined);
    throw err;
  }
}

async function leafz(monitorUrl: string): Promise<number> {
  const res = await fetch(`${monitorUrl}/leafz`, { signal: AbortSignal.timeout(5000) });
  return ((await res.json()) as Leafz).leafnodes ?? 0;
}

async function uniqueFreePort(taken: number[]): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!taken.includes(port)) {
      taken.push(port);
      return port;
    }
  }
}
