import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { type OneNodeCluster, startCluster, startOneNodeCluster } from '../support/cluster.js';

/**
 * Prepared agent homes and secrets by reference, end to end on one node: a stand-in named `claude`
 * (the real CLIs are checked by scripts/agents-home-check.mjs, not in CI) reports its HOME and
 * whether its secret variables are set — never their values. The test listens to every message
 * on the cluster's namespace meanwhile and looks for the secret values there and in the run view.
 */
const disposables = new Disposables();
const NODE = 'home-node';
let one: OneNodeCluster;
let work: string;
let nc: NatsConnection;
let sub: Subscription;
const traffic: string[] = [];
const fileSecret = `sk-ant-fake-file-${randomUUID()}`;
const envSecret = `sk-fake-env-${randomUUID()}`;

afterAll(() => disposables.disposeAll(), 120_000);

beforeAll(async () => {
  const dir = tempDir('shoal-agent-homes-');
  disposables.add(() => dir.dispose());
  work = dir.path;
  // one secret in the node-agent's environment, one in its store (written below, 0600)
  one = await startOneNodeCluster(disposables, { nodeId: NODE, env: { SHOAL_SECRET_OPENAI: envSecret } });
  nc = await one.cluster.connect();
  disposables.add(() => nc.close());
  sub = nc.subscribe(`${one.cluster.ns}.>`);
  void (async () => {
    for await (const m of sub) traffic.push(`${m.subject} ${new TextDecoder().decode(m.data)}`);
  })();
  const secrets = join(one.dir, NODE, 'secrets');
  mkdirSync(secrets, { recursive: true, mode: 0o700 });
  writeFileSync(join(secrets, 'anthropic'), `${fileSecret}\n`, { mode: 0o600 });
}, 120_000);

interface Report {
  home: string;
  files: string[];
  homeMode: number;
  trusted: boolean;
  approved: boolean;
  set: Record<string, boolean>;
  leaked: boolean;
}

describe('prepared homes and secrets', () => {
  it('a scratch HOME prepared for claude and removed after; secrets resolved on the node and never on the bus; a missing secret fails before the start', async () => {
    const agent = join(work, 'stand-in.mjs');
    writeFileSync(
      agent,
      `#!${process.execPath}
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const home = process.env.HOME;
const files = readdirSync(home, { recursive: true }).map(String).sort().map((f) => f + ' ' + (statSync(join(home, f)).mode & 0o777).toString(8));
const cfg = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8'));
const key = process.env.ANTHROPIC_API_KEY ?? '';
const set = Object.fromEntries(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'SHOAL_SECRET_OPENAI'].map((k) => [k, !!process.env[k]]));
const report = { home, files, homeMode: statSync(home).mode & 0o777, trusted: cfg.projects?.[process.cwd()]?.hasTrustDialogAccepted === true,
  approved: key !== '' && (cfg.customApiKeyResponses?.approved ?? []).includes(key.slice(-20)), set,
  leaked: Object.keys(process.env).some((k) => k.startsWith('SHOAL_SECRET_')) };
writeFileSync(process.env.REPORT_FILE, JSON.stringify(report));
// what an operator sees: names and booleans only
console.log('HOME=' + home + ' files=' + files.join(',') + ' ' + Object.entries(set).map(([k, v]) => k + (v ? ' set' : ' unset')).join(' '));
`,
    );
    mkdirSync(join(work, 'bin'));
    copyFileSync(agent, join(work, 'bin', 'claude'));
    chmodSync(join(work, 'bin', 'claude'), 0o755);
    const cwd = join(work, 'wt');
    mkdirSync(cwd);
    const task = (id: string, extra: string) =>
      `{ id: ${id}, team: dev, role: ${id}, agent: claude, command: [${JSON.stringify(join(work, 'bin', 'claude'))}], cwd: ${JSON.stringify(cwd)}, env: { REPORT_FILE: ${JSON.stringify(join(work, `${id}.json`))} }, resources: { memory: 256, cpu: 20 }${extra} }`;
    const run = await one.cluster.submit(
      [
        'name: agent-homes',
        'teams: [{ name: dev }]',
        'phases:',
        '  - id: a',
        '    failure_policy: continue',
        '    tasks:',
        `      - ${task('lead', ', secrets: { ANTHROPIC_API_KEY: anthropic, OPENAI_API_KEY: openai }')}`,
        `      - ${task('plain', '')}`,
        `      - ${task('missing', ', secrets: { ANTHROPIC_API_KEY: nope }')}`,
      ].join('\n'),
    );
    const done = await one.cluster.waitForRun(run.id, 60_000);
    const state = Object.fromEntries(done.tasks.map((t) => [t.id, t.state]));
    expect(state).toEqual({ lead: 'succeeded', plain: 'succeeded', missing: 'failed' });

    const lead = JSON.parse(readFileSync(join(work, 'lead.json'), 'utf8')) as Report;
    const home = join(one.dir, NODE, 'homes', `${run.id}.lead.1`);
    expect(lead).toEqual({ home, files: ['.claude.json 600'], homeMode: 0o700, trusted: true, approved: true, set: { ANTHROPIC_API_KEY: true, OPENAI_API_KEY: true, SHOAL_SECRET_OPENAI: false }, leaked: false });
    // no secrets named: its own scratch home, nothing set, the node's SHOAL_SECRET_* not inherited
    const plain = JSON.parse(readFileSync(join(work, 'plain.json'), 'utf8')) as Report;
    expect(plain).toMatchObject({ home: join(one.dir, NODE, 'homes', `${run.id}.plain.1`), trusted: true, approved: false, set: { ANTHROPIC_API_KEY: false, OPENAI_API_KEY: false, SHOAL_SECRET_OPENAI: false }, leaked: false });

    // the missing secret failed the task before anything ran: no report, no home
    const missing = done.tasks.find((t) => t.id === 'missing')!;
    expect(missing.reason).toBe(`could not start: secret 'nope' not found on node ${NODE}: put it in ${join(one.dir, NODE, 'secrets', 'nope')} (mode 0600) or set SHOAL_SECRET_NOPE in the node-agent's environment`);
    expect(existsSync(join(work, 'missing.json'))).toBe(false);

    // the scratch homes went with their processes
    expect(readdirSync(join(one.dir, NODE, 'homes'))).toEqual([]);

    // the output reached the bus (so the search below looks at real traffic) ...
    const view = await one.cluster.get(run.id);
    expect(view.tasks.find((t) => t.id === 'lead')!.outputTail).toContain('ANTHROPIC_API_KEY set OPENAI_API_KEY set');
    expect(traffic.some((m) => m.includes('ANTHROPIC_API_KEY set'))).toBe(true);
    expect(traffic.some((m) => m.includes('"secrets"') && m.includes('anthropic'))).toBe(true); // the plan's names travel
    // ... and no value (nor Claude's 20-character suffix of it) is in any message or in the run view
    const everything = [...traffic, JSON.stringify(view), JSON.stringify(done)].join('\n');
    for (const secret of [fileSecret, envSecret, fileSecret.slice(-20)]) expect(everything.includes(secret)).toBe(false);
  }, 90_000);
});

describe('prepared homes under SHOAL_RUN_AS', () => {
  const first = 2_300_000 + Math.floor(Math.random() * 80_000) * 10;
  const uids = `${first}-${first + 9}`;

  it('the attempt home of its uid is prepared (files owned by that uid, 0600) and gets the secret; home: shared is refused with its reason', async () => {
    const dir = tempDir('shoal-agent-homes-run-as-');
    disposables.add(() => dir.dispose());
    chmodSync(dir.path, 0o711);
    const node = 'home-run-as';
    // agents must traverse the data dir's parents: a 0711 temp dir, not startOneNodeCluster's 0700 one
    const tmux = tmuxSocket();
    disposables.add(() => tmux.dispose());
    const cluster = await startCluster([{ nodeId: node, tmuxSocket: tmux.name, dataDir: join(dir.path, node), env: { SHOAL_RUN_AS: 'nobody', SHOAL_AGENT_UIDS: uids, SHOAL_STOP_GRACE_MS: '2000' } }], disposables);
    const ra = { cluster, dir: dir.path };
    const secrets = join(ra.dir, node, 'secrets');
    mkdirSync(secrets, { recursive: true, mode: 0o700 });
    writeFileSync(join(secrets, 'anthropic'), fileSecret, { mode: 0o600 });
    const agent = join(dir.path, 'claude');
    writeFileSync(
      agent,
      `#!${process.execPath}
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const home = process.env.HOME;
const file = join(home, '.claude.json');
const cfg = JSON.parse(readFileSync(file, 'utf8'));
const key = process.env.ANTHROPIC_API_KEY ?? '';
writeFileSync(process.env.REPORT_FILE, JSON.stringify({ home, cwd: process.cwd(), uid: process.getuid(), fileUid: statSync(file).uid, fileMode: statSync(file).mode & 0o777, homeMode: statSync(home).mode & 0o777,
  trusted: cfg.projects?.[process.cwd()]?.hasTrustDialogAccepted === true, approved: key !== '' && cfg.customApiKeyResponses.approved.includes(key.slice(-20)) }));
`,
    );
    chmodSync(agent, 0o755);
    // the agent's uid writes its report here (sticky, world-writable)
    const reports = join(dir.path, 'reports');
    mkdirSync(reports);
    chmodSync(reports, 0o1777);
    const task = (id: string, extra: string) =>
      `      - { id: ${id}, team: ra, role: ${id}, agent: claude, command: [${JSON.stringify(agent)}], env: { REPORT_FILE: ${JSON.stringify(join(reports, `${id}.json`))} }, resources: { memory: 256, cpu: 20 }${extra} }`;
    const run = await ra.cluster.submit(['name: homes-run-as', 'teams: [{ name: ra }]', 'phases:', '  - id: a', '    failure_policy: continue', '    tasks:', task('lead', ', secrets: { ANTHROPIC_API_KEY: anthropic }'), task('shared', ', home: shared')].join('\n'));
    const done = await ra.cluster.waitForRun(run.id, 60_000);
    const lead = done.tasks.find((t) => t.id === 'lead')!;
    expect(lead.state).toBe('succeeded');
    const report = JSON.parse(readFileSync(join(reports, 'lead.json'), 'utf8'));
    expect(report.uid).toBeGreaterThanOrEqual(first);
    expect(report).toMatchObject({ home: join(ra.dir, node, 'homes', String(report.uid)), cwd: report.home, fileUid: report.uid, fileMode: 0o600, homeMode: 0o700, trusted: true, approved: true });
    // it goes with the uid, once the attempt's last process is gone (after the end is reported)
    await waitFor(() => !existsSync(report.home) || undefined, { what: 'the uid home removed', timeoutMs: 30_000 });
    const shared = done.tasks.find((t) => t.id === 'shared')!;
    expect([shared.state, shared.reason]).toEqual(['failed', expect.stringContaining("could not start: home: shared needs SHOAL_RUN_AS=off on node-agents")]);
  }, 120_000);
});
