import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskDispatched } from '@shoal/protocol';
import { AgentStates, type WatchedAttempt, stateOfDetection } from './agent-states.js';

const FIXTURES = join(process.cwd(), 'apps/node-agent/src/presets/fixtures');
const screenOf = (preset: string, file: string) => readFileSync(join(FIXTURES, preset, file), 'utf8').replace(/\s+$/, '');

function attempt(over: Partial<TaskDispatched> = {}, state: WatchedAttempt['state'] = 'running', paneId: string | undefined = '%1'): WatchedAttempt {
  const task = { runId: 'r1', taskId: 't1', attempt: 1, team: 'a', role: 'b', command: ['claude'], agent: 'claude', ...over } as TaskDispatched;
  return { key: `${task.runId}/${task.taskId}`, task, paneId, state };
}

function harness() {
  let t = 1_000_000;
  const screens = new Map<string, string>();
  const captures: string[] = [];
  const states = new AgentStates({
    now: () => t,
    capture: async (paneId) => {
      captures.push(paneId);
      const s = screens.get(paneId);
      if (s === undefined) throw new Error(`no pane ${paneId}`);
      return s;
    },
  });
  return { states, screens, captures, advance: (ms: number) => (t += ms), now: () => t };
}

describe('AgentStates', () => {
  it('maps the menu flag to menu', () => {
    expect(stateOfDetection({ state: 'waiting-for-input', menu: true })).toBe('menu');
    expect(stateOfDetection({ state: 'waiting-for-input', menu: false })).toBe('waiting-for-input');
    expect(stateOfDetection({ state: 'working', menu: false })).toBe('working');
  });

  it('reads an interactive agent from its pane: working, then a menu, then its prompt; since moves only on a change', async () => {
    const h = harness();
    const a = attempt();
    h.screens.set('%1', screenOf('claude', 'working-turn.txt'));
    await h.states.refresh([a]);
    expect(h.states.of(a.key)?.state).toBe('starting'); // not stable yet
    h.advance(2000);
    await h.states.refresh([a]);
    expect(h.states.of(a.key)).toEqual({ state: 'working', since: h.now() });
    const workingSince = h.now();
    h.advance(2000);
    await h.states.refresh([a]);
    expect(h.states.of(a.key)).toEqual({ state: 'working', since: workingSince });

    h.screens.set('%1', screenOf('claude', 'menu-trust-folder.txt'));
    await h.states.refresh([a]);
    h.advance(2000);
    await h.states.refresh([a]);
    expect(h.states.of(a.key)?.state).toBe('menu');

    h.screens.set('%1', screenOf('claude', 'waiting-input.txt'));
    await h.states.refresh([a]);
    h.advance(2000);
    await h.states.refresh([a]);
    expect(h.states.of(a.key)).toEqual({ state: 'waiting-for-input', since: h.now() });
    expect(h.captures.every((p) => p === '%1')).toBe(true);
  });

  it('captures nothing for a plain command: starting until it runs, then working', async () => {
    const h = harness();
    const plain = attempt({ agent: undefined, command: ['sleep', '5'] }, 'starting', undefined);
    await h.states.refresh([plain]);
    expect(h.states.of(plain.key)?.state).toBe('starting');
    h.advance(100);
    await h.states.refresh([{ ...plain, state: 'running', paneId: '%7' }]);
    expect(h.states.of(plain.key)).toEqual({ state: 'working', since: h.now() });
    expect(h.captures).toEqual([]);
  });

  it('keeps the last state when a capture fails, and forgets attempts no longer running', async () => {
    const h = harness();
    const a = attempt();
    h.screens.set('%1', screenOf('claude', 'waiting-input.txt'));
    await h.states.refresh([a]);
    h.advance(2000);
    await h.states.refresh([a]);
    expect(h.states.of(a.key)?.state).toBe('waiting-for-input');
    h.screens.delete('%1');
    await h.states.refresh([a]);
    expect(h.states.of(a.key)?.state).toBe('waiting-for-input');
    await h.states.refresh([]);
    expect(h.states.of(a.key)).toBeUndefined();
  });

  it('starts over for a new attempt of the same task, and answers only for the attempt asked', async () => {
    const h = harness();
    h.screens.set('%1', screenOf('claude', 'waiting-input.txt'));
    await h.states.refresh([attempt()]);
    h.advance(2000);
    await h.states.refresh([attempt()]);
    expect(h.states.of('r1/t1', 1)?.state).toBe('waiting-for-input');
    await h.states.refresh([attempt({ attempt: 2 }, 'starting', undefined)]);
    expect(h.states.of('r1/t1', 1)).toBeUndefined();
    expect(h.states.of('r1/t1', 2)).toEqual({ state: 'starting', since: h.now() });
  });
});
