import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_PRESETS, type TaskDispatched } from '@shoal/protocol';
import { AGENT_POLICY_DEFAULTS, MAX_STALL_RESTARTS, MIN_WAITING_CHECKIN_GAP_MS, type PolicyMemo, decideAgentAction, policiesOf } from './agent-policy.js';
import { AgentPolicyRunner } from './agent-policy-runner.js';
import { AgentStates, type WatchedAttempt } from './agent-states.js';
import { PRESETS } from '../presets/index.js';

/** One pulse, long enough for a claude screen to count as stable. */
const PULSE = PRESETS.claude.stableMs + 500;

const T0 = 1_000_000;
const change = (from: string, to: string, now = T0 + 600_000, unchangedSince = T0) => ({ from, to, now, unchangedSince }) as Parameters<typeof decideAgentAction>[1];
const memo = (): PolicyMemo => ({ stallRestarts: 0 });

describe('agent policies: defaults', () => {
  it('has defaults for every preset, and a task without a preset reads the shell defaults', () => {
    expect(Object.keys(AGENT_POLICY_DEFAULTS).sort()).toEqual([...AGENT_PRESETS].sort());
    expect(policiesOf({})).toEqual(AGENT_POLICY_DEFAULTS.shell);
  });
  it('takes the task policy over the preset default', () => {
    expect(policiesOf({ agent: 'claude', onStall: 'restart' })).toEqual({ onStall: 'restart', onWaiting: AGENT_POLICY_DEFAULTS.claude.onWaiting });
    expect(policiesOf({ agent: 'codex', onWaiting: 'checkin' })).toEqual({ onStall: AGENT_POLICY_DEFAULTS.codex.onStall, onWaiting: 'checkin' });
  });
});

describe('agent policies: on_stall', () => {
  it('notify names how long the screen stood still', () => {
    const a = decideAgentAction({ onStall: 'notify', onWaiting: 'notify' }, change('working', 'stalled'), memo());
    expect(a).toEqual({ kind: 'notify', text: 'agent stalled: no screen change for 10 min while working (on_stall: notify)' });
  });
  it('fail ends the attempt with the reason', () => {
    const a = decideAgentAction({ onStall: 'fail', onWaiting: 'notify' }, change('working', 'stalled', T0 + 45_000), memo());
    expect(a).toEqual({ kind: 'fail', reason: 'agent stalled: no screen change for 45 s while working (on_stall: fail)' });
  });
  it(`restart restarts at most ${MAX_STALL_RESTARTS} times per attempt, then fails`, () => {
    const m = memo();
    const p = { onStall: 'restart', onWaiting: 'notify' } as const;
    const kinds = Array.from({ length: MAX_STALL_RESTARTS + 2 }, () => decideAgentAction(p, change('working', 'stalled'), m).kind);
    expect(kinds).toEqual([...Array(MAX_STALL_RESTARTS).fill('restart'), 'fail', 'fail']);
    expect(m.stallRestarts).toBe(MAX_STALL_RESTARTS);
  });
  it('does nothing when the state did not change or is not a stall', () => {
    const p = { onStall: 'fail', onWaiting: 'checkin' } as const;
    for (const [from, to] of [['stalled', 'stalled'], ['starting', 'working'], ['working', 'error'], ['working', 'menu'], ['starting', 'waiting-for-input'], ['menu', 'waiting-for-input']]) {
      expect(decideAgentAction(p, change(from!, to!), memo())).toEqual({ kind: 'none' });
    }
  });
});

describe('agent policies: on_waiting', () => {
  it('notify when a turn ends (working or stalled back at the prompt)', () => {
    for (const from of ['working', 'stalled']) expect(decideAgentAction({ onStall: 'notify', onWaiting: 'notify' }, change(from, 'waiting-for-input'), memo()).kind).toBe('notify');
  });
  it('checkin at most once per gap: the reply to a check-in ends a turn too', () => {
    const p = { onStall: 'notify', onWaiting: 'checkin' } as const;
    const m = memo();
    expect(decideAgentAction(p, change('working', 'waiting-for-input', T0), m).kind).toBe('checkin');
    expect(decideAgentAction(p, change('working', 'waiting-for-input', T0 + MIN_WAITING_CHECKIN_GAP_MS - 1), m).kind).toBe('none');
    expect(decideAgentAction(p, change('working', 'waiting-for-input', T0 + MIN_WAITING_CHECKIN_GAP_MS), m).kind).toBe('checkin');
  });
  it('never sends into a menu', () => {
    expect(decideAgentAction({ onStall: 'notify', onWaiting: 'checkin' }, change('working', 'menu'), memo())).toEqual({ kind: 'none' });
  });
});

const FIXTURES = join(process.cwd(), 'apps/node-agent/src/presets/fixtures');
/** The first captured screen of a preset whose file name starts with `prefix` (fixtures are named `<state>-<variant>.txt`). */
function screen(preset: string, prefix: string): string {
  const file = readdirSync(join(FIXTURES, preset)).filter((f) => f.startsWith(prefix) && f.endsWith('.txt')).sort()[0];
  if (!file) throw new Error(`no ${prefix}* fixture for ${preset}`);
  return readFileSync(join(FIXTURES, preset, file), 'utf8').replace(/\s+$/, '');
}

describe('AgentStates + AgentPolicyRunner on a fake clock', () => {
  function rig(task: Partial<TaskDispatched>) {
    let t = T0;
    let shown = '';
    const actions: string[] = [];
    const runner = new AgentPolicyRunner({
      notify: (_a, text) => void actions.push(`notify: ${text}`),
      restart: async (_a, reason) => void actions.push(`restart: ${reason}`),
      fail: async (_a, reason) => void actions.push(`fail: ${reason}`),
      checkin: async (_a, reason) => void actions.push(`checkin: ${reason}`),
      warn: (m) => void actions.push(`warn: ${m}`),
    });
    const pending: Promise<unknown>[] = [];
    const states = new AgentStates({ now: () => t, capture: async () => shown, stallMs: 30_000, onChange: (a, c) => void pending.push(runner.onChange(a, c)) });
    const a: WatchedAttempt = { key: 'r1/t1', paneId: '%1', state: 'running', task: { runId: 'r1', taskId: 't1', attempt: 1, agent: 'claude', ...task } as TaskDispatched };
    const look = async (s: string, advanceMs: number) => {
      shown = s;
      t += advanceMs;
      await states.refresh([a]);
      await Promise.all(pending);
      return states.of(a.key)?.state;
    };
    return { look, actions };
  }

  it('a working screen that never changes becomes stalled after SHOAL_STALL_MS and on_stall: fail fails it, once', async () => {
    const r = rig({ onStall: 'fail' });
    const working = screen('claude', 'working-');
    expect(await r.look(working, 0)).toBe('starting');
    expect(await r.look(working, PULSE)).toBe('working');
    expect(await r.look(working, 20_000)).toBe('working');
    expect(r.actions).toEqual([]);
    expect(await r.look(working, 10_000)).toBe('stalled');
    expect(await r.look(working, PULSE)).toBe('stalled');
    expect(r.actions).toHaveLength(1);
    expect(r.actions[0]).toMatch(/^fail: agent stalled: no screen change for \d+ s while working \(on_stall: fail\)$/);
  });

  it('on_waiting: checkin asks for a check-in when the turn ends', async () => {
    const r = rig({ onWaiting: 'checkin' });
    await r.look(screen('claude', 'working-'), 0);
    expect(await r.look(screen('claude', 'working-'), PULSE)).toBe('working');
    await r.look(screen('claude', 'waiting-'), PULSE);
    expect(await r.look(screen('claude', 'waiting-'), PULSE)).toBe('waiting-for-input');
    expect(r.actions).toEqual(['checkin: agent finished its turn (on_waiting: checkin)']);
  });
});
