import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { locateNatsServer } from './binaries.js';
import { Disposables } from './disposables.js';
import { freePort } from './free-port.js';
import { LocalNatsProcess } from './nats-local.js';
import { localHandle, type NatsServerHandle } from './nats-server.js';
import { tempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

/** Options for {@link startNatsCluster}. */
export interface StartNatsClusterOptions {
  /** Deadline for each server's start and for the meta leader election (default 60 000 ms). */
  startTimeoutMs?: number;
  /**
   * Directory the members' configs (`nats-<i>.conf`) are written to (default: each member's temp
   * dir). Needed with {@link include}, which nats-server resolves next to the config.
   */
  configDir?: string;
  /** A file in `configDir` every member includes (e.g. a secured bus's `authorization {}` block). */
  include?: string;
  /** Client listen address of each member (default 127.0.0.1; e.g. a veth address for a netns client). */
  clientHosts?: string[];
  /** Members do not gossip client URLs to clients (`cluster.no_advertise`): clients use only the URLs they were given. */
  noAdvertise?: boolean;
  /** How the readiness probe connects (default: anonymously to every member); needed when `include` adds authorization. */
  connect?: (urls: string[]) => Promise<NatsConnection>;
}

/** A local JetStream cluster; every member is a local {@link NatsServerHandle}. */
export interface NatsClusterHandle {
  readonly servers: NatsServerHandle[];
  /** Client URLs of all members (pass as `servers` to `connect()`). */
  readonly urls: string[];
  /** `server_name` of each member, same order as `servers`. */
  readonly serverNames: string[];
  /** Monitoring base URL (`http://127.0.0.1:<port>`) of each member. */
  readonly monitorUrls: string[];
  /** Waits until every running member sees the same JetStream meta leader and all peers. */
  waitForMetaLeader(timeoutMs?: number): Promise<string>;
  /** Stops every member and removes all data dirs. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface JszMeta {
  meta_cluster?: { leader?: string; cluster_size?: number; replicas?: { current?: boolean }[] };
}

/**
 * Starts `size` (default 3) local nats-servers with JetStream, clustered over routes on
 * 127.0.0.1, each with a distinct `server_name`, and waits for a JetStream meta leader.
 */
export async function startNatsCluster(size = 3, opts: StartNatsClusterOptions = {}): Promise<NatsClusterHandle> {
  const bin = locateNatsServer();
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const clusterName = `shoal-test-${Math.random().toString(36).slice(2, 8)}`;
  const cleanup = new Disposables();
  try {
    const routePorts: number[] = [];
    for (let i = 0; i < size; i++) routePorts.push(await uniqueFreePort(routePorts));
    const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`);
    const serverNames = routePorts.map((_, i) => `${clusterName}-n${i + 1}`);
    const hosts = serverNames.map((_, i) => opts.clientHosts?.[i] ?? '127.0.0.1');
    const members = serverNames.map((serverName, i) => {
      const dir = tempDir('shoal-nats-cluster-');
      cleanup.add(() => dir.dispose());
      const confPath = join(opts.configDir ?? dir.path, opts.configDir ? `nats-${i + 1}.conf` : 'nats.conf');
      const storeDir = join(dir.path, 'jetstream');
      const proc = new LocalNatsProcess(
        bin,
        serverName,
        (previous) => {
          const ports = { port: previous?.port ?? -1, monitorPort: previous?.monitorPort ?? -1, routePort: routePorts[i]! };
          writeFileSync(confPath, clusterConfig({ serverName, clusterName, storeDir, routes, host: hosts[i]!, include: opts.include, noAdvertise: opts.noAdvertise, ...ports }));
          return ['-c', confPath];
        },
        timeoutMs,
      );
      cleanup.add(() => proc.stop('SIGKILL', 5000));
      return { proc, dir };
    });
    const infos = await Promise.all(members.map((m) => m.proc.start()));
    const servers = members.map((m, i) => localHandle(m.proc, infos[i]!.port, m.dir.path, () => m.dir.dispose(), hosts[i]));
    const monitorUrls = infos.map((info) => `http://127.0.0.1:${info.monitorPort}`);
    const urls = servers.map((s) => s.url);
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= Promise.allSettled(servers.map((s) => s.stop())).then((results) => {
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed.length) throw new AggregateError(failed.map((f) => f.reason), 'stopping the NATS cluster failed');
      });
      return stopping;
    };
    const cluster: NatsClusterHandle = {
      servers,
      urls,
      serverNames,
      monitorUrls,
      waitForMetaLeader: (ms = timeoutMs) => waitForMetaLeader(servers, monitorUrls, size, ms),
      stop,
      [Symbol.asyncDispose]: stop,
    };
    await cluster.waitForMetaLeader();
    await waitFor(() => accountInfoAnswers(urls, opts.connect), { what: 'JetStream account info from the cluster', timeoutMs });
    return cluster;
  } catch (err) {
    await cleanup.disposeAll().catch(() => undefined);
    throw err;
  }
}

async function waitForMetaLeader(
  servers: NatsServerHandle[],
  monitorUrls: string[],
  size: number,
  timeoutMs: number,
): Promise<string> {
  return waitFor(
    async () => {
      const running = monitorUrls.filter((_, i) => servers[i]!.pid !== undefined);
      const metas = await Promise.all(running.map(async (u) => ((await (await fetch(`${u}/jsz`)).json()) as JszMeta).meta_cluster));
      const leaders = new Set(metas.map((m) => m?.leader));
      const [leader] = leaders;
      // Only the leader lists its peers (followers report no replicas).
      const peersKnown = metas.some((m) => m?.leader && (m.replicas?.length ?? 0) === size - 1);
      if (leaders.size === 1 && leader && peersKnown) return leader;
      throw new Error(`meta_cluster of running members: ${JSON.stringify(metas.map((m) => ({ leader: m?.leader, peers: m?.replicas?.length ?? 0 })))}`);
    },
    { what: 'a JetStream meta leader agreed by every running cluster member', timeoutMs, intervalMs: 100 },
  );
}

async function accountInfoAnswers(urls: string[], connectTo?: (urls: string[]) => Promise<NatsConnection>): Promise<boolean> {
  const nc = connectTo ? await connectTo(urls) : await connect({ servers: urls, timeout: 2000 });
  try {
    await (await jetstreamManager(nc)).getAccountInfo();
    return true;
  } finally {
    await nc.close();
  }
}

async function uniqueFreePort(taken: number[]): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!taken.includes(port)) return port;
  }
}

function clusterConfig(c: {
  serverName: string;
  clusterName: string;
  host: string;
  include?: string;
  noAdvertise?: boolean;
  port: number;
  monitorPort: number;
  storeDir: string;
  routePort: number;
  routes: string[];
}): string {
  return [
    `server_name: ${JSON.stringify(c.serverName)}`,
    `listen: "${c.host}:${c.port}"`,
    `http: "127.0.0.1:${c.monitorPort}"`,
    `jetstream { store_dir: ${JSON.stringify(c.storeDir)} }`,
    `cluster {`,
    `  name: ${JSON.stringify(c.clusterName)}`,
    `  listen: "127.0.0.1:${c.routePort}"`,
    `  routes: [${c.routes.map((r) => JSON.stringify(r)).join(', ')}]`,
    ...(c.noAdvertise ? ['  no_advertise: true'] : []),
    `}`,
    ...(c.include ? [`include ${JSON.stringify(c.include)}`] : []),
    '',
  ].join('\n');
}
