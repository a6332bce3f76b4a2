import { type ApiTask, type LedgerEntry, type Observation, check, checkI1, checkI2, checkI3, checkI4, convergedAfter, parseLedger } from './checker.js';

const e = (task: string, attempt: number, event: 'start' | 'end', at: number, pid = 100 + attempt, node = 'n1'): LedgerEntry => ({ run: 'r1', task, attempt, node, pid, event, at });
const t = (taskId: string, state: string, attempt = 1, nodeId = 'n1', maxAttempts = 3): ApiTask => ({ runId: 'r1', taskId, state, attempt, maxAttempts, nodeId });
const clean = (over: Partial<Observation> = {}): Observation => ({
  ledger: [e('a', 1, 'start', 1), e('a', 1, 'end', 5)],
  tasks: [t('a', 'succeeded')],
  reported: [],
  panes: [],
  alivePids: [],
  ...over,
});

describe('chaos checker', () => {
  it('passes a clean run', () => {
    const v = check(clean(), { allowRerun: false });
    expect(v.ok).toBe(true);
  });

  describe('I1', () => {
    it('fails a task left in limbo, and a non-succeeded end where the row expects success', () => {
      expect(checkI1([t('a', 'running')], { allowRerun: false }).problems[0]).toMatch(/running, not terminal/);
      expect(checkI1([t('a', 'dispatched')], { allowRerun: false }).ok).toBe(false);
      expect(checkI1([t('a', 'failed')], { allowRerun: false }).problems[0]).toMatch(/expects succeeded/);
      expect(checkI1([t('a', 'failed')], { allowRerun: false, allSucceed: false }).ok).toBe(true);
    });
  });

  describe('I2', () => {
    it('fails a second execution of the same attempt (duplicate delivery)', () => {
      const ledger = [e('a', 1, 'start', 1, 10), e('a', 1, 'start', 2, 11), e('a', 1, 'end', 5, 10)];
      expect(checkI2(ledger, [t('a', 'succeeded')], { allowRerun: true }).problems.join()).toMatch(/started 2 times/);
    });

    it('fails completed work that ran again, even where re-runs are allowed', () => {
      const ledger = [e('a', 1, 'start', 1), e('a', 1, 'end', 5), e('a', 2, 'start', 6), e('a', 2, 'end', 9)];
      const p = checkI2(ledger, [t('a', 'succeeded', 2)], { allowRerun: true }).problems.join('\n');
      expect(p).toMatch(/completed work ran again/);
      expect(p).toMatch(/attempt 2 started after attempt 1 had completed/);
    });

    it('excuses a re-run of work that ended while its node-agent was down, only if the re-run started before the agent was back', () => {
      const ledger = [e('a', 1, 'start', 1), e('a', 1, 'end', 5), e('a', 2, 'start', 12, 200, 'n2'), e('a', 2, 'end', 14, 200, 'n2')];
      const tasks = [t('a', 'succeeded', 2, 'n2')];
      expect(checkI2(ledger, tasks, { allowRerun: true, blind: [{ node: 'n1', from: 3, to: 20 }] }).ok).toBe(true);
      const late = checkI2(ledger, tasks, { allowRerun: true, blind: [{ node: 'n1', from: 3, to: 10 }] }).problems.join('\n');
      expect(late).toMatch(/completed work ran again/);
      expect(late).toMatch(/attempt 2 started after attempt 1 had completed/);
      expect(checkI2(ledger, tasks, { allowRerun: true, blind: [{ node: 'n2', from: 3, to: 20 }] }).ok).toBe(false);
      expect(checkI2(ledger, tasks, { allowRerun: true, blind: [{ node: 'n1', from: 6, to: 20 }] }).ok).toBe(false);
    });

    it('allows a re-run of an interrupted attempt only where the row says the node was gone', () => {
      const ledger = [e('a', 1, 'start', 1), e('a', 2, 'start', 6), e('a', 2, 'end', 9)];
      expect(checkI2(ledger, [t('a', 'succeeded', 2)], { allowRerun: true }).ok).toBe(true);
      expect(checkI2(ledger, [t('a', 'succeeded', 2)], { allowRerun: false }).problems.join()).toMatch(/must not be re-run/);
    });

    it('fails attempts above the maximum', () => {
      const ledger = [e('a', 1, 'start', 1), e('a', 2, 'start', 2), e('a', 3, 'start', 3), e('a', 3, 'end', 4)];
      expect(checkI2(ledger, [t('a', 'succeeded', 3, 'n1', 2)], { allowRerun: true }).problems.join()).toMatch(/exceeds the maximum of 2/);
    });

    it('fails a success the API credits to an attempt that never finished its work', () => {
      const ledger = [e('a', 1, 'start', 1), e('a', 1, 'end', 3), e('a', 2, 'start', 2)];
      const p = checkI2(ledger, [t('a', 'succeeded', 2)], { allowRerun: true }).problems.join();
      expect(p).toMatch(/succeeded as attempt 2, but that attempt never finished/);
    });

    it('fails a success without any execution, and an execution of a task the API does not know', () => {
      expect(checkI2([], [t('a', 'succeeded')], { allowRerun: false }).problems.join()).toMatch(/never ran/);
      expect(checkI2([e('zz', 1, 'start', 1)], [], { allowRerun: false }).problems.join()).toMatch(/does not know/);
    });
  });

  describe('I3', () => {
    it('fails a live process of an attempt the API no longer runs, and a second pane of one task', () => {
      const ledger = [e('a', 1, 'start', 1, 10), e('a', 2, 'start', 2, 20, 'n2')];
      const tasks = [t('a', 'running', 2, 'n2')];
      const v = checkI3({ ledger, tasks, alivePids: [10, 20], panes: [] });
      expect(v.problems.join()).toMatch(/orphan process pid 10: r1\/a#1/);
      expect(v.problems.join()).not.toMatch(/pid 20/);
      const panes = [
        { nodeId: 'n2', session: 'Task-chaos', window: 'a', pid: 20 },
        { nodeId: 'n2', session: 'Task-chaos', window: 'a', pid: 21 },
      ];
      expect(checkI3({ ledger: [], tasks, alivePids: [], panes }).problems.join()).toMatch(/2 live pane\(s\) for window n2:a/);
      expect(checkI3({ ledger: [], tasks, alivePids: [], panes: panes.slice(0, 1) }).ok).toBe(true);
    });

    it('after every run finished, any live pane is an orphan; a process that wrote its end is exiting, not orphaned', () => {
      const v = checkI3({ ledger: [e('a', 1, 'start', 1, 10), e('a', 1, 'end', 2, 10)], tasks: [t('a', 'succeeded')], alivePids: [10], panes: [{ nodeId: 'n1', session: 'Task-chaos', window: 'a', pid: 9 }] });
      expect(v.problems).toHaveLength(1);
      expect(v.problems[0]).toMatch(/live pane/);
    });
  });

  describe('I4', () => {
    it('fails when API and nodes disagree on running attempts, tolerating dispatched ones', () => {
      const rep = (taskId: string, attempt = 1, nodeId = 'n1') => ({ runId: 'r1', taskId, attempt, nodeId });
      expect(checkI4([t('a', 'running')], [rep('a')]).ok).toBe(true);
      expect(checkI4([t('a', 'running')], []).problems.join()).toMatch(/no node reports it/);
      expect(checkI4([t('a', 'succeeded')], [rep('a')]).problems.join()).toMatch(/reports r1\/a#1 running; the API does not/);
      expect(checkI4([t('a', 'running', 2)], [rep('a', 1)]).ok).toBe(false);
      expect(checkI4([t('a', 'running', 1, 'n2')], [rep('a', 1, 'n1')]).problems.join()).toMatch(/n1 reports it/);
      expect(checkI4([t('a', 'dispatched')], [rep('a')]).ok).toBe(true);
      expect(checkI4([t('a', 'dispatched')], []).ok).toBe(true);
    });
  });

  it('parses a ledger with a torn last line', () => {
    const text = `${JSON.stringify(e('a', 1, 'start', 1))}\n{"run":"r1","ta`;
    expect(parseLedger(text)).toHaveLength(1);
  });

  it('measures convergence from the first sample of the final stretch that holds', () => {
    expect(convergedAfter([{ at: 10, ok: false }, { at: 12, ok: true }, { at: 14, ok: false }, { at: 16, ok: true }, { at: 18, ok: true }], 10)).toBe(6);
    expect(convergedAfter([{ at: 10, ok: true }, { at: 12, ok: false }], 0)).toBeUndefined();
  });
});
