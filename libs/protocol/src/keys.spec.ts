import { attemptKey, batchKey, phaseKey, taskKey } from './keys.js';

describe('key formats', () => {
  it('taskKey is <run>/<task>', () => {
    expect(taskKey('run-1', 'build')).toBe('run-1/build');
    expect(taskKey('', '')).toBe('/');
  });

  it('phaseKey is <run>/<phase>', () => {
    expect(phaseKey('run-2', 'deploy')).toBe('run-2/deploy');
    expect(phaseKey('', '')).toBe('/');
  });

  it('batchKey is <run>/<batch>', () => {
    expect(batchKey('run-3', 'b7')).toBe('run-3/b7');
    expect(batchKey('', '')).toBe('/');
  });

  it('attemptKey is <run>.<task>.<attempt>', () => {
    expect(attemptKey('run-1', 'build', 2)).toBe('run-1.build.2');
    expect(attemptKey('r', 't', 0)).toBe('r.t.0');
    expect(attemptKey('', '', 1)).toBe('..1');
  });

  it('keeps the argument order (run first)', () => {
    expect(taskKey('a', 'b')).not.toBe(taskKey('b', 'a'));
    expect(attemptKey('a', 'b', 3)).not.toBe(attemptKey('b', 'a', 3));
  });
});
