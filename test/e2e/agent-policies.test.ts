import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, waitFor } from '@shoal/testing';
import type { RunView, TaskView } from '@shoal/protocol';
import { ROOT, type TestCluster, startOneNodeCluster } from '../support/cluster.js';

// A stand-in agent that draws claude's captured screens (input box; a turn that never changes), so
// the claude preset's detector reads it as the real CLI, offline and without credentials.
const SCREEN_AGENT = join(ROOT, 'test/fixtures/screen-agent.mjs');
const CLAUDE_SCREENS = join(ROOT, 'apps/node-agent/src/presets/fixtures/claude');
const STALL_MS = 4000;
const disposables = new Disposables();
let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  ({ cluster, dir } = await startOneNodeCluster(disposables, { nodeId: 'node-p', env: { SHOAL_CPU_BAND: 'off', SHOAL_STALL_MS: String(STALL_MS) } }));
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

const inputOf = (name: string) => join(dir, `${name}.in`);
const typed = (name: string) => (existsSync(inputOf(name)) ? readFileSync(inputOf(name), 'utf8') : '');
const task = (id: string, extra: string) =>
  `      - { id: ${id}, team: pol, role: ${id}, agent: claude, command: [${process.execPath}, ${SCREEN_AGENT}, ${CLAUDE_SCREENS}, ${inputOf(id)}], ${extra} }`;
const view = (run: RunView, id: string): TaskView => run.tasks.find((t) => t.id === id)!;

async function until(runId: string, what: string, ok: (r: RunView) => boolean): Promise<RunView> {
  return waitFor(
    async () => {
      const r = await cluster.get(runId);
      if (ok(r)) return r;
      throw new Error(`tasks: ${JSON.stringify(r.tasks.map((t) => ({ id: t.id, state: t.state, agent: t.agent?.state, reason: t.reason })))}`);
    },
    { what, timeoutMs: 90_000, intervalMs: 250 },
  );
}

describe('agent policies on a live agent: first prompt, on_stall, on_waiting', () => {
  it('types the first prompt, fails a stalled agent (on_stall: fail), restarts one (restart), checks in when a turn ends (checkin)', async () => {
    const plan = [
      'name: policies',
      'teams: [{ name: pol }]',
      'phases:',
      '  - id: p',
      '    failure_policy: continue',
      '    tasks:',
      task('fails', 'prompt: "work 600000", on_stall: fail'),
      task('restarts', 'prompt: "work 600000", on_stall: restart'),
      task('checks', 'prompt: "work 3000", on_waiting: checkin'),
    ].join('\n');
    const run = await cluster.submit(plan);

    // the first prompt reaches each agent once it shows its input box
    await waitFor(() => ['fails', 'restarts', 'checks'].every((n) => typed(n).split('\n')[0]!.startsWith('work ')), { what: 'the first prompt typed into each agent', timeoutMs: 90_000 });

    // on_stall: fail ends the attempt with the reason; retries 0, so the task fails
    const failed = await until(run.id, 'the stalled task fails', (r) => view(r, 'fails').state === 'failed');
    expect(view(failed, 'fails').reason).toMatch(/^agent stalled: no screen change for \d+ s while working \(on_stall: fail\)$/);

    // on_stall: restart: the agent is started again in its window (a second process), the attempt runs on, no input was sent again
    const starts = (name: string) => (existsSync(`${inputOf(name)}.starts`) ? readFileSync(`${inputOf(name)}.starts`, 'utf8').trim().split('\n') : []);
    await waitFor(() => starts('restarts').length >= 2, { what: 'the stalled agent started a second time', timeoutMs: 90_000 });
    const back = await until(run.id, 'the restarted agent waits at its input box', (r) => view(r, 'restarts').agent?.state === 'waiting-for-input');
    expect(view(back, 'restarts').state).toBe('running');
    expect(view(back, 'restarts').attempt).toBe(1);
    expect(new Set(starts('restarts')).size).toBe(starts('restarts').length);
    expect(typed('restarts').trim().split('\n')).toEqual(['work 600000']);
    expect(starts('fails')).toHaveLength(1);

    // on_waiting: checkin: the turn ends after 3 s and the check-in prompt follows at once (the interval is 15 min)
    await waitFor(() => /\[check-in 1\]/.test(typed('checks')), { what: 'a check-in typed into "checks" when its turn ended', timeoutMs: 60_000 });

    const cancel = await cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBeLessThan(300);
    const end = await cluster.waitForRun(run.id, 90_000);
    expect(['failed', 'cancelled']).toContain(end.state);
  }, 300_000);
});
