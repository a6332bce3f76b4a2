import { PRESET_MEMORY_MB } from '@shoal/protocol';
import type { PresetSpec } from './types.js';

const MINUTE = 60_000;
/**
 * `done_when: idle` for the agent CLIs: 5 s at the prompt after a turn, on top of the stability time.
 * Within a turn the measured CLIs keep their interrupt hint up (tool calls included) and ask for
 * approvals with menus (never idle), so a settled prompt is the turn's end; the margin covers a
 * redraw between two steps.
 */
const AGENT_IDLE_MS = 5000;
/** "Press Ctrl-C again to exit": claude, codex, gemini and qwen quit on a second Ctrl-C at their prompt. */
const TWICE_CTRL_C = ['C-c', 'C-c'] as const;

/** An `errorLines` that takes every line of the screen: for an error cue that anchors itself (opencode's). */
const WHOLE_SCREEN = 1000;
/**
 * opencode's failed turn, as the transcript's last message. When it gives up (offline: after 5
 * attempts, ~70 s) opencode puts the error in the assistant message, a box at the transcript's left
 * edge (`  ┃  Cannot connect to API: Unable to connect. ...`, wrapped lines in the same box), closes
 * the message with its footer (`     ▣  Build · Claude Sonnet 4.6`) and returns to its input box.
 * The cue is that error line, then only box lines or the right-hand sidebar's lines (≥ 20 spaces
 * in), then a footer, and no other footer below it: a later turn (sent, answered or interrupted)
 * adds its own footer and ends the match. It cannot match while opencode retries: the retry status
 * (`Cannot connect to API ... [retrying in 4s attempt #3]`) is in the bottom bar, after the
 * progress blocks, never in the transcript's box column — and that bar shows `esc interrupt`,
 * which reads `working` first anyway. The toast shown for a few seconds on giving up (a box in the
 * middle of the screen) is not at the left edge either. `API Error` is kept from the first preset,
 * anchored the same way; it was never captured.
 */
const OPENCODE_FAILED_TURN = '^ {1,8}┃ {1,4}(?:Cannot connect to API|API Error)[^\\n]*(?:\\n(?: {1,8}┃| {20,}\\S)[^\\n]*)*\\n {1,8}▣ [^▣]*(?![\\s\\S])';

/**
 * The agent presets: start template, memory default and screen patterns. The patterns of claude,
 * codex, gemini, qwen and opencode were written from screens captured from the real CLIs at
 * `testedVersion` (`npm run agents:capture`, fixtures in `fixtures/<preset>/`); aider's from its
 * documented UI. When a CLI's UI changes: re-capture, adjust a pattern here.
 */
export const PRESETS: Readonly<Record<PresetSpec['name'], PresetSpec>> = {
  claude: {
    name: 'claude',
    home: { format: 'claude' },
    description: 'Anthropic Claude Code (@anthropic-ai/claude-code)',
    testedVersion: '2.1.332',
    argv: ['claude', '{args}'],
    memoryMb: PRESET_MEMORY_MB.claude,
    interactive: true,
    tailLines: 8,
    // the error line sits just above the input box: an older error scrolled further up is history
    errorLines: 6,
    stableMs: 1500,
    stallMs: 10 * MINUTE,
    idleMs: AGENT_IDLE_MS,
    exitKeys: TWICE_CTRL_C,
    // a flag, not .mcp.json: project servers wait for approval (TOOLCHAIN-FACTS.md); `--mcp-config=` so its variadic option ends here
    mcp: { format: 'claude-json', file: 'claude-mcp.json', argv: ['--mcp-config={file}'] },
    menus: [
      { id: 'trust', match: 'Is this a project you created or one you trust', aliases: { yes: 'Yes, I trust this folder', no: 'No, exit' } },
      { id: 'api-key', match: 'Detected a custom API key', aliases: { yes: 'Yes', no: 'No (recommended)' } },
    ],
    patterns: {
      // footer "⏵⏵ auto mode on (shift+tab to cycle) · esc to interrupt" while a turn runs (retries included)
      working: ['esc to interrupt'],
      // the input box: "❯" and a no-break space at column 0, between two rules (menus indent their "❯")
      prompt: ['^❯(\\s|$)'],
      menu: ['Enter to confirm', '^\\s+❯\\s*\\d+\\.\\s'],
      // a failed turn leaves its placeholder in the input box ("Resend your message to try again",
      // "Once fixed, resend your message"); a bare "API Error" above the box may be an older turn's,
      // and the footer's "Not logged in · run /login" is a status, not an error
      error: ['^❯\\s.*resend your message', 'Unable to connect to Anthropic services', 'Please run /login', 'Credit balance is too low', 'OAuth token has expired', 'Invalid API key'],
      exitHints: ['claude --resume', 'claude -r\\b'],
      // the spinner line's random gerund ("✻ Pondering… (3s · ...)"); the footer, whose right side shows
      // passing notices (e.g. "tmux focus-events off · add 'set -g focus-events on'...") for a while
      animated: ['^\\S [A-Z][a-z]+(…|\\.\\.\\.)', '^\\s*⏵⏵[^\\n]*'],
    },
  },
  codex: {
    name: 'codex',
    home: { format: 'codex', env: { CODEX_HOME: '{home}/.codex' } },
    description: 'OpenAI Codex CLI (@openai/codex)',
    testedVersion: '0.169.0',
    argv: ['codex', '{args}'],
    memoryMb: PRESET_MEMORY_MB.codex,
    interactive: true,
    tailLines: 8,
    errorLines: 8,
    // its input box shows ~1.5 s before a sign-in menu replaces it
    stableMs: 2000,
    stallMs: 10 * MINUTE,
    idleMs: AGENT_IDLE_MS,
    exitKeys: TWICE_CTRL_C,
    // -c overrides: CODEX_HOME would hide the user's auth and cost a ~405 MB copy per attempt
    mcp: { format: 'codex-overrides', argv: ['{overrides}'] },
    menus: [
      { id: 'trust', match: 'Trust this folder\\?', aliases: { yes: 'Trust and continue', no: 'Back to Agent Command Center' } },
      { id: 'sign-in', match: 'Choose how you want to use Codex' },
      { id: 'sign-in-other', match: 'Use Amazon Bedrock' },
      { id: 'api-key', match: 'Paste or type your API key' },
      { id: 'task-running', match: 'Task is still running' },
    ],
    patterns: {
      // "• Working (6s • esc to interrupt)", "◦ Reconnecting... 4/5 (26s • esc to interrupt)"
      working: ['esc to interrupt'],
      // the composer "› ..." is followed by at most its status and footer lines: a sent message is not
      prompt: ['^›[^\\n]*(\\n[^\\n]*){0,2}(?![\\s\\S])'],
      menu: ['Press enter to (continue|save)', '^\\s*enter (continue|select) · esc back'],
      error: ['API Error', 'Invalid API key'],
      exitHints: ['codex resume'],
      animated: [],
    },
  },
  aider: {
    name: 'aider',
    description: 'Aider (aider-chat, Python): not installable here (PyPI unreachable), patterns from its documented UI, not captured',
    argv: ['aider', '{args}'],
    memoryMb: PRESET_MEMORY_MB.aider,
    interactive: true,
    tailLines: 4,
    errorLines: 12,
    stableMs: 1500,
    stallMs: 10 * MINUTE,
    idleMs: AGENT_IDLE_MS,
    exitKeys: TWICE_CTRL_C,
    chooseBy: 'letters',
    menus: [{ id: 'confirm', match: '\\(Y\\)es/\\(N\\)o' }],
    patterns: {
      working: ['^\\W*Waiting for [\\w./:-]+', 'Ctrl-C to interrupt'],
      prompt: ['^(\\w+(\\s\\w+)?)?>\\s*$'],
      menu: ['\\(Y\\)es/\\(N\\)o', '\\[Yes\\]:\\s*$'],
      error: ['API Error', 'EAI_AGAIN', 'ENOTFOUND', 'Invalid API key', 'litellm\\.\\w*Error', 'APIConnectionError', 'AuthenticationError', 'The API provider is not able to authenticate'],
      exitHints: [],
      animated: [],
    },
  },
  gemini: {
    name: 'gemini',
    home: { format: 'gemini' },
    description: 'Google Gemini CLI (@google/gemini-cli)',
    testedVersion: '0.61.0',
    argv: ['gemini', '{args}'],
    memoryMb: PRESET_MEMORY_MB.gemini,
    interactive: true,
    tailLines: 10,
    // "✕ [API Error: ...]" and "ℹ This request failed..." above the "? for shortcuts" line (or "Press
    // Ctrl+C again to exit."), the input box and its footer: a wider window would read an older
    // turn's error under a short new answer
    errorLines: 8,
    stableMs: 2000,
    stallMs: 10 * MINUTE,
    idleMs: AGENT_IDLE_MS,
    exitKeys: TWICE_CTRL_C,
    // a system-defaults file by env (merged under the user's settings); MCP servers are off in an untrusted folder
    mcp: { format: 'gemini-settings', file: 'gemini-system-defaults.json', env: { GEMINI_CLI_SYSTEM_DEFAULTS_PATH: '{file}', GEMINI_CLI_TRUST_WORKSPACE: 'true' }, rootOwned: true },
    menus: [
      { id: 'trust', match: 'Do you trust the files in this folder', aliases: { yes: 'Trust folder', no: "Don't trust" } },
      { id: 'auth', match: 'How would you like to authenticate' },
      { id: 'api-key', match: 'Enter Gemini API Key' },
      { id: 'auth-code', match: 'Enter the authorization code' },
    ],
    patterns: {
      // "⠇ Thinking... (esc to cancel, 2s)": offline it shows this for minutes
      // (the API-key dialog says "Esc to cancel" too, without the parenthesis)
      working: ['\\(esc to cancel'],
      // the placeholder, or a typed line " > text" above the footer
      prompt: ['Type your message or @path/to/file', '^ > .*\\n\\s*workspace \\(/directory\\)'],
      menu: ['\\(Use Enter to select\\)', '^[\\s│]*●\\s*\\d+\\.\\s', 'Press Enter to submit', 'authorization code'],
      error: ['API Error', 'Failed to login', 'fetch failed'],
      exitHints: ['gemini --resume'],
      // the rotating witty phrase and spinner before "(esc to cancel, 2s)"
      animated: ['^[^\\n(]*(?=\\([^\\n)]*esc to cancel)'],
    },
  },
  qwen: {
    name: 'qwen',
    home: { format: 'qwen' },
    description: 'Qwen Code (@qwen-code/qwen-code)',
    testedVersion: '0.24.4',
    argv: ['qwen', '{args}'],
    memoryMb: PRESET_MEMORY_MB.qwen,
    interactive: true,
    tailLines: 10,
    errorLines: 10,
    stableMs: 2000,
    stallMs: 10 * MINUTE,
    idleMs: AGENT_IDLE_MS,
    exitKeys: TWICE_CTRL_C,
    mcp: { format: 'qwen-settings', file: 'qwen-system-defaults.json', env: { QWEN_CODE_SYSTEM_DEFAULTS_PATH: '{file}' } },
    menus: [
      { id: 'provider', match: 'Connect a Provider' },
      { id: 'access-method', match: 'Access Method' },
    ],
    patterns: {
      // "✳  Polishing the algorithms... (47s · esc to cancel)"
      working: ['esc to cancel\\)'],
      // the placeholder, or typed text "> ..." at column 0 (sent messages are indented) above the "➜ repo" footer
      prompt: ['Type your message or @path/to/file', '^>\\s.*\\n\\s*➜'],
      // "Enter to select, ↑↓ to navigate"; the first "Connect a Provider" dialog has no hint, only its "›" marker
      menu: ['Enter to select', '^\\s*│\\s*›\\s+\\S'],
      // the latest item above the input box is an error: "✕ [API Error: Connection error. ...] (Press Ctrl+Y to retry)"
      error: ['^\\s*✕ .*\\n>\\s', 'Press Ctrl\\+Y to retry'],
      exitHints: ['qwen --resume'],
      animated: ['^[^\\n(]*(?=\\([^\\n)]*esc to cancel)'],
    },
  },
  opencode: {
    name: 'opencode',
    home: { format: 'opencode' },
    description: 'opencode (opencode-ai)',
    testedVersion: '1.18.33',
    argv: ['opencode', '{args}'],
    memoryMb: PRESET_MEMORY_MB.opencode,
    interactive: true,
    tailLines: 6,
    // the whole screen: the error cue anchors itself to the transcript's last message (see OPENCODE_FAILED_TURN);
    // a fixed window missed it once the sidebar's MCP and worktree-path lines came below it
    errorLines: WHOLE_SCREEN,
    // a blank screen for ~5 s at start-up
    stableMs: 2000,
    stallMs: 10 * MINUTE,
    idleMs: AGENT_IDLE_MS,
    exitKeys: ['C-c'],
    mcp: { format: 'opencode-json', file: 'opencode.json', env: { OPENCODE_CONFIG: '{file}' } },
    patterns: {
      // bottom bar "■■⬝⬝⬝⬝⬝⬝  esc interrupt"; while retrying "Cannot connect to API ... [retrying in 10s attempt #4] ... esc interrupt"
      working: ['esc interrupt'],
      prompt: ['Ask anything', 'ctrl\\+p commands'],
      menu: ['Enter to confirm'],
      error: [OPENCODE_FAILED_TURN],
      exitHints: ['opencode -s'],
      // the bottom bar between the progress blocks and "• OpenCode <version>" alternates while it retries:
      // "Cannot connect to API: Unable to connect. ..." / "Was there a typo in the url or port? [retrying
      // in 4s attempt #3]" (the "tab agents  ctrl+p commands" hints then make room) / nothing
      animated: ['(?<=[■⬝]{8})[^\\n]*?(?=• OpenCode)'],
    },
  },
  shell: {
    name: 'shell',
    description: 'A plain program or shell; waits when its last line is a prompt',
    argv: ['bash', '{args}'],
    memoryMb: PRESET_MEMORY_MB.shell,
    interactive: false,
    tailLines: 1,
    errorLines: 0,
    stableMs: 500,
    stallMs: 30 * MINUTE,
    // interactive: true tasks without a preset read with this one: a shell prompt settles quickly
    idleMs: 3000,
    patterns: {
      working: [],
      prompt: ['[$#>%]\\s*$'],
      menu: [],
      error: [],
      exitHints: [],
      animated: [],
    },
  },
};

/** Expands a preset's argv template with the task's extra arguments. */
export function presetArgv(spec: PresetSpec, args: readonly string[] = []): string[] {
  return spec.argv.flatMap((a) => (a === '{args}' ? [...args] : [a]));
}
