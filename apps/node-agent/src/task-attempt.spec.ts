import { type TaskDispatched, decode, encode } from '@shoal/protocol';
import { exitReason, startFailure } from './task-attempt.js';

describe('exitReason', () => {
  it('tells a signal, a code, a lost status and an unknown one apart', () => {
    expect(exitReason({ exitCode: null, signal: 'SIGKILL' })).toBe('killed by SIGKILL');
    expect(exitReason({ exitCode: 3 })).toBe('exited with code 3');
    expect(exitReason({ exitCode: null, lost: true })).toMatch(/^exit status lost/);
    expect(exitReason({ exitCode: null })).toMatch(/^exit status unknown/);
  });
});

describe('startFailure', () => {
  const task = { runId: 'r-1', taskId: 'build', attempt: 2 } as TaskDispatched;

  it('is a valid failed report of that attempt, saying why, with its reason bounded', () => {
    const report = startFailure(task, 'node-a', 'cwd /x is not accessible', 1234);
    const decoded = decode('status', encode('status', report));
    expect(decoded.ok && decoded.value).toEqual({
      v: 1,
      kind: 'task.finished',
      runId: 'r-1',
      taskId: 'build',
      attempt: 2,
      nodeId: 'node-a',
      outcome: 'failed',
      exitCode: null,
      reason: 'could not start: cwd /x is not accessible',
      finishedAt: 1234,
      outputTail: '',
    });
    expect(startFailure(task, 'node-a', 'x'.repeat(5000), 1).reason).toHaveLength(2000);
  });
});
