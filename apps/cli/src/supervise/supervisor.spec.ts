import { EventEmitter } from 'node:events';
import type { ExitStatus, Managed } from '../processes.js';
import { Supervisor } from './supervisor.js';

/** A stand-in child: exits when told to, or when stopped. */
class FakeChild {
  private end!: (e: ExitStatus) => void;
  readonly ended = new Promise<ExitStatus>((resolve) => (this.end = resolve));
  readonly lines: string[] = ['booting', 'boom: out of luck'];
  readonly child = Object.assign(new EventEmitter(), { pid: 4242 });
  stopped = false;
  crash(e: ExitStatus = { code: 1, signal: null }) {
    this.end(e);
  }
  async stop() {
    this.stopped = true;
    this.end({ code: 0, signal: null });
  }
}

const policy = { baseMs: 5, maxMs: 50, maxFailures: 3, windowMs: 60_000 };
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('Supervisor', () => {
  it('reports an unexpected exit, restarts the child after the backoff, and gives up after too many failures', async () => {
    const said: string[] = [];
    const started: FakeChild[] = [];
    const sup = new Supervisor((l) => said.push(l), policy);
    const startOne = () => {
      const c = new FakeChild();
      started.push(c);
      return c as unknown as Managed;
    };
    sup.launch({ name: 'node-agent', start: startOne });
    sup.supervise('node-agent');
    started[0]!.crash({ code: null, signal: 'SIGKILL' });
    await tick();
    expect(said[0]).toBe('node-agent exited (signal SIGKILL); restarting in 5 ms (restart 1)');
    expect(started).toHaveLength(2);
    expect(sup.current('node-agent')).toBe(started[1]);
    started[1]!.crash();
    await tick();
    expect(said.join('\n')).toContain('node-agent exited (code 1); restarting in 10 ms (restart 2); its last output:\n    booting\n    boom: out of luck');
    expect(started).toHaveLength(3);
    started[2]!.crash();
    await expect(sup.gaveUp).resolves.toBe('node-agent');
    expect(said.at(-1)).toMatch(/^node-agent exited \(code 1\); it failed 3 times within 1 min: giving up/);
    expect(started).toHaveLength(3);
  });

  it('restarts nothing once stopping: children are stopped last started first, a pending restart is cancelled', async () => {
    const order: string[] = [];
    const sup = new Supervisor(() => undefined, { ...policy, baseMs: 10_000 });
    const children = new Map<string, FakeChild[]>();
    for (const name of ['nats-server', 'coordinator', 'node-agent']) {
      sup.launch({
        name,
        start: () => {
          const c = new FakeChild();
          const stop = c.stop.bind(c);
          c.stop = async () => (order.push(name), stop());
          children.set(name, [...(children.get(name) ?? []), c]);
          return c as unknown as Managed;
        },
      });
      sup.supervise(name);
    }
    children.get('coordinator')![0]!.crash();
    await tick(5);
    await sup.stopAll();
    await tick(20);
    expect(order).toEqual(['node-agent', 'coordinator', 'nats-server']);
    expect(children.get('coordinator')).toHaveLength(1);
    expect(() => sup.launch({ name: 'late', start: () => new FakeChild() as unknown as Managed })).toThrow(/stopped while starting/);
  });
});

describe('Supervisor and hopeless exits', () => {
  it('does not restart a child whose exit says restarting cannot help', async () => {
    const said: string[] = [];
    const sup = new Supervisor((l) => said.push(l), policy);
    let starts = 0;
    const first = new FakeChild();
    first.lines.push("NATS does not accept this node's credentials");
    sup.launch({
      name: 'node-agent',
      start: () => (starts++, first as unknown as Managed),
      hopeless: (p) => (p.lines.some((l) => /does not accept/.test(l)) ? 'the node was removed' : undefined),
    });
    sup.supervise('node-agent');
    first.crash();
    await expect(sup.gaveUp).resolves.toBe('node-agent');
    expect(said).toEqual(['node-agent exited (code 1): the node was removed; not restarting it']);
    expect(starts).toBe(1);
  });
});

describe('Supervisor and optional children', () => {
  it('leaves the others running when an optional child exits hopelessly', async () => {
    const said: string[] = [];
    const sup = new Supervisor((l) => said.push(l), policy);
    const child = new FakeChild();
    sup.launch({ name: 'node-agent', start: () => child as unknown as Managed, hopeless: () => 'removed', optional: true });
    sup.supervise('node-agent');
    child.crash();
    const gaveUp = await Promise.race([sup.gaveUp, tick(50).then(() => 'still running')]);
    expect(gaveUp).toBe('still running');
    expect(said).toEqual(['node-agent exited (code 1): removed; not restarting it']);
  });
});
