import { decodeWaitStatus, zombieExitFromStat } from './zombie-exit.js';
import { exitFrom, signalName } from './formats.js';

describe('wait status decoding', () => {
  it('decodes exit codes and signals', () => {
    expect(decodeWaitStatus(0)).toEqual({ exitCode: 0 });
    expect(decodeWaitStatus(3 << 8)).toEqual({ exitCode: 3 });
    expect(decodeWaitStatus(9)).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(decodeWaitStatus(0x7f | (19 << 8))).toBeUndefined();
  });

  it('reads the exit status of a zombie from /proc/<pid>/stat, and nothing from a live process', () => {
    const tail = Array.from({ length: 48 }, (_, i) => String(i)).join(' ');
    expect(zombieExitFromStat(`123 (sle ep) x) Z ${tail} 9\n`)).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(zombieExitFromStat(`123 (sleep) Z ${tail} 768`)).toEqual({ exitCode: 3 });
    expect(zombieExitFromStat(`123 (sleep) S ${tail} 0`)).toBeUndefined();
  });
});

describe('tmux exit fields', () => {
  it('maps pane_dead_status / pane_dead_signal', () => {
    expect(exitFrom('0', '')).toEqual({ exitCode: 0 });
    expect(exitFrom('', '15')).toEqual({ exitCode: null, signal: 'SIGTERM' });
    expect(exitFrom('', '')).toEqual({ exitCode: null });
    expect(signalName('2')).toBe('SIGINT');
  });
});
