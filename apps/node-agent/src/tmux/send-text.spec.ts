import { verificationNeedle } from './send-text.js';
import { KeyedLock } from './keyed-lock.js';

describe('verificationNeedle', () => {
  it('keeps the printable tail with whitespace collapsed', () => {
    expect(verificationNeedle('  hello   world  ')).toBe('hello world');
    expect(verificationNeedle('\x1bq')).toBe('q');
    expect(verificationNeedle('\t\r')).toBe('');
    expect(verificationNeedle('x'.repeat(50) + 'END')).toBe('x'.repeat(29) + 'END');
  });
});

describe('KeyedLock', () => {
  it('runs sections with the same key one at a time, in order, even after a failure', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = lock.run('s', async () => {
      log.push('a-start');
      await gate;
      log.push('a-end');
      throw new Error('a failed');
    });
    const b = lock.run('s', async () => void log.push('b'));
    const other = lock.run('t', async () => void log.push('other'));
    await other;
    expect(log).toEqual(['a-start', 'other']);
    release();
    await expect(a).rejects.toThrow('a failed');
    await b;
    expect(log).toEqual(['a-start', 'other', 'a-end', 'b']);
  });
});
