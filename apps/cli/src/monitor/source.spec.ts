import type { RunEvent } from '@shoal/protocol';
import { type ApiClient, ApiError } from '../api-client.js';
import { MonitorSource } from './source.js';

type Stream = Awaited<ReturnType<ApiClient['stream']>>;

/** A stream that yields `items`, then stays open until closed. */
function openStream(items: { event: string; data: unknown }[]): Stream & { closed: boolean } {
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  const s = {
    closed: false,
    events: (async function* () {
      yield* items;
      await held;
    })(),
    close: () => {
      s.closed = true;
      release();
    },
  };
  return s;
}

const task = (runId: string, taskId: string): RunEvent => ({ type: 'task', runId, taskId, phaseId: 'p', state: 'running', attempt: 1, at: 1 });

function fakeApi(fleet: 'missing' | Stream, runStreams: Record<string, Stream> = {}) {
  const opened: string[] = [];
  const api = {
    base: 'http://api',
    nodes: async () => [],
    runs: async () => [
      { id: 'r1', state: 'running', tasks: 1, submittedAt: 0 },
      { id: 'r2', state: 'succeeded', tasks: 1, submittedAt: 0 },
    ],
    scaling: async () => ({ intervalMs: 5000, queue: { depth: 2, oldestWaitMs: 5, byRun: {} } }),
    stream: async (path: string) => {
      opened.push(path);
      if (path === '/events') {
        if (fleet === 'missing') throw new ApiError(404, { message: 'Cannot GET /events' });
        return fleet;
      }
      const id = /^\/runs\/(.*)\/events$/.exec(path)![1]!;
      return runStreams[id]!;
    },
  } as unknown as ApiClient;
  return { api, opened };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe('MonitorSource', () => {
  it('reads nodes, runs and queue, and keeps the fleet stream events (output left out)', async () => {
    const fleet = openStream([
      { event: 'runs', data: [] },
      { event: 'task', data: task('r1', 'a') },
      { event: 'output', data: { type: 'output', runId: 'r1', taskId: 'a', attempt: 1, text: 'x', at: 2 } },
    ]);
    const { api, opened } = fakeApi(fleet);
    const source = new MonitorSource(api, () => 42);
    const data = await source.refresh();
    expect(data).toMatchObject({ at: 42, queue: { depth: 2 }, streaming: false });
    let changes = 0;
    source.follow(() => (changes += 1));
    await tick();
    expect(opened).toEqual(['/events']);
    expect(source.current.events).toEqual([task('r1', 'a')]);
    expect(source.current.streaming).toBe(true);
    expect(changes).toBeGreaterThan(0);
    source.close();
    expect(fleet.closed).toBe(true);
  });

  it('follows each active run on a coordinator without the fleet stream', async () => {
    const r1 = openStream([
      { event: 'snapshot', data: {} },
      { event: 'task', data: task('r1', 'b') },
    ]);
    const { api, opened } = fakeApi('missing', { r1 });
    const source = new MonitorSource(api);
    await source.refresh();
    source.follow(() => undefined);
    await tick();
    source.follow(() => undefined); // the next refresh learns the fleet stream is missing
    await tick();
    expect(opened).toEqual(['/events', '/runs/r1/events']);
    expect(source.current.events).toEqual([task('r1', 'b')]);
    source.follow(() => undefined);
    await tick();
    expect(opened).toHaveLength(2); // an open run stream is not opened twice
    source.close();
    expect(r1.closed).toBe(true);
  });

  it('keeps the last data and says why when the API cannot be read', async () => {
    const { api } = fakeApi('missing');
    const source = new MonitorSource(api);
    await source.refresh();
    (api as unknown as { nodes: () => Promise<never> }).nodes = async () => {
      throw new Error('cannot reach the Shoal API');
    };
    const data = await source.refresh();
    expect(data.error).toBe('cannot reach the Shoal API');
    expect(data.runs).toHaveLength(2);
  });
});
