import type { HomeFormat } from '../presets/index.js';
import { tomlKey, tomlString } from '../mcp/index.js';

/**
 * Pure: what each agent CLI needs in its HOME to start straight into its input box in the task's
 * cwd — onboarding done, the cwd trusted, an API key from the environment approved — as edits of
 * files relative to the home. Each edit sets only Shoal's keys and keeps everything else a file
 * already holds (a kept `home: <dir>`); verified against the real CLIs (homes/VERIFIED.md).
 */

/** What an edit is computed from: the agent's cwd (absolute) and its environment (secrets resolved). */
export interface HomeContext {
  cwd: string;
  env: Readonly<Record<string, string>>;
}

/** One file of the home: `edit` maps its current text (undefined: no file) to the new text, or undefined to leave it. */
export interface HomeEdit {
  /** Relative to the home. */
  path: string;
  edit(current: string | undefined): string | undefined;
  /** The file holds a credential (written 0600 like the others; named in docs). */
  secret?: boolean;
}

/** The file is not valid JSON (or not an object): never overwritten. */
export class UnreadableHomeFile extends Error {
  override readonly name = 'UnreadableHomeFile';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseObject(text: string | undefined): Json {
  if (text === undefined || text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UnreadableHomeFile(`not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(v)) throw new UnreadableHomeFile('not a JSON object');
  return v;
}

const obj = (v: unknown): Json => (isObject(v) ? v : {});
const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** A JSON edit: `change` returns the new object; the file is left alone when nothing changed. */
function jsonEdit(path: string, change: (current: Json) => Json, secret = false): HomeEdit {
  return {
    path,
    secret,
    edit(text) {
      const before = parseObject(text);
      const after = change(structuredClone(before));
      return text !== undefined && JSON.stringify(after) === JSON.stringify(before) ? undefined : json(after);
    },
  };
}

/** The part of an API key Claude Code remembers as approved (`customApiKeyResponses`): its last 20 characters. */
export function claudeKeySuffix(key: string): string {
  return key.slice(-20);
}

/** Claude Code: `$HOME/.claude.json` — onboarding, the cwd's trust dialog, and `ANTHROPIC_API_KEY` approved. */
function claude(ctx: HomeContext): HomeEdit[] {
  return [
    jsonEdit('.claude.json', (c) => {
      c.hasCompletedOnboarding = true;
      const projects = obj(c.projects);
      projects[ctx.cwd] = { ...obj(projects[ctx.cwd]), hasTrustDialogAccepted: true };
      c.projects = projects;
      const key = ctx.env.ANTHROPIC_API_KEY;
      if (key) {
        const suffix = claudeKeySuffix(key);
        const responses = obj(c.customApiKeyResponses);
        const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
        const approved = list(responses.approved);
        c.customApiKeyResponses = { ...responses, approved: approved.includes(suffix) ? approved : [...approved, suffix], rejected: list(responses.rejected).filter((x) => x !== suffix) };
      }
      return c;
    }),
  ];
}

/** The `[projects."<cwd>"]` table of Codex's config.toml (trust). */
export function codexTrustTable(cwd: string): string {
  return `[projects.${tomlKey(cwd)}]\ntrust_level = ${tomlString('trusted')}\n`;
}

/** Codex: `$CODEX_HOME/config.toml` trusts the cwd; `auth.json` holds `OPENAI_API_KEY` (its sign-in menus come even with the variable set). */
function codex(ctx: HomeContext): HomeEdit[] {
  const edits: HomeEdit[] = [
    {
      path: '.codex/config.toml',
      edit(text) {
        const header = `[projects.${tomlKey(ctx.cwd)}]`;
        if (text?.split('\n').some((l) => l.trim() === header)) return undefined;
        const base = text === undefined || text === '' ? '' : text.endsWith('\n') ? `${text}\n` : `${text}\n\n`;
        return base + codexTrustTable(ctx.cwd);
      },
    },
  ];
  const key = ctx.env.OPENAI_API_KEY;
  if (key) {
    edits.push(
      jsonEdit(
        '.codex/auth.json',
        // a ChatGPT sign-in the user made in a kept home stays; an API-key one gets the task's key
        (c) => (c.auth_mode === undefined || c.auth_mode === 'apikey' ? { ...c, auth_mode: 'apikey', OPENAI_API_KEY: key } : c),
        true,
      ),
    );
  }
  return edits;
}

/** Gemini CLI and Qwen Code: `<dir>/trustedFolders.json` trusts the cwd; `settings.json` selects API-key auth when its key is set. */
function geminiFamily(dir: string, keyEnv: string, authType: string) {
  return (ctx: HomeContext): HomeEdit[] => {
    const edits = [jsonEdit(`${dir}/trustedFolders.json`, (c) => ({ ...c, [ctx.cwd]: 'TRUST_FOLDER' }))];
    if (ctx.env[keyEnv]) {
      edits.push(
        jsonEdit(`${dir}/settings.json`, (c) => {
          const security = obj(c.security);
          const auth = obj(security.auth);
          // a choice the user made in a kept home stays
          if (auth.selectedType === undefined) c.security = { ...security, auth: { ...auth, selectedType: authType } };
          return c;
        }),
      );
    }
    return edits;
  };
}

/** opencode: nothing — with a provider's key in its environment it opens at its input box (verified). */
function opencode(): HomeEdit[] {
  return [];
}

const FORMATS: Readonly<Record<HomeFormat, (ctx: HomeContext) => HomeEdit[]>> = {
  claude,
  codex,
  gemini: geminiFamily('.gemini', 'GEMINI_API_KEY', 'gemini-api-key'),
  qwen: geminiFamily('.qwen', 'OPENAI_API_KEY', 'openai'),
  opencode,
};

/** The edits a home of `format` needs for `ctx`. */
export function homeEdits(format: HomeFormat, ctx: HomeContext): HomeEdit[] {
  return FORMATS[format](ctx);
}
