import type { Placer } from '@shoal/scheduler';
import type { RunTable } from './run-table.js';
import { WAITING_REASONS_PER_TURN, WaitingReasons } from './waiting-reasons.js';

/** A placer with `n` queued tasks of run r1 and a table whose engine records the reasons written. */
function fixture(n: number) {
  const written = new Map<string, string>();
  const placer = { depth: () => n, waitingReasons: () => Array.from({ length: n }, (_, i) => ({ key: `r1/t${i}`, reason: `why ${i}` })) } as unknown as Placer;
  const run = { view: {}, engine: { waiting: (_v: unknown, taskId: string, reason: string) => written.set(taskId, reason) } };
  const table = { get: (id: string) => (id === 'r1' ? run : undefined) } as unknown as RunTable;
  return { written, reasons: new WaitingReasons(placer, table) };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WaitingReasons', () => {
  it('writes a deep queue one turn at a time: the first share at once, every reason within a few turns', async () => {
    const n = WAITING_REASONS_PER_TURN * 2 + 5;
    const { written, reasons } = fixture(n);
    reasons.note();
    expect(written.size).toBe(WAITING_REASONS_PER_TURN);
    await nextTurn();
    expect(written.size).toBe(WAITING_REASONS_PER_TURN * 2);
    await nextTurn();
    expect(written.size).toBe(n);
    expect(written.get(`t${n - 1}`)).toBe(`why ${n - 1}`);
    reasons.stop();
  });

  it('a short queue is written whole at once', () => {
    const { written, reasons } = fixture(3);
    reasons.note();
    expect([...written]).toEqual([['t0', 'why 0'], ['t1', 'why 1'], ['t2', 'why 2']]);
    reasons.stop();
  });

  it('stop() drops the rest of a list being written', async () => {
    const { written, reasons } = fixture(WAITING_REASONS_PER_TURN + 1);
    reasons.note();
    reasons.stop();
    await nextTurn();
    await nextTurn();
    expect(written.size).toBe(WAITING_REASONS_PER_TURN);
  });
});
