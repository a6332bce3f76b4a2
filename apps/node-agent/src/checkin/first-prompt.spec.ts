import { TimeoutError } from '@shoal/protocol';
import { PRESETS } from '../presets/index.js';
import { FIRST_PROMPT_ECHO_MS, sendFirstPrompt } from './first-prompt.js';
import type { PaneTmux } from './pane-input.js';

const CLAUDE = PRESETS.claude;
const RULE = '─'.repeat(40);
const MENU = ['Do you trust the files in this folder?', '', ' ❯ 1. Yes, I trust this folder', '   2. No, exit', '', 'Enter to confirm · Esc to cancel'].join('\n');
const PROMPT = [' Claude Code', '', RULE, '❯ ', RULE, '  ? for shortcuts'].join('\n');

/** A pane that shows the given screens one capture after the other (the last one stays); each capture is 1 s later. */
function pane(screens: string[], sendText: PaneTmux['sendText'] = async () => ({ verified: true, attempts: 1 })) {
  const clock = { t: 0 };
  const typed: string[] = [];
  const seen: string[] = [];
  const waits: (number | undefined)[] = [];
  const tmux = {
    capturePane: async () => {
      clock.t += 1000;
      const s = screens.length > 1 ? screens.shift()! : screens[0]!;
      seen.push(s);
      return s;
    },
    run: async () => ['0'],
    sendText: async (p: string, text: string, options?: { verifyTimeoutMs?: number }) => {
      typed.push(`${text} after ${seen.length} looks`);
      waits.push(options?.verifyTimeoutMs);
      return sendText(p, text);
    },
  } as unknown as PaneTmux;
  return { clock, typed, seen, waits, tmux };
}

const opts = (p: ReturnType<typeof pane>, deadlineMs = 60_000) => ({ tmux: p.tmux, paneId: () => '%1', preset: CLAUDE, prompt: 'do the thing', alive: () => true, now: () => p.clock.t, pollMs: 0, deadlineMs });

describe('first prompt', () => {
  it('waits while the agent shows a menu, then types once its input box is back and stable', async () => {
    const p = pane([MENU, MENU, MENU, MENU, PROMPT, PROMPT, PROMPT]);
    const r = await sendFirstPrompt(opts(p));
    expect(r).toEqual({ sent: true, at: p.clock.t });
    // 4 looks at the menu; the input box must stay unchanged for claude's 1.5 s: typed at the third look at it (looks are 1 s apart)
    expect(p.typed).toEqual(['do the thing after 7 looks']);
    // a freshly started agent on a busy node echoes late: the first prompt waits longer than `send`'s 2 s
    expect(p.waits).toEqual([FIRST_PROMPT_ECHO_MS]);
    expect(FIRST_PROMPT_ECHO_MS).toBeGreaterThan(2000);
  });

  it('never types into a menu that stays: gives up at the deadline, naming the menu', async () => {
    const p = pane([MENU]);
    const r = await sendFirstPrompt(opts(p, 10_000));
    expect(r).toEqual({ sent: false, reason: expect.stringMatching(/^the agent did not wait for input within 10 s \(last state: waiting-for-input, a menu\)$/) });
    expect(p.typed).toEqual([]);
  });

  it('text not seen on screen is not sent: no Enter, and said so', async () => {
    const p = pane([PROMPT], async () => {
      throw new TimeoutError('text sent to %1 did not show within 2000 ms (attempt 1, pane not echoing)');
    });
    const r = await sendFirstPrompt(opts(p));
    expect(r).toEqual({ sent: false, reason: expect.stringMatching(/^typed but not seen on screen, so Enter was not pressed \(text sent to %1 did not show/) });
  });
});
