import { ExitWatcher } from './exit-watcher.js';
import type { PaneExit } from './types.js';

/** A fake tmux answering list-panes from a table we edit; the clock is ours too. */
function setup(readZombie: (pid: number) => Promise<PaneExit | undefined> = async () => undefined) {
  const panes = new Map<string, string>();
  let now = 0;
  const reported: Array<[string, PaneExit]> = [];
  const run = async () => [...panes.entries()].map(([id, rest]) => `${id}\t${rest}`);
  const watcher = new ExitWatcher(run, 60_000, (p, e) => reported.push([p, e]), undefined, () => now, 250, readZombie);
  const settle = () => new Promise((r) => setImmediate(r));
  return { panes, watcher, reported, settle, tick: (ms: number) => (now += ms) };
}

describe('ExitWatcher', () => {
  it('resolves a waiter when its pane is dead with a status, and reports it once', async () => {
    const { panes, watcher, reported, settle } = setup();
    panes.set('%1', '10\t0\t\t');
    const exit = watcher.wait('%1');
    await settle();
    panes.set('%1', '10\t1\t3\t');
    watcher.poke();
    await expect(exit).resolves.toEqual({ exitCode: 3 });
    watcher.poke();
    await settle();
    expect(reported).toEqual([['%1', { exitCode: 3 }]]);
    watcher.dispose();
  });

  it('reports a signal and a vanished pane', async () => {
    const { panes, watcher } = setup();
    panes.set('%2', '11\t1\t\t9');
    await expect(watcher.wait('%2')).resolves.toEqual({ exitCode: null, signal: 'SIGKILL' });
    await expect(watcher.wait('%7')).resolves.toEqual({ exitCode: null, lost: true });
    watcher.dispose();
  });

  it('reads the status of an unreaped zombie from /proc at once', async () => {
    const asked: number[] = [];
    const { panes, watcher } = setup(async (pid) => (asked.push(pid), { exitCode: null, signal: 'SIGTERM' }));
    panes.set('%3', '12\t1\t\t');
    await expect(watcher.wait('%3')).resolves.toEqual({ exitCode: null, signal: 'SIGTERM' });
    expect(asked).toEqual([12]);
    watcher.dispose();
  });

  it('without a zombie, waits out the reap grace before calling the status unknown', async () => {
    const { panes, watcher, settle, tick } = setup();
    panes.set('%5', '14\t1\t\t');
    let done: PaneExit | undefined;
    void watcher.wait('%5').then((e) => (done = e));
    await settle();
    tick(100);
    watcher.poke();
    await settle();
    expect(done).toBeUndefined();
    tick(200);
    watcher.poke();
    await settle();
    await settle();
    expect(done).toEqual({ exitCode: null });
    watcher.dispose();
  });

  it('does not call a pane lost when its wait began while a listing taken before it was in flight', async () => {
    const panes = new Map<string, string>();
    let release!: () => void;
    let calls = 0;
    const run = async () => {
      const snapshot = [...panes.entries()].map(([id, rest]) => `${id}\t${rest}`);
      if (++calls === 1) await new Promise<void>((r) => (release = r));
      return snapshot;
    };
    const watcher = new ExitWatcher(run, 60_000, () => undefined, undefined, () => 0, 250, async () => undefined);
    const settle = () => new Promise((r) => setImmediate(r));
    watcher.poke();
    await settle();
    panes.set('%9', '20\t1\t0\t');
    let done: PaneExit | undefined;
    void watcher.wait('%9').then((e) => (done = e));
    release();
    await settle();
    await settle();
    expect(done).toEqual({ exitCode: 0 });
    watcher.dispose();
  });

  it('resolves every waiter as lost when the server is gone', async () => {
    const { panes, watcher } = setup();
    panes.set('%4', '13\t0\t\t');
    const a = watcher.wait('%4');
    const b = watcher.wait('%4');
    watcher.serverGone();
    await expect(Promise.all([a, b])).resolves.toEqual([
      { exitCode: null, lost: true },
      { exitCode: null, lost: true },
    ]);
    expect(watcher.waiting).toBe(0);
    watcher.dispose();
  });
});
