import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, waitFor } from '@shoal/testing';
import { type RunView, TERMINAL_TASK, type TaskView } from '@shoal/protocol';
import { ROOT, type TestCluster, startOneNodeCluster } from '../support/cluster.js';

// A scripted agent that looks like claude to the claude preset (input box, a turn with an animated
// spinner and "esc to interrupt", Ctrl-C twice to quit) and records what happens to it, in order,
// in one file shared by every agent of the run.
const TURN_AGENT = join(ROOT, 'test/fixtures/turn-agent.mjs');
/** The claude preset's `idleMs` (apps/node-agent/src/presets/presets.ts). */
const CLAUDE_IDLE_S = 5;
const disposables = new Disposables();
let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  ({ cluster, dir } = await startOneNodeCluster(disposables, { nodeId: 'node-dw', env: { SHOAL_CPU_BAND: 'off' } }));
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);

const record = () => join(dir, 'turns.log');
const events = () => (existsSync(record()) ? readFileSync(record(), 'utf8').trim().split('\n') : []);
const agent = (id: string, workMs: number, extra: string) =>
  `      - { id: ${id}, team: dw, role: ${id}, agent: claude, command: [${process.execPath}, ${TURN_AGENT}, ${id}, ${record()}, "${workMs}"], ${extra} }`;
const view = (run: RunView, id: string): TaskView => run.tasks.find((t) => t.id === id)!;

async function until(runId: string, what: string, ok: (r: RunView) => boolean): Promise<RunView> {
  return waitFor(
    async () => {
      const r = await cluster.get(runId);
      if (ok(r)) return r;
      throw new Error(`tasks: ${JSON.stringify(r.tasks.map((t) => ({ id: t.id, state: t.state, agent: t.agent?.state, reason: t.reason })))}; agents: ${events().join(' | ')}`);
    },
    { what, timeoutMs: 90_000, intervalMs: 250 },
  );
}

describe('done_when: agent turns chained across phases', () => {
  it('ends an idle agent after its turn (succeeded, graceful stop, final screen as tail), keeps a done_when: exit agent until it exits, then starts the next phase', async () => {
    const plan = [
      'name: turns',
      'teams: [{ name: dw }]',
      'phases:',
      '  - id: write',
      '    tasks:',
      agent('writer', 2000, 'prompt: "write the plan", done_when: idle'),
      agent('keeper', 500, 'prompt: "keep going", done_when: exit'),
      '  - id: review',
      '    depends_on: [write]',
      '    tasks:',
      agent('reviewer', 2000, 'prompt: "review the plan", done_when: idle'),
    ].join('\n');
    const run = await cluster.submit(plan);

    // phase 1: the writer works on its first prompt, is back at its prompt, and ends on its own
    const first = await until(run.id, 'the writer ends by done_when: idle', (r) => TERMINAL_TASK.includes(view(r, 'writer').state));
    const writer = view(first, 'writer');
    expect(writer.state).toBe('succeeded');
    const idleFor = /^done: agent idle at its prompt for (\d+) s after its turn$/.exec(writer.reason ?? '');
    expect(idleFor).not.toBeNull();
    expect(Number(idleFor![1])).toBeGreaterThanOrEqual(CLAUDE_IDLE_S);
    // the output tail is the screen it ended on: the answer above the input box, as text
    expect(writer.outputTail).toContain('● answer: write the plan');
    expect(writer.outputTail).toMatch(/^❯\s*$/m);
    expect(writer.outputTail).not.toContain('\x1b');
    // the stop was graceful: the agent heard Ctrl-C twice (the preset's exit keys) and quit by itself
    const ofWriter = events().filter((e) => e.startsWith('writer '));
    expect(ofWriter).toEqual(['writer start', 'writer line write the plan', 'writer answered write the plan', 'writer ctrl-c', 'writer ctrl-c', 'writer exit']);

    // done_when: exit is unchanged: the keeper finished its (shorter) turn before the writer and still runs at its prompt
    expect(events()).toContain('keeper answered keep going');
    expect(view(first, 'keeper').state).toBe('running');
    expect(events().some((e) => e.startsWith('reviewer '))).toBe(false);
    expect(view(first, 'reviewer').state).not.toBe('running');

    // the keeper ends when its agent exits (told to by an operator's message)
    const sent = await cluster.fetch(`${cluster.api}/runs/${run.id}/tasks/keeper/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: '/exit' }) });
    expect(sent.status).toBeLessThan(300);

    // phase 2: the reviewer starts only now, takes its prompt and ends by idleness too
    const end = await cluster.waitForRun(run.id, 90_000);
    expect(end.state).toBe('succeeded');
    const keeper = view(end, 'keeper');
    expect([keeper.state, keeper.exitCode, keeper.reason]).toEqual(['succeeded', 0, undefined]);
    const reviewer = view(end, 'reviewer');
    expect(reviewer.state).toBe('succeeded');
    expect(reviewer.reason).toMatch(/^done: agent idle at its prompt for \d+ s after its turn$/);
    expect(reviewer.outputTail).toContain('● answer: review the plan');
    const order = events();
    expect(order.indexOf('writer exit')).toBeLessThan(order.indexOf('keeper exit'));
    expect(order.indexOf('keeper exit')).toBeLessThan(order.indexOf('reviewer start'));
    expect(order.filter((e) => e.startsWith('reviewer '))).toEqual(['reviewer start', 'reviewer line review the plan', 'reviewer answered review the plan', 'reviewer ctrl-c', 'reviewer ctrl-c', 'reviewer exit']);
  }, 240_000);
});
