import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { linkPasswordHash } from '../../apps/cli/src/leaf/link-password.js';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import { type LeafSiteView, PROTOCOL_VERSION, type RunView, type TaskCaptureReply, type TaskView, nodeInboxPrefix, topology } from '@shoal/protocol';
import { SecurityStore, connectNats, newUserKeys, readNodeCredentials, siteLinkUserName, writeNodeCredentials, writeSecretFile } from '@shoal/runtime';
import { type NatsFiles, bootstrapSecurity } from '../../apps/cli/src/up/bootstrap.js';
import { Disposables, type NatsLeafPair, type SpawnedProcess, freePort, spawnProcess, startNatsLeafPair, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { ROOT } from '../support/cluster.js';

/**
 * Multi-cluster through a NATS leaf node (docs/multi-cluster.md), security on at both ends: the
 * coordinator and node `hub-a` on the hub; node `site-b-1` (label region=b) on a second
 * nats-server linked to the hub as a leaf node, authenticated there with its own nkey, the link
 * authenticated at the hub as the site's user with rights for that node only.
 */
const run = promisify(execFile);
const disposables = new Disposables();
const ns = `t${Math.random().toString(36).slice(2, 10)}`;
const topo = topology(ns);
const SITE = 'b';
const HUB_NODE = 'hub-a';
const SITE_NODE = 'site-b-1';
let pair: NatsLeafPair;
let api: string;
let adminToken: string;
let work: string;
let rogueSeed: string;
let store: SecurityStore;
let authFile: string;

/** bcrypt of the link password (nats-server keeps only the hash), as `shoal leaf site add --password-file` makes it. */
const bcrypt = linkPasswordHash;

const authorized = (url: string, init: RequestInit = {}) =>
  fetch(url, { signal: AbortSignal.timeout(20_000), ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${adminToken}` } });
async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await authorized(`${api}${path}`, init);
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}
const task = (view: RunView, id: string): TaskView => {
  const t = view.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id} in ${view.id}`);
  return t;
};

function spawnAgent(nodeId: string, labels: string, dataDir: string, socket: string, natsUrl: string): SpawnedProcess {
  const p = spawnProcess([process.execPath, join(ROOT, 'apps/node-agent/dist/main.js')], {
    name: `node-agent ${nodeId}`,
    env: {
      ...process.env,
      NATS_URL: natsUrl,
      SHOAL_NS: ns,
      SHOAL_NODE_ID: nodeId,
      SHOAL_TMUX_SOCKET: socket,
      SHOAL_DATA_DIR: dataDir,
      SHOAL_PULSE_MS: '1000',
      SHOAL_LABELS: labels,
      SHOAL_GOVERNOR_PREFIX: `shoal-test-${ns}-${nodeId}`,
      SHOAL_CPU_BAND: 'off',
    },
  });
  disposables.add(async () => {
    await p.stop('SIGTERM', 20_000);
    await run('tmux', ['-L', socket, 'kill-server']).catch(() => undefined);
  });
  return p;
}

beforeAll(async () => {
  const dir = tempDir('shoal-leaf-');
  disposables.add(() => dir.dispose());
  work = dir.path;
  const natsDir = join(dir.path, 'nats');
  mkdirSync(natsDir, { recursive: true, mode: 0o700 });
  store = SecurityStore.init(join(dir.path, 'security'));
  adminToken = store.adminToken()!;
  // every node generates its key on "its host" and is enrolled with the control host, as `shoal join` does
  const keys = { [HUB_NODE]: newUserKeys(), [SITE_NODE]: newUserKeys() };
  // site-b-1 declares site=b at enrolment: only then may the site's link act as it
  store.enrol(store.createJoinToken().token, { id: HUB_NODE, publicKey: keys[HUB_NODE].publicKey, enrolledAt: Date.now() });
  store.enrol(store.createJoinToken().token, { id: SITE_NODE, publicKey: keys[SITE_NODE].publicKey, enrolledAt: Date.now(), labels: { site: SITE, region: SITE } });
  const linkPassword = randomBytes(24).toString('base64url');
  store.putLeafSite(SITE, bcrypt(linkPassword));
  const rogue = newUserKeys();
  rogueSeed = rogue.seed;
  let hubFiles: NatsFiles | undefined;
  const passwordFile = join(dir.path, 'link-password');
  writeSecretFile(passwordFile, `${linkPassword}\n`);
  const siteDir = join(dir.path, 'site');
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  // each node's credentials as enrolment leaves them: the servers of the hub (a placeholder here)
  const credentialsOf = (id: string) => join(dir.path, id, 'credentials.json');
  for (const id of [HUB_NODE, SITE_NODE]) {
    writeNodeCredentials(credentialsOf(id), { nodeId: id, namespace: ns, servers: ['nats://127.0.0.1:1'], seed: keys[id]!.seed, publicKey: keys[id]!.publicKey, inboxPrefix: nodeInboxPrefix(topo, id), coordinator: api });
  }
  pair = await startNatsLeafPair({
    configDir: natsDir,
    leafConfigDir: siteDir,
    // the hub's files as `shoal up --leaf-port` writes them: a leafnode listener, JetStream domain
    // shoal-hub, and auth.conf with the store's nkey users and the site's link user (rights of site-b-1 only)
    hubConfig: ({ port, leafPort }) => {
      hubFiles = bootstrapSecurity({ dataDir: dir.path, topo, host: '127.0.0.1', port, leafPort }).nats;
      return readFileSync(hubFiles.conf, 'utf8');
    },
    // the site's files as `shoal leaf config` writes them (leaf.conf; auth.conf with the site's node,
    // taken from its credentials, which it points at the leaf server)
    leafConfig: ({ port: leafPort, hubLeafPort }) => {
      const argv = ['leaf', 'config', '--hub', `nats-leaf://127.0.0.1:${hubLeafPort}`, '--site', SITE, '--password-file', passwordFile, '--credentials', credentialsOf(SITE_NODE), '--point-nodes'];
      execFileSync(process.execPath, [join(ROOT, 'apps/cli/dist/main.js'), ...argv, '--port', String(leafPort), '--ns', ns, '--dir', siteDir, '--server-name', `site-${SITE}-${ns}`], { encoding: 'utf8' });
      // standing for a compromised site server: one more user there, with every right
      const auth = join(siteDir, 'auth.conf');
      const rogueUser = `    { nkey: ${JSON.stringify(rogue.publicKey)}, permissions: { publish: { allow: [">"] }, subscribe: { allow: [">"] } } },\n`;
      writeSecretFile(auth, readFileSync(auth, 'utf8').replace('  users = [\n', `  users = [\n${rogueUser}`));
      return readFileSync(join(siteDir, 'leaf.conf'), 'utf8');
    },
    startTimeoutMs: 60_000,
  });
  disposables.add(() => pair.stop());
  authFile = hubFiles!.auth;
  // the server runs hub.conf (the same text plus monitoring): its pid file is the one nats.conf names
  const pidFile = hubFiles!.pid;

  // the coordinator manages the hub's users (rewrites auth.conf on every enrolment, reloads nats-server)
  const coordinator = spawnProcess([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], {
    name: 'coordinator',
    env: {
      ...process.env,
      NATS_URL: pair.hub.url,
      SHOAL_NS: ns,
      SHOAL_SECURITY_DIR: store.dir,
      SHOAL_NATS_AUTH_FILE: authFile,
      SHOAL_NATS_PID_FILE: pidFile,
      PORT: String(port),
      SHOAL_PUBLIC_URL: api,
      SHOAL_NODE_TTL_MS: '6000',
      SHOAL_HOST_CPU_HIGH: '100',
    },
  });
  disposables.add(() => coordinator.stop('SIGTERM', 15_000));
  await coordinator.waitForLine(/listening on/, 60_000);

  const agents = [
    { id: HUB_NODE, labels: 'region=a', url: pair.hub.url },
    { id: SITE_NODE, labels: 'region=b', url: pair.leaf.url },
  ].map((a) => {
    const tmux = tmuxSocket();
    disposables.add(() => tmux.dispose());
    const dataDir = join(dir.path, a.id);
    // the hub node's credentials get the hub's URL; the site node's were pointed at the leaf by `shoal leaf config`
    if (a.id === HUB_NODE) writeNodeCredentials(credentialsOf(a.id), { ...readNodeCredentials(credentialsOf(a.id))!, servers: [a.url] });
    else expect(readNodeCredentials(credentialsOf(a.id))!.servers).toEqual([a.url]);
    return spawnAgent(a.id, a.labels, dataDir, tmux.name, a.url);
  });
  for (const p of agents) await p.waitForLine(/ready: governor/, 60_000);
  await waitFor(
    async () => {
      const nodes = await json<{ id: string; state: string }[]>('/nodes');
      return [HUB_NODE, SITE_NODE].every((id) => nodes.some((n) => n.id === id && n.state === 'alive'));
    },
    { timeoutMs: 30_000, what: 'both node-agents (hub and leaf side) alive at the coordinator' },
  );
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

describe('a node-agent attached through a NATS leaf node', () => {
  it('keeps the link when the coordinator rewrites the hub users (an enrolment) and runs the region=b task on the leaf-side node', async () => {
    // an enrolment through the API: the coordinator rewrites auth.conf from its store and reloads the hub
    const late = newUserKeys();
    const linksBefore = pair.hub.logs().match(/Leafnode connection created/g)?.length ?? 0;
    const { token } = await json<{ token: string }>('/tokens/join', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    await json('/enrol', { method: 'POST', body: JSON.stringify({ v: PROTOCOL_VERSION, token, nodeId: 'hub-late', publicKey: late.publicKey }), headers: { 'content-type': 'application/json' } });
    const rendered = readFileSync(authFile, 'utf8');
    expect(rendered).toContain(late.publicKey);
    expect(rendered).toContain(`user: "${siteLinkUserName(SITE)}"`);
    await pair.waitForLink(10_000);
    // kept through the reload, not dropped and redialled
    expect(pair.hub.logs().match(/Leafnode connection created/g)).toHaveLength(linksBefore);
    const release = join(work, 'release-b');
    const plan = [
      'name: leaf',
      'teams: [{ name: ops }]',
      'phases:',
      '  - id: p',
      '    tasks:',
      `      - ${JSON.stringify({ id: 'remote', team: 'ops', role: 'Ops-B', requires: { region: 'b' }, resources: { cpu: 5, memory: 256 }, command: ['sh', '-c', 'echo ran-on-b; while [ ! -e "$1" ]; do sleep 0.1; done', 'sh', release] })}`,
      `      - ${JSON.stringify({ id: 'anywhere', team: 'ops', role: 'Ops-Any', resources: { cpu: 5, memory: 256 }, command: ['echo', 'ran-anywhere'] })}`,
      '',
    ].join('\n');
    const { id } = await json<RunView>('/runs', { method: 'POST', body: plan, headers: { 'content-type': 'application/yaml' } });
    const running = await waitFor(
      async () => {
        const t = task(await json<RunView>(`/runs/${id}`), 'remote');
        return t.state === 'running' ? t : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'the region=b task running' },
    );
    expect(running.nodeId).toBe(SITE_NODE);
    // a control request to the leaf-side node, answered across the link
    const screen = await waitFor(
      async () => {
        const c = await json<TaskCaptureReply>(`/runs/${id}/tasks/remote/capture`);
        return c.text.includes('ran-on-b') ? c : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "the leaf-side task's screen through the coordinator" },
    );
    expect(screen.nodeId).toBe(SITE_NODE);
    writeFileSync(release, '');
    let done: RunView | undefined;
    await waitFor(
      async () => {
        done = await json<RunView>(`/runs/${id}`);
        return ['succeeded', 'failed', 'cancelled'].includes(done.state);
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `run ${id} to finish` },
    );
    expect(done!.state).toBe('succeeded');
    expect(task(done!, 'remote')).toMatchObject({ state: 'succeeded', nodeId: SITE_NODE, exitCode: 0 });
    expect(task(done!, 'remote').outputTail).toContain('ran-on-b');
    expect(task(done!, 'anywhere')).toMatchObject({ state: 'succeeded', exitCode: 0 });
    expect([HUB_NODE, SITE_NODE]).toContain(task(done!, 'anywhere').nodeId);
  }, 120_000);

  it('records and forgets a site through the API (`shoal leaf site add`): the hub accepts its link user at once, then refuses it', async () => {
    const passwordFile = join(work, 'site-c.password');
    const shoal = (...args: string[]) => run(process.execPath, [join(ROOT, 'apps/cli/dist/main.js'), '--api', api, '--token', adminToken, '--json', ...args, '--data-dir', join(work, 'no-local-store')]);
    const added = JSON.parse((await shoal('leaf', 'site', 'add', 'c', '--password-file', passwordFile)).stdout) as LeafSiteView; // the password is made
    expect(added).toMatchObject({ name: 'c', user: 'leaf-c', nodes: [] });
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(password).toMatch(/^[0-9a-f]{64}$/);
    // answered once the bus runs the new users: the link's user logs in (as a client, with the same rights)
    const asSite = () => connect({ servers: pair.hub.url, user: 'leaf-c', pass: password, reconnect: false, timeout: 5000 });
    await (await asSite()).close();
    const listed = await json<LeafSiteView[]>('/leaf-sites');
    expect(listed.map((x) => [x.name, x.nodes])).toEqual([
      [SITE, [SITE_NODE]],
      ['c', []],
    ]);
    await json('/leaf-sites/c', { method: 'DELETE' });
    await expect(asSite()).rejects.toThrow(/Authorization Violation/i);
  }, 60_000);

  it("keeps a compromised site inside its nodes' rights: its forged work for a hub node never reaches the hub", async () => {
    let watcher: NatsConnection | undefined;
    let rogue: NatsConnection | undefined;
    try {
      watcher = await connectNats(pair.hub.url, 'test-watcher', { seed: store.snapshot.coordinator.seed });
      const seen: string[] = [];
      watcher.subscribe(`${ns}.>`, { callback: (_e, m) => seen.push(m.subject) });
      await watcher.flush();
      rogue = await connectNats(pair.leaf.url, 'test-rogue-site', { seed: rogueSeed });
      // in order on one connection and one link: the forged work first, then a subject the site may publish
      rogue.publish(topo.work(HUB_NODE), 'forged');
      rogue.publish(topo.control(HUB_NODE), 'forged');
      rogue.publish(topo.heartbeat(SITE_NODE), 'marker');
      await rogue.flush();
      await waitFor(() => seen.includes(topo.heartbeat(SITE_NODE)) || undefined, { timeoutMs: 20_000, intervalMs: 50, what: "the site's marker at the hub" });
      expect(seen.filter((s) => s === topo.work(HUB_NODE) || s === topo.control(HUB_NODE))).toEqual([]);
    } finally {
      await Promise.allSettled([watcher?.close(), rogue?.close()]);
    }
  }, 60_000);
});
