import { exitReason } from './task-attempt.js';

describe('exitReason', () => {
  it('tells a signal, a code, a lost status and an unknown one apart', () => {
    expect(exitReason({ exitCode: null, signal: 'SIGKILL' })).toBe('killed by SIGKILL');
    expect(exitReason({ exitCode: 3 })).toBe('exited with code 3');
    expect(exitReason({ exitCode: null, lost: true })).toMatch(/^exit status lost/);
    expect(exitReason({ exitCode: null })).toMatch(/^exit status unknown/);
  });
});
