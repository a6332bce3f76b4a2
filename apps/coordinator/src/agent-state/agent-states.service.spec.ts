import type { Heartbeat, RunEvent, RunView } from '@shoal/protocol';
import { EventBus } from '../event-bus.js';
import type { NodeRegistry } from '../node-registry.js';
import { AgentStates } from './agent-states.service.js';

type Running = Heartbeat['running'];

function setup() {
  const bus = new EventBus();
  const events: RunEvent[] = [];
  bus.on('r1', (e) => events.push(e));
  const nodeStates = new Map<string, string>([
    ['n1', 'alive'],
    ['n2', 'alive'],
  ]);
  const nodes = { get: (id: string) => (nodeStates.has(id) ? { id, state: nodeStates.get(id) } : undefined) } as unknown as NodeRegistry;
  return { states: new AgentStates(bus, nodes), events, nodeStates };
}

const view = (state: 'running' | 'succeeded', attempt = 1): RunView =>
  ({
    id: 'r1',
    plan: 'p',
    state: 'running',
    submittedAt: 1,
    phases: [],
    tasks: [{ id: 't1', phaseId: 'a', team: 'x', role: 'y', state, attempt, maxAttempts: 2 }],
  }) as RunView;

describe('AgentStates (coordinator)', () => {
  it('emits an agent event only when a state changes, and merges the state into a copy of the view', () => {
    const { states, events } = setup();
    const running = (state: 'working' | 'menu', since: number): Running => [{ runId: 'r1', taskId: 't1', attempt: 1, agent: { state, since } }];
    states.heartbeat({ nodeId: 'n1', running: running('working', 100) }, 1000);
    states.heartbeat({ nodeId: 'n1', running: running('working', 100) }, 2000);
    states.heartbeat({ nodeId: 'n1', running: running('menu', 150) }, 3000);
    expect(events).toEqual([
      { type: 'agent', runId: 'r1', taskId: 't1', attempt: 1, state: 'working', since: 100, at: 1000 },
      { type: 'agent', runId: 'r1', taskId: 't1', attempt: 1, state: 'menu', since: 150, at: 3000 },
    ]);
    const stored = view('running');
    const merged = states.merge(stored);
    expect(merged.tasks[0]!.agent).toEqual({ state: 'menu', since: 150 });
    expect(stored.tasks[0]!.agent).toBeUndefined();
  });

  it('merges nothing into a finished task or another attempt, and forgets what a node stops reporting', () => {
    const { states } = setup();
    states.heartbeat({ nodeId: 'n1', running: [{ runId: 'r1', taskId: 't1', attempt: 1, agent: { state: 'working', since: 5 } }] }, 10);
    expect(states.merge(view('succeeded')).tasks[0]!.agent).toBeUndefined();
    expect(states.merge(view('running', 2)).tasks[0]!.agent).toBeUndefined();
    states.heartbeat({ nodeId: 'n1', running: [] }, 20);
    expect(states.of('r1', 't1', 1)).toBeUndefined();
  });

  it('says nothing of an attempt whose node is lost or was removed', () => {
    const { states, nodeStates } = setup();
    states.heartbeat({ nodeId: 'n1', running: [{ runId: 'r1', taskId: 't1', attempt: 1, agent: { state: 'working', since: 5 } }] }, 10);
    nodeStates.set('n1', 'lost');
    expect(states.of('r1', 't1', 1)).toBeUndefined();
    nodeStates.set('n1', 'alive');
    expect(states.of('r1', 't1', 1)).toEqual({ state: 'working', since: 5 });
    nodeStates.delete('n1');
    expect(states.of('r1', 't1', 1)).toBeUndefined();
    nodeStates.set('n1', 'alive');
    expect(states.of('r1', 't1', 1)).toBeUndefined(); // forgotten with the node
  });

  it('ignores a stale report of an older attempt', () => {
    const { states } = setup();
    states.heartbeat({ nodeId: 'n2', running: [{ runId: 'r1', taskId: 't1', attempt: 2, agent: { state: 'working', since: 5 } }] }, 10);
    states.heartbeat({ nodeId: 'n1', running: [{ runId: 'r1', taskId: 't1', attempt: 1, agent: { state: 'error', since: 6 } }] }, 11);
    expect(states.of('r1', 't1', 2)).toEqual({ state: 'working', since: 5 });
  });
});
