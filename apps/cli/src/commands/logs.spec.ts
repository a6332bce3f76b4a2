import type { LogRender, TaskLogReply } from '@shoal/protocol';
import type { ApiClient } from '../api-client.js';
import { Output } from '../output.js';
import { logs } from './emergency.js';

function capture(json: boolean) {
  const out = { stdout: '', stderr: '' };
  const output = new Output(() => json, { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } });
  return { output, out };
}

const RAW = '\u001b[?2004h\u001b[38;5;211mUnable\u001b[9Gto\u001b[12Gconnect\u001b[39m\r\r\n';

/** A fake API answering `taskLogs` like the coordinator: rendered text, or the raw bytes with render=raw. */
function fakeApi() {
  const asked: { nodeFile?: boolean; bytes?: number; render?: LogRender }[] = [];
  const api = {
    taskLogs: (run: string, task: string, o: { nodeFile?: boolean; bytes?: number; render?: LogRender }): Promise<TaskLogReply> => {
      asked.push(o);
      const render = o.render ?? 'text';
      return Promise.resolve({ runId: run, taskId: task, attempt: 1, source: 'node', nodeId: 'n-1', file: '/logs/r.t.1.log', render, text: render === 'raw' ? RAW : 'Unable  to connect' });
    },
  } as unknown as ApiClient;
  return { api, asked };
}

describe('shoal logs: text by default, --raw for the bytes', () => {
  it('--raw reads the node file with render=raw and prints the bytes as recorded', async () => {
    const { api, asked } = fakeApi();
    const text = capture(false);
    expect(await logs(api, 'r', 't', { raw: true }, text.output)).toBe(0);
    expect(asked).toEqual([{ nodeFile: true, bytes: undefined, render: 'raw' }]);
    expect(text.out.stdout).toBe(RAW.replace(/\n$/, '') + '\n');
  });

  it('asks for text by default, and --json carries the reply with its render field', async () => {
    const { api, asked } = fakeApi();
    const json = capture(true);
    await logs(api, 'r', 't', { nodeFile: true }, json.output);
    expect(asked[0]!.render).toBeUndefined();
    expect(JSON.parse(json.out.stdout)).toMatchObject({ render: 'text', text: 'Unable  to connect' });
  });

  it('refuses --raw with --follow (the live stream is text)', async () => {
    const { api } = fakeApi();
    await expect(logs(api, 'r', 't', { raw: true, follow: true }, capture(false).output)).rejects.toThrow(/cannot --follow/);
  });
});
