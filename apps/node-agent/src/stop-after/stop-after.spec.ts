import { isInteractive, stopAfterReason, stopAfterVictims } from './stop-after.js';

const attempts = [
  { key: 'r/batch', task: {}, state: 'running' },
  { key: 'r/claude', task: { agent: 'claude' as const }, state: 'running' },
  { key: 'r/repl', task: { interactive: true }, state: 'running' },
  { key: 'r/not-interactive', task: { interactive: false }, state: 'running' },
  { key: 'r/stopping', task: {}, state: 'stopping' },
];

describe('stop_after', () => {
  it('stops nothing while the cut is not longer than stop_after', () => {
    expect(stopAfterVictims(0, { stopAfterMs: 60_000, includeInteractive: false }, attempts)).toEqual([]);
    expect(stopAfterVictims(60_000, { stopAfterMs: 60_000, includeInteractive: false }, attempts)).toEqual([]);
  });

  it('then stops the running non-interactive attempts, once (a stopping one is left alone)', () => {
    expect(stopAfterVictims(60_001, { stopAfterMs: 60_000, includeInteractive: false }, attempts)).toEqual(['r/batch', 'r/not-interactive']);
  });

  it('stops interactive agents only when told to', () => {
    expect(stopAfterVictims(90_000, { stopAfterMs: 60_000, includeInteractive: true }, attempts)).toEqual(['r/batch', 'r/claude', 'r/repl', 'r/not-interactive']);
  });

  it('follows the on_node_lost the task was dispatched with: replace after stop_after, wait after its lost_after', () => {
    const withPolicy = [
      { key: 'r/replace', task: { agent: 'claude' as const, onNodeLost: 'replace' as const }, state: 'running' },
      { key: 'r/wait', task: { onNodeLost: 'wait' as const, lostAfterMs: 600_000 }, state: 'running' },
      { key: 'r/wait-short', task: { onNodeLost: 'wait' as const, lostAfterMs: 10_000 }, state: 'running' },
    ];
    const policy = { stopAfterMs: 60_000, includeInteractive: false };
    expect(stopAfterVictims(60_001, policy, withPolicy)).toEqual(['r/replace', 'r/wait-short']);
    expect(stopAfterVictims(600_000, policy, withPolicy)).toEqual(['r/replace', 'r/wait-short']);
    expect(stopAfterVictims(600_001, policy, withPolicy)).toEqual(['r/replace', 'r/wait', 'r/wait-short']);
  });

  it('0 turns it off, however long the cut', () => {
    expect(stopAfterVictims(86_400_000, { stopAfterMs: 0, includeInteractive: true }, attempts)).toEqual([]);
  });

  it('calls an agent preset or interactive: true interactive, and says how long the node was cut off', () => {
    expect(isInteractive({ agent: 'claude' })).toBe(true);
    expect(isInteractive({ interactive: true })).toBe(true);
    expect(isInteractive({})).toBe(false);
    expect(stopAfterReason(61_400)).toBe('node cut off from the bus for 61 s (stop_after)');
  });
});
