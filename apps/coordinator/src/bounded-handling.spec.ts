import { handleBounded } from './bounded-handling';

/** An async source of `n` numbers, pushed as the test says. */
function source<T>() {
  const items: T[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  return {
    push(x: T) {
      items.push(x);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (items.length) yield items.shift()!;
        else if (ended) return;
        else await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
const tick = () => new Promise((r) => setImmediate(r));

describe('handleBounded', () => {
  it('starts handlers in arrival order, at most `limit` unsettled, and a settled one frees its slot', async () => {
    const src = source<number>();
    const started: number[] = [];
    const gates = new Map<number, ReturnType<typeof deferred>>();
    const done = handleBounded(src, 2, (x) => {
      started.push(x);
      const d = deferred();
      gates.set(x, d);
      return d.promise;
    });
    for (const x of [1, 2, 3, 4]) src.push(x);
    await tick();
    expect(started).toEqual([1, 2]);
    gates.get(2)!.resolve();
    await tick();
    expect(started).toEqual([1, 2, 3]);
    gates.get(1)!.reject(new Error('handled elsewhere')); // a rejection frees the slot too
    await tick();
    expect(started).toEqual([1, 2, 3, 4]);
    src.end();
    let finished = false;
    void done.then(() => (finished = true));
    await tick();
    expect(finished).toBe(false); // 3 and 4 still run
    gates.get(3)!.resolve();
    gates.get(4)!.resolve();
    await done;
  });

  it('with limit 1 handles one item at a time', async () => {
    const src = source<number>();
    const log: string[] = [];
    for (const x of [1, 2, 3]) src.push(x);
    src.end();
    await handleBounded(src, 1, async (x) => {
      log.push(`start ${x}`);
      await tick();
      log.push(`end ${x}`);
    });
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });
});
