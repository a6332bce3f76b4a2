import { PRESET_MEMORY_MB } from '@shoal/protocol';
import type { PresetSpec } from './types.js';

/** Error cues shared by the CLIs measured in AGENT-CLIS.md. */
const COMMON_ERRORS = ['API Error', "Can't reach the API server", 'Cannot connect to API', 'Not logged in', 'EAI_AGAIN', 'ENOTFOUND', 'Invalid API key'];
const MINUTE = 60_000;

/**
 * The agent presets: start template, memory default and screen patterns, from the cues measured in
 * /work/shared/design/AGENT-CLIS.md. When a CLI's UI changes, add a fixture and a pattern here.
 */
export const PRESETS: Readonly<Record<PresetSpec['name'], PresetSpec>> = {
  claude: {
    name: 'claude',
    description: 'Anthropic Claude Code (@anthropic-ai/claude-code)',
    argv: ['claude', '{args}'],
    memoryMb: PRESET_MEMORY_MB.claude,
    interactive: true,
    tailLines: 8,
    errorLines: 14,
    stableMs: 1500,
    stallMs: 10 * MINUTE,
    patterns: {
      working: ['esc to interrupt'],
      prompt: ['^[\\s│|]*>\\s*(Try ".*")?[\\s│|]*$', '\\? for shortcuts'],
      menu: ['Enter to confirm', '^\\s*[❯>]\\s*\\d+\\.\\s', 'Do you trust the files in this folder\\?'],
      error: [...COMMON_ERRORS, 'Credit balance is too low', 'OAuth token has expired'],
      exitHints: ['claude --resume', 'claude -r\\b'],
    },
  },
  codex: {
    name: 'codex',
    description: 'OpenAI Codex CLI (@openai/codex)',
    argv: ['codex', '{args}'],
    memoryMb: PRESET_MEMORY_MB.codex,
    interactive: true,
    tailLines: 8,
    errorLines: 14,
    stableMs: 2000,
    stallMs: 10 * MINUTE,
    patterns: {
      working: ['esc to interrupt'],
      prompt: ['^\\s*[▌›>]\\s*(Ask Codex to do anything|Find and fix a bug|Implement \\{feature\\}|Explain this codebase|Write tests for)?', '⏎ send', '\\? for shortcuts'],
      menu: ['Press Enter to continue', 'Sign in with ChatGPT', '^\\s*[›>]\\s*\\d+\\.\\s'],
      error: [...COMMON_ERRORS, 'stream error', 'error sending request', 'stream disconnected before completion'],
      exitHints: ['codex resume'],
    },
  },
  aider: {
    name: 'aider',
    description: 'Aider (aider-chat, Python); not measured in AGENT-CLIS.md, patterns from its documented UI',
    argv: ['aider', '{args}'],
    memoryMb: PRESET_MEMORY_MB.aider,
    interactive: true,
    tailLines: 4,
    errorLines: 12,
    stableMs: 1500,
    stallMs: 10 * MINUTE,
    patterns: {
      working: ['^\\W*Waiting for [\\w./:-]+', 'Ctrl-C to interrupt'],
      prompt: ['^(\\w+(\\s\\w+)?)?>\\s*$'],
      menu: ['\\(Y\\)es/\\(N\\)o', '\\[Yes\\]:\\s*$'],
      error: [...COMMON_ERRORS, 'litellm\\.\\w*Error', 'APIConnectionError', 'AuthenticationError', 'The API provider is not able to authenticate'],
      exitHints: [],
    },
  },
  gemini: {
    name: 'gemini',
    description: 'Google Gemini CLI (@google/gemini-cli)',
    argv: ['gemini', '{args}'],
    memoryMb: PRESET_MEMORY_MB.gemini,
    interactive: true,
    tailLines: 10,
    errorLines: 14,
    stableMs: 2000,
    stallMs: 10 * MINUTE,
    patterns: {
      working: ['esc to cancel'],
      prompt: ['Type your message or @path/to/file'],
      menu: ['\\(Use Enter to select\\)', 'How would you like to authenticate', '^[\\s│]*●\\s*\\d+\\.\\s'],
      error: [...COMMON_ERRORS, 'Failed to login', 'fetch failed'],
      exitHints: ['gemini --resume'],
    },
  },
  qwen: {
    name: 'qwen',
    description: 'Qwen Code (@qwen-code/qwen-code); provisional cues from AGENT-CLIS.md until captured',
    argv: ['qwen', '{args}'],
    memoryMb: PRESET_MEMORY_MB.qwen,
    interactive: true,
    tailLines: 10,
    errorLines: 14,
    stableMs: 2000,
    stallMs: 10 * MINUTE,
    patterns: {
      working: ['esc to cancel'],
      prompt: ['Type your message'],
      menu: ['\\(Use Enter to select\\)', 'Enter to confirm'],
      error: [...COMMON_ERRORS],
      exitHints: ['qwen --resume'],
    },
  },
  opencode: {
    name: 'opencode',
    description: 'opencode (opencode-ai); provisional cues from AGENT-CLIS.md until captured',
    argv: ['opencode', '{args}'],
    memoryMb: PRESET_MEMORY_MB.opencode,
    interactive: true,
    tailLines: 10,
    errorLines: 14,
    stableMs: 2000,
    stallMs: 10 * MINUTE,
    patterns: {
      working: ['esc interrupt'],
      prompt: ['enter send'],
      menu: ['Enter to confirm'],
      error: [...COMMON_ERRORS],
      exitHints: ['opencode -s'],
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
    patterns: {
      working: [],
      prompt: ['[$#>%]\\s*$'],
      menu: [],
      error: [],
      exitHints: [],
    },
  },
};

/** Expands a preset's argv template with the task's extra arguments. */
export function presetArgv(spec: PresetSpec, args: readonly string[] = []): string[] {
  return spec.argv.flatMap((a) => (a === '{args}' ? [...args] : [a]));
}
