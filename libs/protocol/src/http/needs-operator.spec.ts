import type { RunView, TaskView } from '../run-view.js';
import { agentsNeedingInput, runAgentsNeedingInput } from './needs-operator.js';
import type { NodeRow } from './nodes.js';

type Running = { runId: string; taskId: string; attempt: number; cpuPercent?: number; rssMb?: number; agent?: { state: string; since: number } };

/** A node row with the fields the function reads (the rest of a heartbeat does not matter to it). */
const node = (id: string, state: 'alive' | 'suspect' | 'lost', running: Running[]) =>
  ({ id, state, lastHeartbeatAt: 1, v: 1, nodeId: id, running }) as unknown as NodeRow;

/** A task view with the fields the function reads. */
const task = (id: string, state: string, extra: Partial<TaskView> = {}) =>
  ({ id, phaseId: 'p', team: 't', role: 'r', state, attempt: 1, maxAttempts: 1, ...extra }) as TaskView;

const run = (id: string, tasks: TaskView[]) => ({ id, plan: 'p', state: 'running', submittedAt: 0, phases: [], tasks }) as unknown as RunView;

describe('agentsNeedingInput', () => {
  it('gives one row per needing attempt, with exactly its run, task, attempt, node and agent', () => {
    const nodes = [node('n1', 'alive', [{ runId: 'r1', taskId: 'a', attempt: 2, cpuPercent: 10, rssMb: 300, agent: { state: 'menu', since: 5 } }])];
    expect(agentsNeedingInput(nodes)).toStrictEqual([{ runId: 'r1', taskId: 'a', attempt: 2, nodeId: 'n1', agent: { state: 'menu', since: 5 } }]);
  });

  it('takes each of the four states that need an operator and none of the other four', () => {
    const states = ['starting', 'working', 'waiting-for-input', 'menu', 'stalled', 'error', 'done', 'unknown'];
    const nodes = [node('n1', 'alive', states.map((s, i) => ({ runId: 'r1', taskId: `t${i}`, attempt: 1, agent: { state: s, since: i } })))];
    expect(agentsNeedingInput(nodes).map((r) => r.agent.state)).toEqual(['waiting-for-input', 'menu', 'stalled', 'error']);
  });

  it('skips attempts whose agent state is not known yet', () => {
    const nodes = [node('n1', 'alive', [{ runId: 'r1', taskId: 'a', attempt: 1 }, { runId: 'r1', taskId: 'b', attempt: 1, agent: { state: 'error', since: 1 } }])];
    expect(agentsNeedingInput(nodes).map((r) => r.taskId)).toEqual(['b']);
  });

  it('leaves out lost nodes, keeps alive and suspect ones', () => {
    const nodes = [
      node('gone', 'lost', [{ runId: 'r1', taskId: 'a', attempt: 1, agent: { state: 'menu', since: 1 } }]),
      node('slow', 'suspect', [{ runId: 'r1', taskId: 'b', attempt: 1, agent: { state: 'menu', since: 2 } }]),
      node('fine', 'alive', [{ runId: 'r1', taskId: 'c', attempt: 1, agent: { state: 'menu', since: 3 } }]),
    ];
    expect(agentsNeedingInput(nodes).map((r) => r.nodeId)).toEqual(['slow', 'fine']);
  });

  it('keeps one run when a run id is given, every run when not', () => {
    const nodes = [
      node('n1', 'alive', [{ runId: 'r1', taskId: 'a', attempt: 1, agent: { state: 'stalled', since: 1 } }]),
      node('n2', 'alive', [{ runId: 'r2', taskId: 'b', attempt: 1, agent: { state: 'stalled', since: 2 } }]),
    ];
    expect(agentsNeedingInput(nodes).map((r) => r.runId)).toEqual(['r1', 'r2']);
    expect(agentsNeedingInput(nodes, 'r2').map((r) => r.taskId)).toEqual(['b']);
    expect(agentsNeedingInput(nodes, 'r1').map((r) => r.taskId)).toEqual(['a']);
    expect(agentsNeedingInput(nodes, 'r3')).toEqual([]);
  });

  it('lists the longest waiting first (smallest since), across nodes', () => {
    const nodes = [
      node('n1', 'alive', [{ runId: 'r', taskId: 'mid', attempt: 1, agent: { state: 'menu', since: 200 } }, { runId: 'r', taskId: 'new', attempt: 1, agent: { state: 'error', since: 300 } }]),
      node('n2', 'alive', [{ runId: 'r', taskId: 'old', attempt: 1, agent: { state: 'stalled', since: 100 } }, { runId: 'r', taskId: 'older', attempt: 1, agent: { state: 'menu', since: 0 } }]),
    ];
    expect(agentsNeedingInput(nodes).map((r) => r.taskId)).toEqual(['older', 'old', 'mid', 'new']);
  });

  it('gives nothing for no nodes or nodes running nothing', () => {
    expect(agentsNeedingInput([])).toEqual([]);
    expect(agentsNeedingInput([node('n1', 'alive', [])])).toEqual([]);
  });
});

describe('runAgentsNeedingInput', () => {
  it('gives one row per running task whose agent needs someone, with the run id and node', () => {
    const r = run('r9', [task('a', 'running', { attempt: 3, nodeId: 'n2', agent: { state: 'waiting-for-input', since: 7 } })]);
    expect(runAgentsNeedingInput(r)).toStrictEqual([{ runId: 'r9', taskId: 'a', attempt: 3, nodeId: 'n2', agent: { state: 'waiting-for-input', since: 7 } }]);
  });

  it('reads a missing node id as an empty string', () => {
    const r = run('r9', [task('a', 'running', { agent: { state: 'menu', since: 1 } })]);
    expect(runAgentsNeedingInput(r)).toStrictEqual([{ runId: 'r9', taskId: 'a', attempt: 1, nodeId: '', agent: { state: 'menu', since: 1 } }]);
  });

  it('takes running tasks only, with a known agent state that needs an operator', () => {
    const r = run('r', [
      task('dispatched', 'dispatched', { agent: { state: 'menu', since: 1 } }),
      task('failed', 'failed', { agent: { state: 'error', since: 2 } }),
      task('no-agent', 'running'),
      task('working', 'running', { agent: { state: 'working', since: 3 } }),
      task('done', 'running', { agent: { state: 'done', since: 4 } }),
      task('w', 'running', { agent: { state: 'waiting-for-input', since: 5 } }),
      task('m', 'running', { agent: { state: 'menu', since: 6 } }),
      task('s', 'running', { agent: { state: 'stalled', since: 7 } }),
      task('e', 'running', { agent: { state: 'error', since: 8 } }),
    ]);
    expect(runAgentsNeedingInput(r).map((x) => x.taskId)).toEqual(['w', 'm', 's', 'e']);
  });

  it('lists the longest waiting first', () => {
    const r = run('r', [
      task('mid', 'running', { agent: { state: 'menu', since: 50 } }),
      task('new', 'running', { agent: { state: 'menu', since: 90 } }),
      task('old', 'running', { agent: { state: 'menu', since: 10 } }),
      task('older', 'running', { agent: { state: 'menu', since: 0 } }),
    ]);
    expect(runAgentsNeedingInput(r).map((x) => x.taskId)).toEqual(['older', 'old', 'mid', 'new']);
  });

  it('gives nothing for a run without tasks', () => {
    expect(runAgentsNeedingInput(run('r', []))).toEqual([]);
  });
});
