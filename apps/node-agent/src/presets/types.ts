import type { AgentPreset, AgentStateName } from '@shoal/protocol';

/**
 * What an agent is doing, read from its pane (the protocol's {@link AgentStateName} without `menu`,
 * which the detector reports as a flag of `waiting-for-input`):
 * `starting` (blank screen, or not yet stable), `working` (a turn runs), `waiting-for-input`,
 * `done` (the pane's process ended), `error` (an error cue on screen), `stalled` (working with no
 * output change for the stall timeout), `unknown` (content matching no pattern).
 */
export type AgentState = Exclude<AgentStateName, 'menu'>;

/** Screen patterns of a preset: regular expression sources (case-insensitive, multi-line). */
export interface PresetPatterns {
  /** Shown only while a turn runs, e.g. an interrupt hint ("esc to interrupt"). Never spinner words. */
  working: readonly string[];
  /** An empty input line / placeholder: the agent waits for text. */
  prompt: readonly string[];
  /** A menu or dialog waiting for a choice: input is awaited, but typed text would pick an option. */
  menu: readonly string[];
  /** Error cues ("API Error", "Not logged in", "EAI_AGAIN"...). */
  error: readonly string[];
  /** Printed on exit (resume hints): a second signal of done, never sufficient alone. */
  exitHints: readonly string[];
  /**
   * What animates without meaning progress (rotating status phrases, retry countdown texts...):
   * replaced by a placeholder before screens are compared, on top of the built-in normalisation
   * of digits, spinner glyphs and progress-bar blocks (see `stabilityKey`).
   */
  animated: readonly string[];
}

/** Config formats the node-agent writes MCP servers in (renderers: `apps/node-agent/src/mcp/formats.ts`). */
export type McpFormat = 'claude-json' | 'codex-overrides' | 'gemini-settings' | 'qwen-settings' | 'opencode-json';

/**
 * How an agent CLI is given its MCP servers without touching the user's HOME: a per-attempt file
 * and/or argv elements (inserted right after the program) and environment variables. In `argv` and
 * `env`, `{file}` is the written file's path; the argv element `{overrides}` expands to Codex's
 * `-c key=value` pairs.
 */
export interface PresetMcp {
  format: McpFormat;
  /** Name of the per-attempt file (formats that write one). */
  file?: string;
  argv?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** The CLI reads the file only when root owns it and every directory above it, none writable by group or others (Gemini's system files). */
  rootOwned?: boolean;
}

/**
 * A menu a preset knows, with a stable id for `answers:` and `shoal choose` replies (ids from the
 * captures: `trust`, `api-key`, `sign-in`...). `match` is a regular expression source
 * (case-insensitive, multi-line) found on the menu's screen; when several match, the one found
 * lowest on the screen wins (an older dialog may linger above). `aliases` map an answer word
 * (`yes`, `no`) to the label it means on this menu (codex's trust `yes` is "Trust and continue").
 */
export interface PresetMenu {
  id: string;
  match: string;
  aliases?: Readonly<Record<string, string>>;
}

/** Files of a prepared agent home, per CLI (edits in `apps/node-agent/src/homes/formats.ts`). */
export type HomeFormat = 'claude' | 'codex' | 'gemini' | 'qwen' | 'opencode';

/** How a scratch (or given) HOME is prepared so the CLI starts straight into its input box (docs/agents.md "Prepared homes"). */
export interface PresetHome {
  format: HomeFormat;
  /** Extra environment pointing the CLI into the home (`{home}` is its path), e.g. Codex's `CODEX_HOME`. */
  env?: Readonly<Record<string, string>>;
}

/** How one agent CLI starts, what it may use, and how its screen is read. Pure data. */
export interface PresetSpec {
  name: AgentPreset;
  description: string;
  /** The CLI release the patterns were written from (captured fixtures); undefined for `shell`. */
  testedVersion?: string;
  /**
   * argv template of the interactive CLI; `{args}` expands to the task's extra arguments.
   * The plan's `command` stays authoritative: this is what `shoal` suggests and documents.
   */
  argv: readonly string[];
  /** Default memory budget (MB) when the task sets none; see PRESET_MEMORY_MB. */
  memoryMb: number;
  /** Whether the preset is an interactive agent (gets check-ins). */
  interactive: boolean;
  /** How many bottom lines (non-blank) the working/prompt/menu patterns look at. */
  tailLines: number;
  /** How many bottom lines the error patterns look at. */
  errorLines: number;
  /** The screen must be unchanged this long (animation ignored) before it is classified. */
  stableMs: number;
  /** `working` with no change (animation ignored) for this long becomes `stalled`. */
  stallMs: number;
  /**
   * `done_when: idle`: how long the agent must stay at its input prompt (`waiting-for-input`, no menu,
   * screen unchanged) after its turn before the task counts as done — on top of `stableMs`, which a
   * screen needs before it is classified at all.
   */
  idleMs: number;
  /**
   * tmux key names that make the CLI quit from its input prompt (`done_when: idle` sends them; the
   * usual stop's Ctrl-C, grace and kill follow). Default `['C-c']`; the agent CLIs ask for a second
   * Ctrl-C ("Press Ctrl-C again to exit").
   */
  exitKeys?: readonly string[];
  patterns: PresetPatterns;
  /** How the CLI receives MCP servers (none: the preset gets none). */
  mcp?: PresetMcp;
  /** How its HOME is prepared (none: HOME is set, nothing written). */
  home?: PresetHome;
  /** The menus this CLI shows that the preset recognises (see {@link PresetMenu}). */
  menus?: readonly PresetMenu[];
  /**
   * How `choose` reaches an option: `arrows` moves the marker with Up/Down from the selected option
   * (every captured list menu shows a moving marker; digits are not relied on: not verified on every
   * CLI), `letters` types the option's letter (aider's `(Y)es/(N)o`). Then Enter. Default `arrows`.
   */
  chooseBy?: 'arrows' | 'letters';
}
