import type { RunEvent, RunView } from '@shoal/protocol';
import { type ApiClient, ApiError } from '../api-client.js';
import { followRun } from './follow.js';

type Item = { event: string; data: RunView | RunEvent };

const view = (state: RunView['state'], task: Partial<RunView['tasks'][number]> = {}): RunView => ({
  id: 'r',
  plan: 'p',
  state,
  submittedAt: 0,
  phases: [{ id: 'p1', state: state === 'succeeded' ? 'succeeded' : 'running', dependsOn: [], startedAt: 0, ...(state === 'succeeded' ? { finishedAt: 30 } : {}) }],
  tasks: [{ id: 'a', phaseId: 'p1', team: 't', role: 'r', state: 'queued', attempt: 1, maxAttempts: 1, ...task }],
});

/** An API whose event stream answers each connection from the next script (a script that throws drops the stream). */
function fakeApi(connections: (Item[] | Error)[]): { api: ApiClient; opened: () => number } {
  let n = 0;
  const api = {
    async *follow(): AsyncGenerator<Item> {
      const c = connections[n++];
      if (!c) throw new Error('no more connections');
      if (c instanceof Error) throw c;
      for (const item of c) yield item;
    },
  } as unknown as ApiClient;
  return { api, opened: () => n };
}

describe('followRun', () => {
  it('reopens a stream that dropped before the run ended; what happened meanwhile is replayed from the new snapshot', async () => {
    const { api, opened } = fakeApi([
      [{ event: 'snapshot', data: view('running') }],
      new Error('ECONNRESET'),
      [
        { event: 'snapshot', data: view('succeeded', { state: 'succeeded', nodeId: 'n1', startedAt: 10, finishedAt: 20, exitCode: 0 }) },
      ],
    ]);
    let out = '';
    const last = await followRun(api, view('pending'), { mode: 'plain', write: (s) => (out += s) });
    expect(opened()).toBe(3);
    expect(last.state).toBe('succeeded');
    expect(out).toMatch(/task a#1 running on n1\n.*task a#1 succeeded on n1 exit 0\n(.*\n)*.*run succeeded/);
    expect(out.match(/task a#1 running/g)).toHaveLength(1);
  });

  it('gives up at once on an answer that will not change (no such run)', async () => {
    const { api, opened } = fakeApi([new ApiError(404, { message: 'no run r' }), []]);
    await expect(followRun(api, view('pending'), { mode: 'json', write: () => undefined })).rejects.toThrow('no run r');
    expect(opened()).toBe(1);
  });

  it('with --json writes one JSON event per line', async () => {
    const started: RunEvent = { type: 'task', runId: 'r', taskId: 'a', phaseId: 'p1', state: 'running', attempt: 1, nodeId: 'n1', at: 5 };
    const { api } = fakeApi([[{ event: 'snapshot', data: view('running') }, { event: 'task', data: started }, { event: 'run', data: { type: 'run', runId: 'r', state: 'succeeded', at: 9 } }]]);
    let out = '';
    await followRun(api, view('pending'), { mode: 'json', write: (s) => (out += s) });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
    expect(lines).toContainEqual(started);
    expect(lines.at(-1)).toEqual({ type: 'run', runId: 'r', state: 'succeeded', at: 9 });
  });
});
