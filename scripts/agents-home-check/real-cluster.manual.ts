/**
 * Manual check, not in CI: a one-node Shoal cluster starts the five real agent CLIs as interactive
 * tasks, each in its own git worktree, with the default scratch HOME the node-agent prepares and
 * its API key as a secret by reference (fake values, set as SHOAL_SECRET_* in the node-agent's
 * environment); each must reach its input box unattended (agent state `waiting-for-input`, never
 * `menu`), then the run is cancelled. Offline and with root-owned temp dirs:
 *
 *   npx tsc -b tsconfig.build.json
 *   mkdir -p /root/home-check-tmp && TMPDIR=/root/home-check-tmp unshare -n sh -c 'ip link set lo up && exec "$@"' _ \
 *     node --experimental-vm-modules node_modules/jest/bin/jest.js -c scripts/agents-home-check/jest.config.mjs
 *
 * CLIs: <dir>/<name>/node_modules/.bin/<name> with dir $SHOAL_AGENT_CLIS, ~/.cache/shoal/agent-clis
 * or /root/agent-clis. The states seen go to $SHOAL_HOME_CHECK_OUT (default
 * ~/.cache/shoal/home-check/real-cluster.json); the last result is in apps/node-agent/src/homes/VERIFIED.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import type { RunView } from '@shoal/protocol';
import { type TestCluster, startCluster } from '../../test/support/cluster.js';

const OUT = process.env.SHOAL_HOME_CHECK_OUT ?? join(homedir(), '.cache/shoal/home-check/real-cluster.json');
const CLIS = ['claude', 'codex', 'gemini', 'qwen', 'opencode'] as const;
/** Fake keys only. */
const SECRETS = { SHOAL_SECRET_ANTHROPIC: 'sk-ant-fake-0000000000000000000000000000000000000000', SHOAL_SECRET_OPENAI: 'sk-fake-00000000000000000000000000000000', SHOAL_SECRET_GEMINI: 'fake-gemini-00000000000000000000' };
const KEYS: Record<(typeof CLIS)[number], string> = {
  claude: '{ ANTHROPIC_API_KEY: anthropic }',
  codex: '{ OPENAI_API_KEY: openai }',
  gemini: '{ GEMINI_API_KEY: gemini }',
  qwen: '{ OPENAI_API_KEY: openai }', // the key only: the prepared settings select it (no provider dialog)
  opencode: '{ ANTHROPIC_API_KEY: anthropic }',
};
const disposables = new Disposables();
let cluster: TestCluster;
let work: string;
afterAll(() => disposables.disposeAll(), 120_000);
beforeAll(async () => {
  const dir = tempDir('shoal-home-real-');
  disposables.add(() => dir.dispose());
  work = dir.path;
  cluster = await startCluster([{ nodeId: 'real-node', tmuxSocket: tmuxSocket().name, dataDir: join(work, 'node'), env: { ...SECRETS } }], disposables);
}, 120_000);

function binDir(name: string): string {
  const dirs = [process.env.SHOAL_AGENT_CLIS, join(homedir(), '.cache/shoal/agent-clis'), '/root/agent-clis'].filter((d): d is string => !!d);
  const found = dirs.map((d) => join(d, name, 'node_modules', '.bin')).find((d) => existsSync(join(d, name)));
  if (!found) throw new Error(`${name} not installed in ${dirs.join(', ')}`);
  return found;
}

it('five real CLIs in worktrees reach their input boxes unattended with prepared homes and secrets by reference', async () => {
  const repo = join(work, 'repo');
  mkdirSync(repo);
  const git = (...a: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.email=c@example.invalid', '-c', 'user.name=c', ...a]);
  git('init', '-q', '-b', 'main');
  git('commit', '-q', '--allow-empty', '-m', 'start');
  const path = `${CLIS.map(binDir).join(':')}:${dirname(process.execPath)}:/usr/bin:/bin`;
  const task = (id: (typeof CLIS)[number]) =>
    `      - { id: ${id}, team: dev, role: ${id}, agent: ${id}, command: [${JSON.stringify(join(binDir(id), id))}], repo: ${JSON.stringify(repo)}, secrets: ${KEYS[id]}, env: { PATH: ${JSON.stringify(path)}, TERM: xterm-256color }, resources: { memory: 768, cpu: 20 }, on_memory_exceeded: notify }`;
  const run = await cluster.submit(['name: homes-real', 'teams: [{ name: dev }]', 'phases:', '  - id: a', '    tasks:', ...CLIS.map(task)].join('\n'));
  const seen: Record<string, string[]> = {};
  const view = await waitFor(
    async () => {
      const v = (await (await cluster.fetch(`${cluster.api}/runs/${run.id}`)).json()) as RunView;
      for (const t of v.tasks) {
        const s = t.agent?.state ?? t.state;
        if (seen[t.id]?.at(-1) !== s) (seen[t.id] ??= []).push(s);
      }
      // each at its input box, or ended (then the check fails below with what it showed)
      return v.tasks.every((t) => t.agent?.state === 'waiting-for-input' || ['succeeded', 'failed', 'cancelled', 'skipped', 'timed-out'].includes(t.state)) ? v : undefined;
    },
    { what: 'every agent at its input box', timeoutMs: 240_000, intervalMs: 1000 },
  );
  await cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' });
  const out = { api: cluster.api, states: seen, final: view.tasks.map((t) => [t.id, t.state, t.agent?.state, t.reason]) };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(out, null, 2));
  expect(view.tasks.map((t) => [t.id, t.agent?.state])).toEqual(CLIS.map((id) => [id, 'waiting-for-input']));
  for (const id of CLIS) expect(seen[id]).not.toContain('menu');
  await cluster.waitForRun(run.id, 120_000);
});
