import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kvm } from '@nats-io/kv';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import type { CacheEntryView, CacheListReply, MintedApiToken } from '@shoal/protocol';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';

const exec = promisify(execFile);
const disposables = new Disposables();
let cluster: TestCluster;
let work: string;

afterAll(() => disposables.disposeAll(), 120_000);

beforeAll(async () => {
  const dir = tempDir('shoal-shared-cache-');
  disposables.add(() => dir.dispose());
  work = dir.path;
  // two nodes, for agents that reach the cache with their task-scoped tokens; a sweep every second
  const nodes = ['a', 'b'].map((box) => ({ nodeId: `cache-node-${box}`, tmuxSocket: tmuxSocket().name, dataDir: join(work, `node-${box}`), labels: `box=${box}` }));
  cluster = await startCluster(nodes, disposables, { SHOAL_CACHE_SWEEP_MS: '1000' });
}, 120_000);

/** The built CLI against this cluster: exit code and output. */
async function shoal(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [join(ROOT, 'apps/cli/dist/main.js'), '--api', cluster.api, ...args], { cwd: work, env: { ...process.env, SHOAL_TOKEN: cluster.token, ...env } });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const put = (ns: string, key: string, body: unknown, token?: string) =>
  cluster.fetch(`${cluster.api}/cache/${encodeURIComponent(ns)}/${key}`, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }, token);

describe('the cache agents share', () => {
  it('puts, gets, lists per namespace, refuses 256 KiB+ with 413, expires and sweeps entries, and counts hits and misses', async () => {
    const stored = await put('run:r1', 'schema', { value: { tables: ['users'] }, ttl: 2 });
    expect(stored.status).toBe(200);
    expect(((await stored.json()) as CacheEntryView).size).toBe(JSON.stringify({ tables: ["users"] }).length);
    expect((await put('run:r1', 'notes', { value: 'kept', ttl: '1h' })).status).toBe(200);

    const got = await cluster.fetch(`${cluster.api}/cache/run:r1/schema`);
    expect(got.status).toBe(200);
    expect(((await got.json()) as CacheEntryView).value).toEqual({ tables: ['users'] });
    // namespaces do not see each other
    expect((await cluster.fetch(`${cluster.api}/cache/global/schema`)).status).toBe(404);
    expect((await cluster.fetch(`${cluster.api}/cache/team:r1/schema`)).status).toBe(404);

    const big = await put('global', 'big', { value: 'x'.repeat(300 * 1024) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { message: string }).message).toMatch(/at most 262144 \(256 KiB\)/);
    // just over the limit: parsed, measured, refused
    const over = await put('global', 'over', { value: 'x'.repeat(256 * 1024 - 1) });
    expect(over.status).toBe(413);
    expect(((await over.json()) as { message: string }).message).toMatch(/value is 262145 bytes/);
    expect((await put('no-such-ns', 'k', { value: 1 })).status).toBe(400);
    expect((await put('global', 'a..b', { value: 1 })).status).toBe(400);

    const list = async (ns: string) => ((await (await cluster.fetch(`${cluster.api}/cache/${ns}`)).json()) as CacheListReply).entries.map((e) => e.key);
    expect(await list('run:r1')).toEqual(['notes', 'schema']);

    // expiry: a miss and out of the list once the TTL is over, then swept out of the bucket
    await waitFor(async () => (await cluster.fetch(`${cluster.api}/cache/run:r1/schema`)).status === 404, { timeoutMs: 15_000, what: 'the 2 s entry to expire' });
    expect(await list('run:r1')).toEqual(['notes']);
    const nc = await cluster.connect();
    disposables.add(() => nc.close());
    const kv = await new Kvm(nc).open(`${cluster.ns.toLowerCase()}_cache`);
    await waitFor(async () => (await kv.get('shared.run.r1.schema'))?.operation !== 'PUT', { timeoutMs: 15_000, what: 'the leader to sweep the expired entry' });
    expect((await kv.get('shared.run.r1.notes'))?.operation).toBe('PUT');

    const metrics = await (await cluster.fetch(`${cluster.api}/metrics`)).text();
    expect(metrics).toMatch(/shoal_shared_cache_lookups_total\{result="hit"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/shoal_shared_cache_lookups_total\{result="miss"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/shoal_shared_cache_writes_total\{result="too_large"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/shoal_shared_cache_expired_total(\{[^}]*\})? [1-9]/);
  });

  it('lets a read token get but not put; `shoal cache` puts, gets, lists and removes', async () => {
    const minted = (await (await cluster.fetch(`${cluster.api}/tokens`, { method: 'POST', body: JSON.stringify({ scope: 'read', name: 'cache-reader' }), headers: { 'content-type': 'application/json' } })).json()) as MintedApiToken;
    expect((await put('team:fe', 'k', { value: 1 }, minted.token)).status).toBe(403);

    expect((await shoal(['cache', 'put', 'team:fe', 'api-url', 'http://127.0.0.1:4000', '--ttl', '10m'])).code).toBe(0);
    const read = await shoal(['cache', 'get', 'team:fe', 'api-url'], { SHOAL_TOKEN: minted.token });
    expect(read).toMatchObject({ code: 0, stdout: 'http://127.0.0.1:4000\n' });
    const ls = JSON.parse((await shoal(['cache', 'ls', 'team:fe', '--json'])).stdout) as CacheListReply;
    expect(ls.entries.map((e) => e.key)).toEqual(['api-url']);
    expect((await shoal(['cache', 'rm', 'team:fe', 'api-url'])).stdout).toMatch(/deleted/);
    const gone = await shoal(['cache', 'get', 'team:fe', 'api-url']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/not in the cache/);
  });

  it('`shoal deploy` submits a plan with the budgets, and refuses out-of-band ones (both npm spellings) with exit 2', async () => {
    const plan = join(work, 'shoal.yaml');
    writeFileSync(plan, 'name: tiny\nteams: [{ name: ops }]\nphases:\n  - id: a\n    tasks:\n      - { id: t, team: ops, role: R, command: [node, -v] }\n');
    const ok = await shoal(['deploy', '--cpu-limit=45', '--memory=512MB', '--json']);
    expect(ok.code).toBe(0);
    const run = JSON.parse(ok.stdout) as { id: string; plan: string };
    expect((await cluster.get(run.id)).plan).toBe('tiny');
    await cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' });

    const refused = await shoal(['deploy', '--plan', plan], { npm_config_cpu_limit: '90' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--cpu-limit=90 refused: allowed 40-60/);
    const npm = await exec('npm', ['run', '-s', 'agents:deploy', '--memory=2GB'], { cwd: ROOT, env: { ...process.env, SHOAL_API: cluster.api, SHOAL_TOKEN: cluster.token } }).catch((e: { code: number; stderr: string }) => e);
    expect(npm).toMatchObject({ code: 2, stderr: expect.stringMatching(/--memory=2GB refused: allowed 256MB-768MB/) });
  });

  it('agents on two nodes share entries through SHOAL_CACHE_URL + SHOAL_CACHE_TOKEN: their team, run and global, nothing else', async () => {
    const script = join(work, 'agent.mjs');
    writeFileSync(
      script,
      `const { SHOAL_CACHE_URL: url, SHOAL_CACHE_TOKEN: token, SHOAL_RUN_ID: run } = process.env;
const call = (method, path, body) => fetch(url + path, { method, headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
const status = async (...a) => (await call(...a)).status;
let results;
if (process.argv[2] === 'write') {
  results = [await status('PUT', '/team:ops/from-agent', { value: run }), await status('PUT', '/run:' + run + '/mine', { value: 1 }), await status('GET', '/global/shared'), await status('GET', '/team:other/x'), await status('PUT', '/run:someone-else/x', { value: 1 })];
} else {
  const r = await call('GET', '/team:ops/from-agent');
  results = [r.status, (await r.json()).value === run ? 'same' : 'other'];
}
console.log('results', results.join(','));
process.exit(results.join(',') === (process.argv[2] === 'write' ? '200,200,200,403,403' : '200,same') ? 0 : 1);
`,
    );
    expect((await put('global', 'shared', { value: 'for everyone' })).status).toBe(200);
    const task = (id: string, box: string, mode: string) => `{ id: ${id}, team: ops, role: ${id}, command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}, ${mode}], requires: { box: ${box} }, resources: { cpu: 20, memory: 256 } }`;
    const run = await cluster.submit(
      `name: cache-agents\nteams: [{ name: ops }]\nphases:\n  - id: a\n    tasks:\n      - ${task('writer', 'a', 'write')}\n  - id: b\n    depends_on: [a]\n    tasks:\n      - ${task('reader', 'b', 'read')}\n`,
    );
    const done = await cluster.waitForRun(run.id, 60_000);
    expect(done.tasks.map((t) => [t.id, t.state, t.nodeId])).toEqual([
      ['writer', 'succeeded', 'cache-node-a'],
      ['reader', 'succeeded', 'cache-node-b'],
    ]);
    const got = (await (await cluster.fetch(`${cluster.api}/cache/team:ops/from-agent`)).json()) as CacheEntryView;
    expect(got.value).toBe(run.id);
    // a forged token opens nothing
    const bad = await cluster.fetch(`${cluster.api}/cache/global/shared`, {}, 'shc1.e30.AAAA');
    expect(bad.status).toBe(401);
  });
});
