import type { AgentStateName } from '@shoal/protocol';
import { type IdleMemo, decideDoneWhenIdle, doneReason } from './done-when.js';

const IDLE = 5000;
const SENT = 100_000;
const memo = (promptSentAt: number | undefined = SENT): IdleMemo => ({ promptSentAt, sawWorking: false });
const look = (state: AgentStateName, since: number, now: number, screenChangedAt = since) => ({ status: { state, since }, screenChangedAt, now });

describe('done_when: idle decision', () => {
  it('working, then back at the prompt: not done before the idle time, done from it on', () => {
    const m = memo();
    expect(decideDoneWhenIdle(m, look('working', SENT + 1000, SENT + 3000), IDLE)).toEqual({ done: false, why: 'the agent is working' });
    expect(m.sawWorking).toBe(true);
    const back = SENT + 6000;
    expect(decideDoneWhenIdle(m, look('waiting-for-input', back, back + IDLE - 1), IDLE)).toEqual({ done: false, why: `at its prompt for ${IDLE - 1} ms of ${IDLE}` });
    expect(decideDoneWhenIdle(m, look('waiting-for-input', back, back + IDLE), IDLE)).toEqual({ done: true, idleForMs: IDLE, reason: 'done: agent idle at its prompt for 5 s after its turn' });
    expect(decideDoneWhenIdle(m, look('waiting-for-input', back, back + 12_400), IDLE)).toMatchObject({ done: true, reason: doneReason(12_400) });
    expect(doneReason(12_400)).toBe('done: agent idle at its prompt for 12 s after its turn');
  });

  it('a menu or an error never counts as idle, however long it stays', () => {
    for (const state of ['menu', 'error', 'unknown', 'starting', 'stalled', 'done'] as const) {
      const m = memo();
      m.sawWorking = true;
      expect(decideDoneWhenIdle(m, look(state, SENT + 1000, SENT + 3_600_000), IDLE)).toEqual({ done: false, why: `the agent is ${state}` });
    }
  });

  it('never before the first prompt was sent, nor before any state was observed', () => {
    const m: IdleMemo = { sawWorking: true };
    expect(decideDoneWhenIdle(m, look('waiting-for-input', 0, 3_600_000, 0), IDLE)).toEqual({ done: false, why: 'the first prompt was not sent yet' });
    expect(decideDoneWhenIdle(memo(), { now: SENT + 60_000 }, IDLE)).toEqual({ done: false, why: 'no agent state observed yet' });
  });

  it('an agent that never started work (no working seen, nothing changed since the prompt) does not end', () => {
    const m = memo();
    const d = decideDoneWhenIdle(m, look('waiting-for-input', SENT - 5000, SENT + 3_600_000, SENT - 5000), IDLE);
    expect(d).toEqual({ done: false, why: 'the agent has not answered its prompt yet (no work seen, no change since the prompt)' });
  });

  it('a turn too short to be seen working counts once the screen changed after the prompt; idle counts from that change', () => {
    const m = memo();
    const changed = SENT + 800;
    expect(decideDoneWhenIdle(m, look('waiting-for-input', SENT - 5000, changed + IDLE - 1, changed), IDLE)).toMatchObject({ done: false });
    expect(decideDoneWhenIdle(m, look('waiting-for-input', SENT - 5000, changed + IDLE, changed), IDLE)).toMatchObject({ done: true, idleForMs: IDLE });
    expect(m.sawWorking).toBe(false);
  });

  it('a state change after the prompt counts as an answer too (working seen by the pulse only before the prompt)', () => {
    const m = memo();
    // the pulse still said working from before the prompt: not this turn's work
    decideDoneWhenIdle(m, look('working', SENT - 2000, SENT + 500, SENT - 2000), IDLE);
    expect(m.sawWorking).toBe(false);
    // then waiting since after the prompt: the state changed, the turn was answered
    expect(decideDoneWhenIdle(m, look('waiting-for-input', SENT + 2500, SENT + 2500 + IDLE, SENT + 2000), IDLE)).toMatchObject({ done: true });
  });

  it('a screen that changes while at the prompt starts the idle time again', () => {
    const m = memo();
    m.sawWorking = true;
    const back = SENT + 10_000;
    expect(decideDoneWhenIdle(m, look('waiting-for-input', back, back + IDLE + 1000, back + 3000), IDLE)).toEqual({ done: false, why: `at its prompt for ${IDLE - 2000} ms of ${IDLE}` });
    expect(decideDoneWhenIdle(m, look('waiting-for-input', back, back + 3000 + IDLE, back + 3000), IDLE)).toMatchObject({ done: true });
  });
});
