import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeActionReply, NodeRow, RunSummary } from '@shoal/protocol';
import type { ApiClient } from './api-client.js';
import { nodeAction } from './commands/emergency.js';
import { PlanFileError, status, validate } from './commands.js';
import { Output } from './output.js';

/** An Output into buffers, text or --json. */
function capture(json: boolean) {
  const out = { stdout: '', stderr: '' };
  const output = new Output(() => json, { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } });
  return { output, out };
}

const runs: RunSummary[] = [{ id: 'r-1', plan: 'p', state: 'running', submittedAt: 0, tasks: 2 }];
const node = (id: string, state: NodeRow['state']) => ({ id, state }) as NodeRow;
/** A fake API: just the calls these commands make. */
const api = {
  runs: () => Promise.resolve(runs),
  nodes: () => Promise.resolve([node('n-1', 'alive'), node('n-2', 'lost')]),
  nodeAction: (id: string): Promise<NodeActionReply> => Promise.resolve({ nodeId: id, ok: true, message: 'reset' }),
} as unknown as ApiClient;

describe('commands print text, or with --json the API reply as it came', () => {
  it('status: a table for people, the RunSummary[] for scripts', async () => {
    const text = capture(false);
    expect(await status(api, undefined, text.output)).toBe(0);
    expect(text.out.stdout).toMatch(/^r-1\s+running\s+2 tasks/);
    const json = capture(true);
    await status(api, undefined, json.output);
    expect(JSON.parse(json.out.stdout)).toEqual(runs);
  });

  it('reset without --node asks every node not lost and prints one StopEverywhereReply', async () => {
    const json = capture(true);
    expect(await nodeAction(api, 'reset', undefined, json.output)).toBe(0);
    expect(JSON.parse(json.out.stdout)).toEqual({ ok: true, nodes: [{ nodeId: 'n-1', ok: true, message: 'reset' }] });
    const text = capture(false);
    await nodeAction(api, 'reset', 'n-1', text.output);
    expect(text.out.stdout).toBe('n-1: ok - reset\n');
  });

  it('validate: the verdict on stdout with --json (issues when invalid, and the error thrown for stderr)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-validate-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'name: ok\nteams: []\nphases: []\n');
      const json = capture(true);
      await expect(validate(bad, json.output)).rejects.toBeInstanceOf(PlanFileError);
      expect(JSON.parse(json.out.stdout)).toEqual({ valid: false, file: bad, issues: expect.arrayContaining([expect.objectContaining({ path: 'teams' })]) });
      const missing = capture(true);
      await expect(validate(join(dir, 'none.yaml'), missing.output)).rejects.toThrow(/cannot read plan/);
      expect(JSON.parse(missing.out.stdout)).toMatchObject({ valid: false, issues: [{ message: expect.stringMatching(/cannot read plan/) }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
