import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tmuxSocket, waitFor, type TempDir, type TmuxSocket } from '@shoal/testing';
import { CheckinLoop, type CheckinReport } from '../../apps/node-agent/src/checkin/index.js';
import { PRESETS } from '../../apps/node-agent/src/presets/index.js';
import { TmuxDriver } from '../../apps/node-agent/src/tmux/index.js';

const FAKE_AGENT = join(process.cwd(), 'test/fixtures/fake-agent.mjs');
/** How the fake agent looks: a `> ` prompt, and an interrupt hint while it works (as claude and codex show). */
const FAKE_AGENT_PRESET = { ...PRESETS.shell, interactive: true, patterns: { ...PRESETS.shell.patterns, working: ['esc to interrupt'] } };
const PROMPT = 'Status check: reply with what you finished, what you are doing, and what blocks you.';

describe('check-ins to a fake interactive agent (real tmux)', () => {
  let sock: TmuxSocket;
  let tmp: TempDir;
  let driver: TmuxDriver;
  let loop: CheckinLoop | undefined;

  beforeEach(async () => {
    sock = tmuxSocket();
    tmp = tempDir();
    driver = await TmuxDriver.connect({ socketName: sock.name });
  });

  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
    await driver.close().catch(() => undefined);
    await sock.dispose();
    tmp.dispose();
  });

  async function startAgent(inputFile: string): Promise<string> {
    await driver.ensureSession('Task-checkin');
    const win = await driver.newWindow({ session: 'Task-checkin', window: 'Agent', argv: [process.execPath, FAKE_AGENT, inputFile] });
    await waitFor(async () => /^> ?$/m.test(await driver.capturePane(win.paneId)), { timeoutMs: 15_000, what: 'the fake agent prompt' });
    return win.paneId;
  }

  const inMode = async (paneId: string) => (await driver.run('display-message', ['-p', '-t', paneId, '#{pane_in_mode}']))[0] === '1';

  it('delivers 50 check-ins in a row, none lost, also when the pane sits in copy-mode', async () => {
    const inputFile = join(tmp.path, 'input.txt');
    const paneId = await startAgent(inputFile);
    const reports: CheckinReport[] = [];
    let copyModeEntered = 0;
    loop = new CheckinLoop({
      tmux: driver,
      paneId,
      preset: PRESETS.shell,
      intervalMs: 300, // also the reply's deadline (min of replyTimeoutMs and the interval): 40 ms missed replies on a loaded machine
      prompt: PROMPT,
      pollMs: 25,
      settleMs: 120,
      stableMs: 80,
      publish: async (r) => {
        reports.push(r);
        if (r.seq % 4 === 0) {
          await driver.run('copy-mode', ['-t', paneId]);
          await driver.run('send-keys', ['-t', paneId, '-X', 'page-up']).catch(() => undefined);
          if (await inMode(paneId)) copyModeEntered++;
        }
      },
    });
    loop.start();
    await waitFor(() => reports.length >= 50, { timeoutMs: 90_000, intervalMs: 50, what: '50 check-ins' });
    await loop.stop();

    const lines = readFileSync(inputFile, 'utf8').split('\n').filter(Boolean);
    const expected = Array.from({ length: reports.length }, (_, i) => `${PROMPT} [check-in ${i + 1}]`);
    expect(lines).toEqual(expected);
    expect(reports.length).toBeGreaterThanOrEqual(50);
    expect(copyModeEntered).toBeGreaterThanOrEqual(12);
    for (const r of reports) {
      expect({ seq: r.seq, verified: r.verified, state: r.state }).toEqual({ seq: r.seq, verified: true, state: 'waiting-for-input' });
      expect(r.reply).toMatch(new RegExp(`^ok ${r.seq}: Status check`));
    }
  });

  it('waits while the agent is busy and checks in once it is back at its prompt', async () => {
    const inputFile = join(tmp.path, 'input.txt');
    const paneId = await startAgent(inputFile);
    await driver.sendText(paneId, 'work 1500');
    loop = new CheckinLoop({ tmux: driver, paneId, preset: FAKE_AGENT_PRESET, intervalMs: 60_000, prompt: PROMPT, pollMs: 25, settleMs: 100, stableMs: 80, publish: () => undefined });
    expect(await loop.checkinNow()).toBe('busy');
    expect(loop.sent).toBe(0);
    await waitFor(async () => /^> ?$/m.test((await driver.capturePane(paneId)).split('\n').pop() ?? ''), { timeoutMs: 10_000, what: 'the prompt again' });
    const r = await loop.checkinNow();
    expect(r).toMatchObject({ seq: 1, verified: true, state: 'waiting-for-input', reply: expect.stringMatching(/^ok 2: Status check/) });
    expect(readFileSync(inputFile, 'utf8').split('\n').filter(Boolean)).toEqual(['work 1500', `${PROMPT} [check-in 1]`]);
  });

  it('reports done and stops once the agent exited', async () => {
    const paneId = await startAgent(join(tmp.path, 'input.txt'));
    await driver.sendKeys(paneId, ['C-d']);
    await driver.waitForExit(paneId);
    loop = new CheckinLoop({ tmux: driver, paneId, preset: PRESETS.shell, intervalMs: 60_000, prompt: PROMPT, pollMs: 25, stableMs: 80, publish: () => undefined });
    expect(await loop.checkinNow()).toBe('done');
    expect(loop.sent).toBe(0);
  });
});
