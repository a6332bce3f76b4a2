import { afterExit, hardMemoryMb } from './restart-policy.js';

const base = { verdict: null, stoppedOnPurpose: false, restartRequested: false, policy: 'fail' as const, memoryRestartsDone: 0, maxMemoryRestarts: 3 };

describe('afterExit', () => {
  it('finishes a normal exit, a purposeful stop, and a memory kill under fail or notify', () => {
    expect(afterExit(base)).toEqual({ action: 'finish' });
    expect(afterExit({ ...base, verdict: 'memory-limit-exceeded' })).toEqual({ action: 'finish' });
    expect(afterExit({ ...base, verdict: 'memory-limit-exceeded', policy: 'notify' })).toEqual({ action: 'finish' });
    expect(afterExit({ ...base, stoppedOnPurpose: true, restartRequested: 'periodic restart', verdict: 'memory-limit-exceeded', policy: 'restart' })).toEqual({ action: 'finish' });
  });

  it('restarts a memory kill under restart up to N times', () => {
    const r = { ...base, verdict: 'memory-limit-exceeded' as const, policy: 'restart' as const };
    expect(afterExit(r)).toEqual({ action: 'restart', reason: 'memory limit exceeded: restarting (1/3)', countsAsMemoryRestart: true });
    expect(afterExit({ ...r, memoryRestartsDone: 2 })).toMatchObject({ action: 'restart', reason: expect.stringContaining('(3/3)') });
    expect(afterExit({ ...r, memoryRestartsDone: 3 })).toEqual({ action: 'finish' });
    expect(afterExit({ ...r, maxMemoryRestarts: 0 })).toEqual({ action: 'finish' });
  });

  it('restarts after a periodic restart without counting it against memory restarts', () => {
    expect(afterExit({ ...base, restartRequested: 'periodic restart (every 60000 ms)' })).toEqual({ action: 'restart', reason: 'periodic restart (every 60000 ms)', countsAsMemoryRestart: false });
  });
});

describe('hardMemoryMb', () => {
  it('is the budget, or twice it under notify', () => {
    expect(hardMemoryMb(256, 'fail')).toBe(256);
    expect(hardMemoryMb(256, 'restart')).toBe(256);
    expect(hardMemoryMb(256, 'notify')).toBe(512);
  });
});
