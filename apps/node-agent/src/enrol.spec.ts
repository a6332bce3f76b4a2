import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { join } from 'node:path';
import { tempDir, type TempDir } from '@shoal/testing';
import { PROTOCOL_VERSION } from '@shoal/protocol';
import { newUserKeys, readNodeCredentials } from '@shoal/runtime';
import { type IdentityConfig, enrolFailure, resolveBusIdentity } from './enrol.js';

const TOKEN = 'join-token-0123456789';

/** A real HTTP server standing in for the coordinator's `POST /enrol`. */
async function coordinator(answer: (body: Record<string, unknown>) => { status: number; body: unknown }): Promise<{ url: string; server: Server; requests: Record<string, unknown>[] }> {
  const requests: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      requests.push({ ...body, path: req.url });
      const a = answer(body);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/`, server, requests };
}

describe('node enrolment and bus identity', () => {
  let dir: TempDir;
  let server: Server | undefined;
  beforeEach(() => (dir = tempDir()));
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
    await dir.dispose();
  });
  const config = (over: Partial<IdentityConfig> = {}): IdentityConfig => ({
    nodeId: 'node-e',
    nodeIdExplicit: true,
    natsUrl: 'nats://127.0.0.1:4222, nats://127.0.0.1:4223',
    namespace: 'shoal',
    labels: { gpu: 'a100' },
    credentialsPath: join(dir.path, 'node', 'credentials.json'),
    ...over,
  });

  it('without credentials or a join token connects anonymously to NATS_URL', async () => {
    expect(await resolveBusIdentity(config())).toEqual({ mode: 'anonymous', servers: ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223'], namespace: 'shoal', auth: {} });
  });

  it('enrols with the join token, writes its own seed 0600, and uses the reply on the next start too', async () => {
    const c = await coordinator((b) => ({ status: 200, body: { v: PROTOCOL_VERSION, nodeId: b.nodeId, namespace: 'prod', servers: ['nats://10.0.0.1:4222'], inboxPrefix: '_INBOX_node-e' } }));
    server = c.server;
    const id = await resolveBusIdentity(config({ joinUrl: c.url, joinToken: TOKEN }));
    expect(id.mode).toBe('enrolled');
    expect(id.servers).toEqual(['nats://10.0.0.1:4222']);
    expect(id.namespace).toBe('prod');
    expect(id.auth.inboxPrefix).toBe('_INBOX_node-e');
    expect(c.requests).toHaveLength(1);
    const req = c.requests[0]!;
    expect(req).toMatchObject({ path: '/enrol', v: PROTOCOL_VERSION, token: TOKEN, nodeId: 'node-e', labels: { gpu: 'a100' } });
    expect(JSON.stringify(req)).not.toContain(id.auth.seed!);
    const creds = readNodeCredentials(config().credentialsPath)!;
    expect(creds.seed).toBe(id.auth.seed);
    expect(creds.publicKey).toBe(req.publicKey);
    expect(statSync(config().credentialsPath).mode & 0o777).toBe(0o600);
    const again = await resolveBusIdentity(config({ joinUrl: c.url, joinToken: TOKEN }));
    expect(again.mode).toBe('credentials');
    expect(again.auth.seed).toBe(id.auth.seed);
    expect(c.requests).toHaveLength(1);
  });

  it('a refused join token says why and how to get another; the token is never echoed', async () => {
    const c = await coordinator(() => ({ status: 401, body: { error: 'E_AUTHENTICATION', message: 'join token already used' } }));
    server = c.server;
    const err = (await resolveBusIdentity(config({ joinUrl: c.url, joinToken: TOKEN })).catch((e: Error) => e)) as Error;
    expect(err.message).toContain('already used');
    expect(err.message).toContain('shoal token join');
    expect(err.message).not.toContain(TOKEN);
  });

  it('refuses a credentials file of another node id', async () => {
    const keys = newUserKeys();
    const path = config().credentialsPath;
    mkdirSync(join(dir.path, 'node'), { recursive: true });
    writeFileSync(path, JSON.stringify({ nodeId: 'node-x', namespace: 'shoal', servers: ['nats://h:4222'], seed: keys.seed, publicKey: keys.publicKey, inboxPrefix: '_I', coordinator: 'http://c' }), { mode: 0o600 });
    const err = (await resolveBusIdentity(config()).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/belongs to node node-x, but SHOAL_NODE_ID is node-e/);
    expect(err.message).not.toContain(keys.seed);
  });

  it('explains 409 (node id taken) and other failures', () => {
    expect(enrolFailure('u', 409, '{"message":"taken"}', 'n1')).toMatch(/shoal nodes remove n1/);
    expect(enrolFailure('u', 500, 'oops', 'n1')).toMatch(/HTTP 500: oops/);
    const own = enrolFailure('u', 401, '{"message":"join token already used; mint another with `shoal token join`"}', 'n1');
    expect(own.match(/shoal token join/g)).toHaveLength(1);
  });
});
