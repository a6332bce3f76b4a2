/**
 * Batches in one session, through a real cluster (nats-server, coordinator, node-agent, tmux):
 * three batched interactive tasks run in ONE stand-in agent process, each prompt typed when the
 * agent is back at its prompt; three batched plain commands run one after another in one window.
 * Each member keeps its own attempt, outcome, output tail and node log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Disposables, waitFor } from '@shoal/testing';
import type { RunView, TaskView } from '@shoal/protocol';
import { ROOT, type TestCluster, startOneNodeCluster } from '../support/cluster.js';
import { lines } from '../support/files.js';

const STAND_IN = join(ROOT, 'test/fixtures/stand-in-agent.mjs');
/** Draws claude's captured screens (input box, a turn), read by the real claude preset. */
const SCREEN_AGENT = join(ROOT, 'test/fixtures/screen-agent.mjs');
const CLAUDE_SCREENS = join(ROOT, 'apps/node-agent/src/presets/fixtures/claude');
const disposables = new Disposables();
let cluster: TestCluster;
let socket: string;
let dir: string;

beforeAll(async () => {
  ({ cluster, dir, socket } = await startOneNodeCluster(disposables, { nodeId: 'node-a' }));
}, 180_000);

afterAll(() => disposables.disposeAll(), 120_000);


async function finishedRun(planText: string): Promise<RunView> {
  const run = await cluster.submit(planText);
  disposables.add(() => cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' }).catch(() => undefined));
  const done = await cluster.waitForRun(run.id, 120_000);
  return done;
}

async function nodeLog(runId: string, taskId: string): Promise<string> {
  const res = await cluster.fetch(`${cluster.api}/runs/${runId}/tasks/${taskId}/logs?source=node`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { text: string }).text;
}

/** True while `pid` runs: a zombie has ended (tmux 3.3a now and then leaves its dead child unreaped). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const byStart = (tasks: TaskView[]) => [...tasks].sort((a, b) => a.startedAt! - b.startedAt!);

describe('batches in one session', () => {
  it('runs three batched interactive tasks in one agent process, one prompt per turn, each with its own result and log', async () => {
    const record = join(dir, 'agent-record.txt');
    const agent = `["${process.execPath}", "${STAND_IN}", "${record}", "300", "20", "400"]`;
    const prompts: Record<string, string> = { alpha: 'first prompt alpha', beta: 'second prompt beta', gamma: 'third prompt gamma' };
    const run = await finishedRun(`
name: batch-chat
teams: [{ name: fe }]
phases:
  - id: work
    tasks:
${Object.entries(prompts)
  .map(([id, prompt]) => `      - { id: ${id}, team: fe, role: Agent, command: ${agent}, interactive: true, batch: chat, prompt: "${prompt}", timeout: 60s }`)
  .join('\n')}
`);
    expect(run.tasks.map((t) => `${t.id}:${t.state}:${t.attempt}`)).toEqual(['alpha:succeeded:1', 'beta:succeeded:1', 'gamma:succeeded:1']);

    // one agent start-up, every prompt answered by that process, in the order the turns ran
    const rec = lines(record);
    const starts = rec.filter((l) => l.startsWith('start '));
    expect(starts).toHaveLength(1);
    const pid = starts[0]!.split(' ')[1];
    const order = byStart(run.tasks);
    expect(rec.filter((l) => !l.startsWith('start '))).toEqual(order.map((t) => `${pid} ${prompts[t.id]}`));
    for (let i = 1; i < order.length; i++) expect(order[i]!.startedAt!).toBeGreaterThanOrEqual(order[i - 1]!.finishedAt!);

    // one window: every member ran in Task-fe:Agent
    for (const t of run.tasks) expect(t.tmux).toMatchObject({ session: 'Task-fe', window: 'Agent' });

    // each member's output tail and node log hold its own answer, not another member's
    for (const t of run.tasks) {
      const own = `answer: ${prompts[t.id]}`;
      const others = Object.keys(prompts).filter((k) => k !== t.id).map((k) => `answer: ${prompts[k]}`);
      expect(t.outputTail).toContain(own);
      for (const o of others) expect(t.outputTail).not.toContain(o);
      const log = await nodeLog(run.id, t.id);
      expect(log).toContain(own);
      for (const o of others) expect(log).not.toContain(o);
    }
    expect(order[0]!.outputTail).toContain('stand-in agent ready'); // the first member's slice holds the start-up
    expect(order[1]!.outputTail).not.toContain('stand-in agent ready');
  }, 180_000);

  it('reads turns by the claude preset on claude\'s captured screens: three members, one agent, each turn ended at its input box', async () => {
    const input = join(dir, 'claude-batch.in');
    const agent = `["${process.execPath}", "${SCREEN_AGENT}", "${CLAUDE_SCREENS}", "${input}"]`;
    const run = await finishedRun(`
name: batch-claude
teams: [{ name: cl }]
phases:
  - id: work
    tasks:
${['one', 'two', 'three'].map((id) => `      - { id: ${id}, team: cl, role: Claude, agent: claude, command: ${agent}, batch: turns, prompt: "work 1500", timeout: 90s }`).join('\n')}
`);
    expect(run.tasks.map((t) => `${t.id}:${t.state}:${t.attempt}`)).toEqual(['one:succeeded:1', 'two:succeeded:1', 'three:succeeded:1']);
    expect(lines(`${input}.starts`)).toHaveLength(1);
    expect(lines(input)).toEqual(['work 1500', 'work 1500', 'work 1500']);
  }, 150_000);

  it('runs three batched plain commands one after another in one pane', async () => {
    const trace = join(dir, 'plain-trace.txt');
    const cmd = (n: string) => `["/bin/sh", "-c", "echo begin ${n} $TMUX_PANE >> ${trace}; sleep 0.4; echo end ${n} >> ${trace}; echo out-${n}-done"]`;
    const run = await finishedRun(`
name: batch-plain
teams: [{ name: be }]
phases:
  - id: work
    tasks:
      - { id: one, team: be, role: Sh, command: ${cmd('one')}, batch: sh }
      - { id: two, team: be, role: Sh, command: ${cmd('two')}, batch: sh }
      - { id: three, team: be, role: Sh, command: ${cmd('three')}, batch: sh }
`);
    expect(run.tasks.map((t) => `${t.id}:${t.state}:${t.attempt}`)).toEqual(['one:succeeded:1', 'two:succeeded:1', 'three:succeeded:1']);
    const tr = lines(trace);
    const order = byStart(run.tasks).map((t) => t.id);
    // strictly one after another: begin/end pairs never interleave, in the order the members started
    expect(tr.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(order.flatMap((n) => [`begin ${n}`, `end ${n}`]));
    // one pane for all three
    const panes = new Set(tr.filter((l) => l.startsWith('begin ')).map((l) => l.split(' ')[2]));
    expect(panes.size).toBe(1);
    expect([...panes][0]).toMatch(/^%\d+$/);
    for (const t of run.tasks) {
      expect(t.outputTail).toContain(`out-${t.id}-done`);
      for (const o of ['one', 'two', 'three'].filter((x) => x !== t.id)) expect(t.outputTail).not.toContain(`out-${o}-done`);
      expect(await nodeLog(run.id, t.id)).toContain(`out-${t.id}-done`);
    }
  }, 180_000);

  it('a member that fails does not stop the next plain member; each gets its own outcome', async () => {
    const run = await finishedRun(`
name: batch-fail
teams: [{ name: be }]
phases:
  - id: work
    failure_policy: continue
    tasks:
      - { id: ok1, team: be, role: Mixed, command: ["/bin/sh", "-c", "echo fine"], batch: mix }
      - { id: bad, team: be, role: Mixed, command: ["/bin/sh", "-c", "echo broken; exit 7"], batch: mix }
      - { id: ok2, team: be, role: Mixed, command: ["/bin/sh", "-c", "echo fine again"], batch: mix }
`);
    const state = Object.fromEntries(run.tasks.map((t) => [t.id, t.state]));
    expect(state).toEqual({ ok1: 'succeeded', bad: 'failed', ok2: 'succeeded' });
    expect(run.tasks.find((t) => t.id === 'bad')!.reason).toMatch(/exited with code 7/);
  }, 180_000);

  it('an agent dying mid-turn fails that member; its retry and the members still waiting get a fresh agent', async () => {
    const record = join(dir, 'crash-record.txt');
    const agent = `["${process.execPath}", "${STAND_IN}", "${record}", "300", "20", "300"]`;
    const run = await finishedRun(`
name: batch-crash
teams: [{ name: qa }]
phases:
  - id: work
    failure_policy: continue
    tasks:
      - { id: c1, team: qa, role: Agent, command: ${agent}, interactive: true, batch: crash, prompt: "plain prompt one", timeout: 60s }
      - { id: c2, team: qa, role: Agent, command: ${agent}, interactive: true, batch: crash, prompt: "crash-once here", timeout: 60s, retries: 1 }
      - { id: c3, team: qa, role: Agent, command: ${agent}, interactive: true, batch: crash, prompt: "plain prompt three", timeout: 60s }
`);
    expect(run.tasks.map((t) => `${t.id}:${t.state}:${t.attempt}`)).toEqual(['c1:succeeded:1', 'c2:succeeded:2', 'c3:succeeded:1']);
    const rec = lines(record);
    const crashed = readFileSync(`${record}.crashed`, 'utf8').trim();
    // the crashed agent got no prompt after the one it died on
    const byCrashed = rec.filter((l) => l.startsWith(`${crashed} `));
    expect(byCrashed[byCrashed.length - 1]).toBe(`${crashed} crash-once here`);
    // the retry of c2 was answered by another agent process
    const answeredAgain = rec.filter((l) => l.endsWith(' crash-once here') && !l.startsWith(`${crashed} `));
    expect(answeredAgain).toHaveLength(1);
    expect(rec.filter((l) => l.startsWith('start ')).length).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it('cancelling the run stops the agent mid-turn and the waiting members never reach it', async () => {
    const record = join(dir, 'cancel-record.txt');
    const agent = `["${process.execPath}", "${STAND_IN}", "${record}", "300", "20", "60000"]`;
    const run = await cluster.submit(`
name: batch-cancel
teams: [{ name: ops }]
phases:
  - id: work
    tasks:
      - { id: k1, team: ops, role: Agent, command: ${agent}, interactive: true, batch: long, prompt: "long prompt one" }
      - { id: k2, team: ops, role: Agent, command: ${agent}, interactive: true, batch: long, prompt: "long prompt two" }
      - { id: k3, team: ops, role: Agent, command: ${agent}, interactive: true, batch: long, prompt: "long prompt three" }
`);
    disposables.add(() => cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' }).catch(() => undefined));
    await waitFor(() => lines(record).some((l) => / long prompt /.test(l)), { timeoutMs: 60_000, what: 'the first prompt to reach the agent' });
    const pid = Number(lines(record).find((l) => l.startsWith('start '))!.split(' ')[1]);
    const res = await cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' });
    expect(res.ok).toBe(true);
    const done = await cluster.waitForRun(run.id, 60_000);
    expect(done.tasks.map((t) => t.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    await waitFor(() => !running(pid), { timeoutMs: 30_000, what: `the agent (pid ${pid}) to be stopped` }).catch((e: Error) => {
      throw new Error(`${e.message}\nnode-agent:\n${cluster.agents[0]!.outputTail(60)}`);
    });
    expect(lines(record).filter((l) => / long prompt /.test(l))).toHaveLength(1);
  }, 180_000);

  it('a member timing out mid-turn ends the session; the members after it get a fresh agent', async () => {
    const record = join(dir, 'timeout-record.txt');
    const agent = `["${process.execPath}", "${STAND_IN}", "${record}", "300", "20", "300"]`;
    const run = await finishedRun(`
name: batch-timeout
teams: [{ name: tt }]
phases:
  - id: work
    failure_policy: continue
    tasks:
      - { id: q1, team: tt, role: Agent, command: ${agent}, interactive: true, batch: tb, prompt: "quick prompt one", timeout: 60s }
      - { id: slow, team: tt, role: Agent, command: ${agent}, interactive: true, batch: tb, prompt: "slow 600000 prompt", timeout: 3s }
      - { id: q3, team: tt, role: Agent, command: ${agent}, interactive: true, batch: tb, prompt: "quick prompt three", timeout: 60s }
`);
    const state = Object.fromEntries(run.tasks.map((t) => [t.id, t.state]));
    expect(state).toEqual({ q1: 'succeeded', slow: 'failed', q3: 'succeeded' });
    expect(run.tasks.find((t) => t.id === 'slow')!.reason).toMatch(/timed out after 3000 ms/);
    const order = byStart(run.tasks).map((t) => t.id);
    const after = order.length - 1 - order.indexOf('slow');
    const rec = lines(record);
    expect(rec.filter((l) => l.startsWith('start '))).toHaveLength(after > 0 ? 2 : 1);
    const slowPid = rec.find((l) => l.endsWith(' slow 600000 prompt'))!.split(' ')[0];
    expect(rec.filter((l) => l.startsWith(`${slowPid} `)).pop()).toBe(`${slowPid} slow 600000 prompt`);
  }, 180_000);

  it('ends the interactive session after its linger: no agent process is left in the window', async () => {
    await waitFor(async () => !(await cluster.tmux(socket, ['list-panes', '-a', '-F', '#{pane_dead} #{pane_current_command}']).catch(() => '')).split('\n').some((l) => l.startsWith('0 node')), {
      timeoutMs: 30_000,
      what: 'the stand-in agent of the batch session to be stopped after the linger',
    });
  }, 60_000);
});
