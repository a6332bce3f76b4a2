import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join, resolve } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { type Heartbeat, PROTOCOL_VERSION, encode, nodeInboxPrefix, topology } from '@shoal/protocol';
import { SecurityStore, connectNats, identitiesOf, newUserKeys, renderNatsAuthorization, renderNatsServerConfig } from '@shoal/runtime';
import { Disposables, type SpawnedProcess, freePort, locateNatsServer, spawnProcess, tempDir, waitFor } from '@shoal/testing';

const ROOT = resolve(process.cwd());
const PLAN = 'name: auth-probe\nteams: [{ name: probe }]\nphases:\n  - id: p\n    tasks:\n      - { id: t, team: probe, role: Probe, command: ["true"] }\n';

/**
 * The coordinator's API and bus security against a real nats-server running Shoal's generated
 * config (no anonymous access) and the BUILT coordinator (apps/coordinator/dist).
 */
describe('coordinator API authentication, enrolment and node removal (real nats-server)', () => {
  const disposables = new Disposables();
  let store: SecurityStore;
  let natsUrl: string;
  let api: string;
  let ns: string;
  let authFile: string;
  let coordinator: SpawnedProcess;
  let admin: string;
  let pre: { id: string; seed: string };
  let tmpPath: string;
  let coordinatorEnv: NodeJS.ProcessEnv;
  const tokens: Record<'read' | 'operate', string> = { read: '', operate: '' };

  beforeAll(async () => {
    const tmp = tempDir('shoal-api-auth-');
    disposables.add(() => tmp.dispose());
    tmpPath = tmp.path;
    ns = `t${Math.random().toString(36).slice(2, 10)}`;
    const topo = topology(ns);
    store = SecurityStore.init(join(tmp.path, 'security'));
    const natsDir = join(tmp.path, 'nats');
    mkdirSync(natsDir, { mode: 0o700 });
    authFile = join(natsDir, 'auth.conf');
    const pidFile = join(natsDir, 'nats.pid');
    writeFileSync(authFile, renderNatsAuthorization(identitiesOf(store.snapshot, topo)), { mode: 0o600 });
    // enrolled after auth.conf was written: the coordinator must bring the bus up to date at start
    const keys = newUserKeys();
    pre = { id: 'pre-enrolled', seed: keys.seed };
    store.enrol(store.createJoinToken().token, { id: pre.id, publicKey: keys.publicKey, enrolledAt: Date.now() });
    const natsPort = await freePort();
    const conf = join(natsDir, 'nats.conf');
    writeFileSync(conf, renderNatsServerConfig({ host: '127.0.0.1', port: natsPort, storeDir: join(natsDir, 'js'), authFile: 'auth.conf', pidFile }));
    const nats = spawnProcess([await locateNatsServer(), '-c', conf], { name: 'nats-server' });
    disposables.add(() => nats.stop('SIGTERM', 10_000));
    await nats.waitForLine(/Server is ready/, 30_000, 'stderr');
    natsUrl = `nats://127.0.0.1:${natsPort}`;

    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    coordinatorEnv = {
      ...process.env,
      NATS_URL: natsUrl,
      SHOAL_NS: ns,
      SHOAL_SECURITY_DIR: store.dir,
      SHOAL_NATS_AUTH_FILE: authFile,
      SHOAL_NATS_PID_FILE: pidFile,
      SHOAL_INSECURE: '',
    };
    coordinator = spawnProcess([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], { name: 'coordinator', env: { ...coordinatorEnv, PORT: String(port) } });
    disposables.add(() => coordinator.stop('SIGTERM', 15_000));
    await coordinator.waitForLine(/listening on http:\/\//, 60_000);
    admin = store.adminToken()!;
    for (const scope of ['read', 'operate'] as const) {
      const res = await call('POST', '/tokens', admin, { scope, name: `${scope} probe` });
      expect(res.status).toBe(201);
      tokens[scope] = ((await res.json()) as { token: string }).token;
    }
  }, 90_000);

  afterAll(async () => {
    if (process.env.DEBUG_API_AUTH) console.log(coordinator.outputTail(80));
    await disposables.disposeAll();
  });

  function call(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${api}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'application/yaml' : 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  }
  const json = async (res: Response) => (await res.json()) as Record<string, unknown>;
  const runCount = async () => ((await json(await call('GET', '/runs', admin))) as unknown as unknown[]).length;

  /** A node's own connection, without reconnecting, so a dropped connection ends it. */
  const connectNode = (nodeId: string, seed: string): Promise<NatsConnection> =>
    connect({ servers: natsUrl, name: `probe-${nodeId}`, authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)), inboxPrefix: nodeInboxPrefix(topology(ns), nodeId), reconnect: false });

  it('401 without a token and with an unknown one, saying how to get a token', async () => {
    for (const token of [undefined, 'shoal_admin_not-a-real-token']) {
      const res = await call('GET', '/runs', token);
      expect(res.status).toBe(401);
      const body = await json(res);
      expect(body.error).toBe('E_UNAUTHENTICATED');
      expect(body.message).toMatch(/SHOAL_TOKEN/);
      expect(body.message).toMatch(/shoal token create/);
    }
  });

  it('403 per scope naming the needed one: read cannot submit, operate cannot mint tokens, admin can', async () => {
    expect((await call('GET', '/runs', tokens.read)).status).toBe(200);
    const readSubmit = await call('POST', '/runs', tokens.read, PLAN);
    expect(readSubmit.status).toBe(403);
    expect(await json(readSubmit)).toMatchObject({ error: 'E_FORBIDDEN', message: 'needs scope operate; this token has read' });
    const operateMint = await call('POST', '/tokens', tokens.operate, { scope: 'read' });
    expect(operateMint.status).toBe(403);
    expect(await json(operateMint)).toMatchObject({ error: 'E_FORBIDDEN', message: 'needs scope admin; this token has operate' });
    expect((await call('DELETE', '/nodes/whoever', tokens.operate)).status).toBe(403);
    const adminMint = await call('POST', '/tokens', admin, { scope: 'read', name: 'minted by admin' });
    expect(adminMint.status).toBe(201);
    expect(await json(adminMint)).toMatchObject({ scope: 'read', name: 'minted by admin', token: expect.stringMatching(/^shoal_read_/) });
  });

  it('/healthz is open; /metrics needs read', async () => {
    const health = await call('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(await json(health)).toMatchObject({ ok: true });
    expect((await call('GET', '/metrics')).status).toBe(401);
    const metrics = await call('GET', '/metrics', tokens.read);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/shoal_/);
  });

  it('tokens: listed without secrets, validated by field, revoked at once', async () => {
    const bad = await call('POST', '/tokens', admin, { scope: 'root', extra: 1 });
    expect(bad.status).toBe(400);
    const issues = (await json(bad)).issues as { path: string }[];
    expect(issues.map((i) => i.path).sort()).toEqual(['', 'scope']);
    const minted = await json(await call('POST', '/tokens', admin, { scope: 'operate', name: 'short-lived' }));
    const listText = await (await call('GET', '/tokens', admin)).text();
    expect(listText).toContain('short-lived');
    expect(listText).not.toContain(minted.token as string);
    expect(listText).not.toMatch(/hash/);
    expect((await call('GET', '/runs', minted.token as string)).status).toBe(200);
    expect(await json(await call('DELETE', `/tokens/${minted.id as string}`, admin))).toEqual({ ok: true, revoked: minted.id });
    expect((await call('GET', '/runs', minted.token as string)).status).toBe(401);
    expect((await call('DELETE', `/tokens/${minted.id as string}`, admin)).status).toBe(404);
  });

  it('a POST /runs from a foreign Origin is refused with 403 and creates no run, even with an operate token', async () => {
    const before = await runCount();
    const res = await call('POST', '/runs', tokens.operate, PLAN, { origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect((await json(res)).error).toBe('E_FORBIDDEN');
    const crossSite = await call('POST', '/runs', tokens.operate, PLAN, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(await runCount()).toBe(before);
    // control: the same request from the coordinator's own origin is accepted
    const own = await call('POST', '/runs', tokens.operate, PLAN, { origin: api });
    expect(own.status).toBe(201);
    expect(await runCount()).toBe(before + 1);
    // /enrol is public but not open to foreign pages either
    expect((await call('POST', '/enrol', undefined, {}, { origin: 'http://evil.example' })).status).toBe(403);
  });

  it('a node enrolled before the coordinator started has its work consumer and can connect', async () => {
    const nc = await waitFor(() => connectNode(pre.id, pre.seed), { what: 'the pre-enrolled key accepted', timeoutMs: 15_000, intervalMs: 200 });
    disposables.add(() => nc.close());
    const jsm = await jetstreamManager(await connectNats(natsUrl, 'test-coordinator', { seed: store.snapshot.coordinator.seed }));
    disposables.add(() => jsm.nc.close());
    await expect(jsm.consumers.info(topology(ns).workStream, topology(ns).nodeConsumer(pre.id))).resolves.toMatchObject({ name: topology(ns).nodeConsumer(pre.id) });
    expect(readFileSync(authFile, 'utf8')).toContain(store.snapshot.nodes.find((n) => n.id === pre.id)!.publicKey);
  });

  it('join token: enrols once, refused when used again or expired, and the new key opens the bus', async () => {
    expect((await call('POST', '/tokens/join', tokens.operate, {})).status).toBe(403);
    const minted = await call('POST', '/tokens/join', admin, {});
    expect(minted.status).toBe(201);
    const join = (await json(minted)) as { token: string; expiresAt: number; command: string };
    expect(join.command).toBe(`shoal join ${api} --token ${join.token}`);
    expect(join.expiresAt).toBeGreaterThan(Date.now() + 3_500_000);

    const keys = newUserKeys();
    const enrol = (token: string, nodeId: string, publicKey = keys.publicKey) => call('POST', '/enrol', undefined, { v: PROTOCOL_VERSION, token, nodeId, publicKey, hostname: 'probe-host' });
    const bad = await enrol(join.token, 'n-joined', 'not-a-key');
    expect(bad.status).toBe(400);
    expect(((await json(bad)).issues as { path: string }[]).map((i) => i.path)).toEqual(['publicKey']);

    const ok = await enrol(join.token, 'n-joined');
    expect(ok.status).toBe(200);
    expect(await json(ok)).toEqual({ v: PROTOCOL_VERSION, nodeId: 'n-joined', namespace: ns, servers: [natsUrl], inboxPrefix: nodeInboxPrefix(topology(ns), 'n-joined') });
    const again = await enrol(join.token, 'n-other', newUserKeys().publicKey);
    expect(again.status).toBe(401);
    expect((await json(again)).message).toMatch(/already used/);

    const shortLived = (await json(await call('POST', '/tokens/join', admin, { ttlMs: 1000 }))) as { token: string; expiresAt: number };
    await waitFor(() => Date.now() > shortLived.expiresAt, { what: 'the join token deadline', timeoutMs: 5000 });
    const expired = await enrol(shortLived.token, 'n-late', newUserKeys().publicKey);
    expect(expired.status).toBe(401);
    expect((await json(expired)).message).toMatch(/expired/);

    const nc = await waitFor(() => connectNode('n-joined', keys.seed), { what: 'the enrolled key accepted by NATS', timeoutMs: 10_000, intervalMs: 200 });
    disposables.add(() => nc.close());
    const consumer = await jetstream(nc).consumers.get(topology(ns).workStream, topology(ns).nodeConsumer('n-joined'));
    expect(consumer).toBeDefined();
    // the unused key of the refused enrolments never reaches the bus
    await expect(connectNode('n-late', newUserKeys().seed)).rejects.toThrow(/Authorization Violation/i);
  });

  it('DELETE /nodes/:id cuts the node off: live connection dropped, new connects refused, consumer and node record gone', async () => {
    const join = (await json(await call('POST', '/tokens/join', admin, {}))) as { token: string };
    const keys = newUserKeys();
    const nodeId = 'n-doomed';
    const enrolled = await call('POST', '/enrol', undefined, { v: PROTOCOL_VERSION, token: join.token, nodeId, publicKey: keys.publicKey });
    expect(enrolled.status).toBe(200);
    const nc = await waitFor(() => connectNode(nodeId, keys.seed), { what: 'the doomed node connected', timeoutMs: 10_000, intervalMs: 200 });
    const closed = nc.closed();
    const hb: Heartbeat = {
      v: PROTOCOL_VERSION,
      kind: 'node.heartbeat',
      nodeId,
      hostname: 'probe-host',
      sentAt: Date.now(),
      startedAt: Date.now(),
      pulseMs: 1000,
      labels: {},
      governor: 'none',
      capacity: { cpuPercent: 100, memoryMb: 1024, maxTasks: 1 },
      host: { cpuPercent: 1, memUsedMb: 1, memTotalMb: 1024, load1: 0, cores: 1 },
      running: [],
    };
    nc.publish(topology(ns).heartbeat(nodeId), encode('heartbeat', hb));
    const listed = async () => ((await json(await call('GET', '/nodes', tokens.read))) as unknown as { id: string }[]).some((n) => n.id === nodeId);
    await waitFor(listed, { what: 'the node listed after its heartbeat', timeoutMs: 10_000 });

    expect((await call('DELETE', '/nodes/nobody-here', admin)).status).toBe(404);
    const removed = await call('DELETE', `/nodes/${nodeId}`, admin);
    expect(removed.status).toBe(200);
    expect(await json(removed)).toEqual({ ok: true, removed: nodeId });

    const outcome = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 3000))]);
    expect(outcome).toBe('closed');
    expect(nc.isClosed()).toBe(true);
    await expect(connectNode(nodeId, keys.seed)).rejects.toThrow(/Authorization Violation/i);
    expect(await listed()).toBe(false);
    store.reload();
    expect(store.snapshot.nodes.some((n) => n.id === nodeId)).toBe(false);
    const jsm = await jetstreamManager(await connectNats(natsUrl, 'test-coordinator', { seed: store.snapshot.coordinator.seed }));
    disposables.add(() => jsm.nc.close());
    await expect(jsm.consumers.info(topology(ns).workStream, topology(ns).nodeConsumer(nodeId))).rejects.toThrow(/consumer not found/i);
    expect(readFileSync(authFile, 'utf8')).not.toContain(keys.publicKey);
  });

  it('serves HTTPS with SHOAL_TLS_CERT/KEY and says so, leaves an up-to-date auth.conf alone; refuses to start without a security dir', async () => {
    const cert = join(tmpPath, 'api.crt');
    const key = join(tmpPath, 'api.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const port = await freePort();
    const authBefore = readFileSync(authFile, 'utf8');
    const tls = spawnProcess([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], { name: 'https coordinator', env: { ...coordinatorEnv, PORT: String(port), SHOAL_TLS_CERT: cert, SHOAL_TLS_KEY: key } });
    disposables.add(() => tls.stop('SIGTERM', 15_000));
    const [, url] = await tls.waitForLine(/listening on (\S+)/, 60_000);
    expect(url).toBe(`https://127.0.0.1:${port}`);
    // a second start with nothing changed leaves the bus alone
    expect(tls.stdout.join('\n')).toMatch(/auth\.conf is up to date/);
    expect(readFileSync(authFile, 'utf8')).toBe(authBefore);
    const get = (path: string, token?: string) =>
      new Promise<{ status: number; body: string }>((done, fail) => {
        httpsGet(`${url}${path}`, { ca: readFileSync(cert), headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => done({ status: res.statusCode ?? 0, body }));
        }).on('error', fail);
      });
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/runs')).status).toBe(401);
    expect((await get('/runs', tokens.read)).status).toBe(200);
    await tls.stop('SIGTERM', 15_000);

    const open = spawnProcess([process.execPath, join(ROOT, 'apps/coordinator/dist/main.js')], { name: 'no-security coordinator', env: { ...coordinatorEnv, PORT: String(await freePort()), SHOAL_SECURITY_DIR: '' } });
    disposables.add(() => open.stop('SIGTERM', 5000));
    expect((await open.exited).code).toBe(1);
    expect(open.stderr.join('\n')).toMatch(/SHOAL_SECURITY_DIR is not set.*SHOAL_INSECURE=1/);
  });
});
