import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import type { ApiErrorBody, TaskLogReply } from '@shoal/protocol';
import { ROOT, type TestCluster, startCluster } from '../support/cluster.js';

/**
 * `shoal logs` of a task whose pane gets real claude 2.1.332 bytes (recorded offline, fresh HOME:
 * words placed by cursor moves, escape debris at the end), through a real node-agent, tmux
 * pipe-pane, the coordinator and the built CLI: the streamed ring and the node file read as text,
 * `--raw` gives the bytes, and the API refuses what it cannot give.
 */
const exec = promisify(execFile);
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const CLAUDE = join(ROOT, 'libs/runtime/src/terminal/fixtures/claude-fresh-home.ansi');
// tmux answers the terminal queries in those bytes (version, device attributes) on the pane's
// input: claude reads them raw, but `cat` does not, so the echo is turned off (else the answers
// come back as "^[[?1;2c" text)
const disposables = new Disposables();
let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  const dir = tempDir('shoal-logs-render-');
  disposables.add(() => dir.dispose());
  work = dir.path;
  cluster = await startCluster([{ nodeId: 'logs-a', tmuxSocket: tmuxSocket().name, dataDir: join(work, 'node-a') }], disposables);
}, 120_000);

afterAll(() => disposables.disposeAll(), 120_000);

async function shoal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [CLI, '--api', cluster.api, ...args], { cwd: work, env: { ...process.env, SHOAL_TOKEN: cluster.token } });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const DEBRIS = /\u001b|\[\?|\[>|\]7501|\(B/;

describe('shoal logs renders a TUI log as text', () => {
  it('ring, node file and --raw of a task that printed real claude bytes', async () => {
    const run = await cluster.submit(`name: logs-render
teams: [{ name: fe }]
phases:
  - id: work
    tasks:
      - { id: tui, team: fe, role: Tui, command: ["sh", "-c", "stty -echo; cat '${CLAUDE}'; sleep 600"] }
`);
    disposables.add(() => cluster.fetch(`${cluster.api}/runs/${run.id}/cancel`, { method: 'POST' }).catch(() => undefined));

    let ring: TaskLogReply | undefined;
    await waitFor(
      async () => {
        const r = await shoal('logs', run.id, 'tui', '--json');
        ring = r.code === 0 ? (JSON.parse(r.stdout) as TaskLogReply) : undefined;
        return ring?.text.includes('Check your internet connection');
      },
      { timeoutMs: 60_000, what: 'the streamed, rendered output in the ring' },
    );
    expect(ring).toMatchObject({ source: 'stream', render: 'text' });
    expect(ring!.text).toContain(' Unable to connect to Anthropic services');
    expect(ring!.text).not.toMatch(DEBRIS);

    const text = await shoal('logs', run.id, 'tui', '--node-file');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(' Unable to connect to Anthropic services\n');
    expect(text.stdout).toContain(' Failed to connect to api.anthropic.com: EAI_AGAIN');
    expect(text.stdout).not.toMatch(DEBRIS);

    const raw = await shoal('logs', run.id, 'tui', '--raw');
    expect(raw.code).toBe(0);
    expect(raw.stdout).toContain('Unable\u001b[9Gto\u001b[12Gconnect');
    const rawJson = JSON.parse((await shoal('logs', run.id, 'tui', '--raw', '--json')).stdout) as TaskLogReply;
    expect(rawJson).toMatchObject({ source: 'node', render: 'raw' });

    expect((await shoal('logs', run.id, 'tui', '--raw', '--follow')).code).not.toBe(0);
    const path = `${cluster.api}/runs/${run.id}/tasks/tui/logs`;
    for (const query of ['?render=raw', '?render=html', '?source=node&render=html']) {
      const res = await cluster.fetch(`${path}${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as ApiErrorBody).error).toBe('E_VALIDATION');
    }
  }, 120_000);
});
