import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A network namespace joined to the host by a veth pair: a process started with {@link argv} sees
 * only the namespace side (`nsIp`) and reaches the host at `hostIp`; {@link down} cuts the link
 * (a partition: packets are dropped, sockets are not closed), {@link up} heals it.
 */
export interface NetnsLink {
  /** Namespace name (`ip netns`); its file is `/run/netns/<ns>`. */
  readonly ns: string;
  /** The host side of the veth pair. */
  readonly hostIf: string;
  readonly hostIp: string;
  readonly nsIp: string;
  /** `argv` prefixed to run inside the namespace (network only: mounts, pids and files stay the host's). */
  argv(command: string[]): string[];
  /** Takes the host side of the link down (the namespace is cut off). */
  down(): Promise<void>;
  /** Brings the host side up again. */
  up(): Promise<void>;
  /** Deletes the veth pair and the namespace. Idempotent. */
  dispose(): Promise<void>;
}

/** Why network namespaces cannot be used here, or undefined when a probe namespace + veth worked. */
export async function netnsUnsupportedReason(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  let link: NetnsLink | undefined;
  try {
    link = await createNetnsLink();
    await run('nsenter', [`--net=/run/netns/${link.ns}`, 'ip', 'link', 'show', 'lo']);
    return undefined;
  } catch (e) {
    return `cannot create a network namespace with a veth pair (needs root/CAP_NET_ADMIN, iproute2 and nsenter): ${(e as Error).message.split('\n')[0]}`;
  } finally {
    await link?.dispose().catch(() => undefined);
  }
}

/**
 * Creates a namespace and a /30 veth link to it (a random 10.231.x.y subnet not in use on the
 * host). Needs root (CAP_NET_ADMIN), `ip` (iproute2) and `nsenter` (util-linux).
 */
export async function createNetnsLink(): Promise<NetnsLink> {
  const id = Math.random().toString(36).slice(2, 8);
  const ns = `shoal-${id}`;
  const hostIf = `shh${id}`;
  const nsIf = `shn${id}`;
  const taken = (await run('ip', ['-4', '-o', 'addr'])).stdout;
  let hostIp = '';
  let nsIp = '';
  for (let i = 0; i < 64 && !hostIp; i++) {
    const base = 4 * Math.floor(Math.random() * 63);
    const net = `10.231.${Math.floor(Math.random() * 256)}.`;
    if (taken.includes(net)) continue;
    hostIp = `${net}${base + 1}`;
    nsIp = `${net}${base + 2}`;
  }
  if (!hostIp) throw new Error('no free 10.231.x.y/30 subnet');
  const ip = (...args: string[]) => run('ip', args);
  let created = false;
  const dispose = async () => {
    await ip('link', 'del', hostIf).catch(() => undefined);
    if (created) await ip('netns', 'del', ns).catch(() => undefined);
    created = false;
  };
  try {
    await ip('netns', 'add', ns);
    created = true;
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    await ip('link', 'set', nsIf, 'netns', ns);
    await ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('-n', ns, 'addr', 'add', `${nsIp}/30`, 'dev', nsIf);
    await ip('-n', ns, 'link', 'set', nsIf, 'up');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
  } catch (e) {
    await dispose();
    throw e;
  }
  return {
    ns,
    hostIf,
    hostIp,
    nsIp,
    argv: (command) => ['nsenter', `--net=/run/netns/${ns}`, '--', ...command],
    down: async () => void (await ip('link', 'set', hostIf, 'down')),
    up: async () => void (await ip('link', 'set', hostIf, 'up')),
    dispose,
  };
}
