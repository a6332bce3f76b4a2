/**
 * What `agents:capture` does with each CLI: one or more scenarios, each in a fresh scratch HOME and
 * repo. A scenario is a list of steps; a `save` step names its fixture `<state>-<variant>` — the
 * prefix is the state the detector must read (waiting-, menu-, working-, error-, done-), so a
 * fixture's name is the assertion `detector.spec.ts` checks.
 *
 * Steps:
 * - `{ save, until, not?, keys?, optional?, unless?, settle?, holdMs?, deadlineMs? }`: wait until `until`
 *   matches and `not` does not (by default on a screen settled ~2 s; `settle: false` with `holdMs`: the match held that
 *   long), save the screen, then send `keys`. `optional`: the step is skipped when `unless` matches
 *   first (menus "as they come").
 * - `{ type }`: literal text (send-keys -l); `{ keys }`: named keys.
 * - `{ sequence, count, everyMs, until? }`: `count` captures `everyMs` apart (a retry loop, for the
 *   stall tests), from when `until` matches.
 * - `{ press, until, save, max? }`: press a key (at most `max` times) until `until` shows on a live
 *   pane, save that screen.
 * - `{ save, dead: true }`: wait for the pane to be dead, save. `{ measure: label }`: RSS of the tree.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PROMPT = 'Say hello in one word';
const KEYS = {
  ANTHROPIC_API_KEY: 'sk-ant-fake-0000',
  OPENAI_API_KEY: 'sk-fake-0000',
  GEMINI_API_KEY: 'fake-gemini-0000',
};

/** Seeds claude's onboarding flag: with a fresh HOME it exits at once (offline onboarding). */
function claudeOnboarded(home, version) {
  writeFileSync(join(home, '.claude.json'), `${JSON.stringify({ hasCompletedOnboarding: true, lastOnboardingVersion: version, numStartups: 1 }, null, 2)}\n`);
}

/** A prompt, then the retry loop while offline: typed, working, a sequence of the loop. */
const promptAndRetry = ({ typed, working, cue, steady = cue, between = [], sequence = 'retry' }) => [
  { type: PROMPT },
  { save: typed, until: new RegExp(PROMPT) },
  { keys: ['Enter'] },
  { save: working, until: cue, settle: false, holdMs: 1500 },
  { measure: 'working' },
  ...between,
  { sequence, count: 8, everyMs: 3000, until: steady, deadlineMs: 240_000 },
];

/** @type {Record<string, { scenario: string, env?: Record<string,string>, seed?: (home: string, version: string) => void, steps: object[] }[]>} */
export const SCENARIOS = {
  claude: [
    {
      scenario: 'fresh-home',
      env: { ANTHROPIC_API_KEY: KEYS.ANTHROPIC_API_KEY },
      steps: [{ save: 'done-offline-onboarding', dead: true, deadlineMs: 60_000 }],
    },
    {
      scenario: 'api-key',
      env: { ANTHROPIC_API_KEY: KEYS.ANTHROPIC_API_KEY },
      seed: claudeOnboarded,
      steps: [
        { measure: 'first screen' },
        { save: 'menu-trust-folder', until: /Yes, I trust this folder/, keys: ['Down', 'Enter'] },
        { save: 'menu-api-key', until: /Detected a custom API key/, optional: true, unless: /^❯\s*$/m, keys: ['Up', 'Enter'] },
        { save: 'waiting-input', until: /^❯\s*$/m },
        { measure: 'input box' },
        ...promptAndRetry({ typed: 'waiting-typed', working: 'working-retrying', cue: /esc to interrupt/ }),
        { save: 'error-api-unreachable', until: /API Error/, not: /esc to interrupt/, deadlineMs: 8 * 60_000 },
        { type: PROMPT },
        { keys: ['Enter'] },
        { save: 'working-turn', until: /esc to interrupt/, settle: false, holdMs: 1500 },
        { keys: ['Escape'] },
        // the interrupted prompt comes back into the input box (after "❯" and a no-break space), under the first turn's error
        { save: 'waiting-interrupted', until: /^❯\s+Say hello[^\n]*\n─+\n\s+⏵⏵/m, not: /esc to interrupt/ },
        // a Ctrl-C clears the restored prompt (not always: once it asked to press again at once)
        { press: 'C-c', until: /again to exit/i, save: 'waiting-ctrl-c-once' },
        { keys: ['C-c'] },
        { save: 'done-exit', dead: true },
      ],
    },
    {
      scenario: 'no-key',
      env: { ANTHROPIC_API_KEY: KEYS.ANTHROPIC_API_KEY },
      seed: claudeOnboarded,
      steps: [
        { save: 'menu-trust-folder-no-key', until: /Yes, I trust this folder/, keys: ['Down', 'Enter'] },
        { save: 'menu-api-key-declined', until: /Detected a custom API key/, keys: ['Enter'] },
        { save: 'waiting-not-logged-in', until: /^❯\s*$/m },
        { type: PROMPT },
        { keys: ['Enter'] },
        { save: 'error-not-logged-in', until: /\/login/, deadlineMs: 60_000 },
        { keys: ['C-c'] },
        { keys: ['C-c'] },
        { save: 'done-not-logged-in', dead: true },
      ],
    },
  ],
  codex: [
    {
      scenario: 'api-key',
      env: { OPENAI_API_KEY: KEYS.OPENAI_API_KEY },
      steps: [
        { measure: 'first screen' },
        { save: 'menu-sign-in', until: /Sign in with ChatGPT/, keys: ['3'], deadlineMs: 90_000 },
        { save: 'menu-sign-in-other', until: /Use an OpenAI API key/, keys: ['Enter'] },
        { save: 'menu-api-key', until: /Press enter to save/, keys: ['Enter'] },
        { save: 'menu-trust-folder', until: /Trust this folder\?/, optional: true, unless: /Ask Codex to do anything/, keys: ['Enter'] },
        { save: 'waiting-input', until: /Ask Codex to do anything/ },
        { measure: 'input box' },
        ...promptAndRetry({
          typed: 'waiting-typed',
          working: 'working-retrying',
          cue: /esc to interrupt/,
          between: [{ save: 'working-reconnecting', until: /Reconnecting\.\.\. \d/, settle: false, holdMs: 1000, optional: true, deadlineMs: 120_000 }],
          steady: /waiting for network/,
        }),
        { keys: ['C-c'] },
        { save: 'menu-task-running', until: /Task is still running/, keys: ['Enter'] },
        { save: 'waiting-interrupted', until: /Ask Codex to do anything/ },
        { keys: ['C-c'] },
        { save: 'waiting-ctrl-c-once', until: /again to quit/i, settle: false, holdMs: 300, optional: true, deadlineMs: 5_000 },
        { keys: ['C-c'] },
        { save: 'done-exit', dead: true },
      ],
    },
  ],
  gemini: [
    {
      scenario: 'api-key',
      env: { GEMINI_API_KEY: KEYS.GEMINI_API_KEY },
      steps: [
        { measure: 'first screen' },
        { save: 'menu-trust-folder', until: /Do you trust the files in this folder/, keys: ['Enter'] },
        { save: 'menu-auth', until: /How would you like to authenticate/, keys: ['Enter'] },
        { save: 'menu-api-key', until: /Enter Gemini API Key/, keys: ['Enter'] },
        { save: 'waiting-input', until: /Type your message/ },
        { measure: 'input box' },
        // a first turn, cancelled while it thinks
        { type: PROMPT },
        { save: 'waiting-typed', until: new RegExp(PROMPT) },
        { keys: ['Enter'] },
        { save: 'working-thinking', until: /\(esc to cancel/, settle: false, holdMs: 1500 },
        { keys: ['Escape'] },
        { save: 'waiting-interrupted', until: /Type your message/, not: /\(esc to cancel/ },
        // a second turn, left to retry: the loop, then the error
        { type: PROMPT },
        { keys: ['Enter'] },
        { save: 'working-second-turn', until: /\(esc to cancel/, settle: false, holdMs: 1500 },
        { measure: 'working' },
        { sequence: 'retry', count: 8, everyMs: 3000, until: /\(esc to cancel/, deadlineMs: 60_000 },
        // offline it shows "Thinking..." for minutes: wait up to 10 min for an error
        { save: 'error-api', until: /error|failed/i, not: /\(esc to cancel/, optional: true, deadlineMs: 600_000 },
        { press: 'C-c', until: /again to exit/i, save: 'error-ctrl-c-once' },
        { keys: ['C-c'] },
        { save: 'done-exit', dead: true },
      ],
    },
    {
      scenario: 'google-sign-in',
      env: {},
      steps: [
        { save: 'menu-trust-folder-google', until: /Do you trust the files in this folder/, keys: ['Enter'] },
        { save: 'menu-auth-google', until: /How would you like to authenticate/, keys: ['Enter'] },
        { save: 'menu-auth-code', until: /authorization code/i, deadlineMs: 60_000 },
        { keys: ['C-c'] },
        { keys: ['C-c'] },
        { save: 'done-sign-in-cancelled', dead: true, optional: true },
      ],
    },
  ],
  qwen: [
    {
      scenario: 'no-provider',
      env: {},
      steps: [
        { save: 'menu-connect-provider', until: /Connect a Provider/, deadlineMs: 90_000 },
        { keys: ['Enter'] },
        { save: 'menu-access-method', until: /Access Method/ },
      ],
    },
    {
      scenario: 'openai-env',
      env: { OPENAI_API_KEY: KEYS.OPENAI_API_KEY, OPENAI_BASE_URL: 'https://dashscope.aliyuncs.com/compatible-mode/v1', OPENAI_MODEL: 'qwen3-coder-plus' },
      steps: [
        { measure: 'first screen' },
        { save: 'waiting-input', until: /Type your message/, deadlineMs: 90_000 },
        { measure: 'input box' },
        ...promptAndRetry({ typed: 'waiting-typed', working: 'working-retrying', cue: /esc to cancel/ }),
        // offline the turn fails within ~1 min and stays failed at the input box
        { save: 'error-api', until: /error/i, not: /esc to cancel\)/, optional: true, deadlineMs: 180_000 },
        { keys: ['C-c'] },
        { save: 'error-ctrl-c-once', until: /again to exit/i, settle: false, holdMs: 300, optional: true, deadlineMs: 5_000 },
        // a second turn, cancelled while it runs
        { type: PROMPT },
        { keys: ['Enter'] },
        { save: 'working-second-turn', until: /esc to cancel\)/, settle: false, holdMs: 1500 },
        // Escape puts the prompt back into the input box, under an "✕ [API Error: ...]" line: offline
        // every turn ends in an error, so there is no plain "interrupted" screen to capture
        { keys: ['Escape'] },
        { save: 'error-cancelled-turn', until: /✕ \[API Error/, not: /esc to cancel\)/ },
        // Ctrl-C clears the input, the next asks to press again, the third exits
        { keys: ['C-c', 'C-c', 'C-c'] },
        { save: 'done-exit', dead: true },
      ],
    },
  ],
  opencode: [
    {
      scenario: 'anthropic-key',
      env: { ANTHROPIC_API_KEY: KEYS.ANTHROPIC_API_KEY },
      steps: [
        { measure: 'first screen' },
        { save: 'waiting-input', until: /Ask anything/, deadlineMs: 90_000 },
        { measure: 'input box' },
        // a first turn, interrupted (Escape twice) while it runs
        { type: PROMPT },
        { save: 'waiting-typed', until: new RegExp(PROMPT) },
        { keys: ['Enter'] },
        { save: 'working-turn', until: /esc interrupt/, settle: false, holdMs: 1500 },
        { keys: ['Escape', 'Escape'] },
        { save: 'waiting-interrupted', until: /ctrl\+p commands/, not: /esc interrupt/ },
        // a second turn, left to retry: the loop, then the error (1.18.33 gives up after 5 attempts, ~70 s,
        // and leaves "Cannot connect to API: ..." in its transcript: no word "error" on that screen)
        { type: PROMPT },
        { keys: ['Enter'] },
        { save: 'working-retrying', until: /esc interrupt/, settle: false, holdMs: 1500 },
        { measure: 'working' },
        { sequence: 'retry', count: 8, everyMs: 3000, until: /esc interrupt/, deadlineMs: 60_000 },
        { save: 'error-api', until: /Cannot connect to API|error/i, not: /esc interrupt/, optional: true, deadlineMs: 600_000 },
        { keys: ['C-c'] },
        { save: 'done-exit', dead: true, optional: true },
        { keys: ['C-c'] },
        { save: 'done-exit', dead: true },
      ],
    },
  ],
};
