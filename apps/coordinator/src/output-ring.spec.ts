import { OutputRing } from './output-ring.js';

describe('OutputRing', () => {
  it('keeps the tail of the latest attempt, bounded per task', () => {
    const ring = OutputRing.withLimits({ bytesPerTask: 10, tasks: 5 });
    ring.push({ runId: 'r', taskId: 't', attempt: 1, text: 'hello ' }, 1);
    ring.push({ runId: 'r', taskId: 't', attempt: 1, text: 'world!' }, 2);
    expect(ring.get('r', 't')).toEqual({ attempt: 1, text: 'lo world!'.padStart(10, 'l'), truncated: true, updatedAt: 2 });
    ring.push({ runId: 'r', taskId: 't', attempt: 2, text: 'new' }, 3);
    expect(ring.get('r', 't')).toEqual({ attempt: 2, text: 'new', truncated: false, updatedAt: 3 });
    ring.push({ runId: 'r', taskId: 't', attempt: 1, text: 'stale' }, 4);
    expect(ring.get('r', 't')!.text).toBe('new');
  });

  it('forgets the least recently written task beyond its task bound', () => {
    const ring = OutputRing.withLimits({ bytesPerTask: 10, tasks: 2 });
    ring.push({ runId: 'r', taskId: 'a', attempt: 1, text: 'a' });
    ring.push({ runId: 'r', taskId: 'b', attempt: 1, text: 'b' });
    ring.push({ runId: 'r', taskId: 'a', attempt: 1, text: 'a' });
    ring.push({ runId: 'r', taskId: 'c', attempt: 1, text: 'c' });
    expect(ring.get('r', 'b')).toBeUndefined();
    expect(ring.get('r', 'a')!.text).toBe('aa');
    expect(ring.get('r', 'c')!.text).toBe('c');
  });
});
