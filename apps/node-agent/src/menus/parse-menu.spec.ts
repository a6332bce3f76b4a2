import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseMenu } from './parse-menu.js';

const FIXTURES = join(process.cwd(), 'apps/node-agent/src/presets/fixtures');
const read = (cli: string, file: string) => readFileSync(join(FIXTURES, cli, file), 'utf8');

/** Every captured menu and what a person reads on it: the options top to bottom and the one under the cursor. */
const MENUS: Record<string, { options: string[]; selected?: number; keys?: string[] } | 'none'> = {
  'aider/menu-confirm.txt': { options: ['Yes', 'No'], selected: 1, keys: ['y', 'n'] },
  'claude/menu-api-key.txt': { options: ['Yes', 'No (recommended)'], selected: 2 },
  'claude/menu-api-key-declined.txt': { options: ['Yes', 'No (recommended)'], selected: 2 },
  'claude/menu-trust-folder.txt': { options: ['No, exit', 'Yes, I trust this folder'], selected: 1 },
  'claude/menu-trust-folder-no-key.txt': { options: ['No, exit', 'Yes, I trust this folder'], selected: 1 },
  // an API key entry field, not a list: nothing to choose
  'codex/menu-api-key.txt': 'none',
  'codex/menu-sign-in.txt': { options: ['Sign in with ChatGPT', 'Sign in with Device Code', 'Sign in another way'], selected: 1 },
  'codex/menu-sign-in-other.txt': { options: ['Use an OpenAI API key', 'Use Amazon Bedrock'], selected: 1 },
  'codex/menu-task-running.txt': { options: ['Cancel task', 'Run in background', 'Exit'], selected: 1 },
  'codex/menu-trust-folder.txt': { options: ['Trust and continue', 'Back to Agent Command Center'], selected: 1 },
  // the key entry dialog under an older trust menu that scrolled up: the old menu is history
  'gemini/menu-api-key.txt': 'none',
  'gemini/menu-auth-google.txt': { options: ['Sign in with Google', 'Use Gemini API Key', 'Vertex AI'], selected: 1 },
  'gemini/menu-auth.txt': { options: ['Sign in with Google', 'Use Gemini API Key', 'Vertex AI'], selected: 2 },
  // a URL and "Enter the authorization code:": a text entry
  'gemini/menu-auth-code.txt': 'none',
  'gemini/menu-trust-folder.txt': { options: ['Trust folder (repo)', 'Trust parent folder (gemini-api-key)', "Don't trust"], selected: 1 },
  'gemini/menu-trust-folder-google.txt': { options: ['Trust folder (repo)', 'Trust parent folder (gemini-google-sign-in)', "Don't trust"], selected: 1 },
  'qwen/menu-access-method.txt': { options: ['Coding Plan', 'Token Plan', 'Standard API Key'], selected: 1 },
  'qwen/menu-connect-provider.txt': { options: ['Alibaba ModelStudio', 'Third-party Providers', 'Custom Provider'], selected: 1 },
};

const captured = readdirSync(FIXTURES).flatMap((cli) => readdirSync(join(FIXTURES, cli)).filter((f) => f.startsWith('menu-') && f.endsWith('.txt')).map((f) => `${cli}/${f}`));

describe('parseMenu on every captured menu', () => {
  it('has an expectation for each menu-*.txt fixture', () => {
    expect(captured.sort()).toEqual(Object.keys(MENUS).sort());
  });

  it.each(Object.entries(MENUS))('%s', (path, want) => {
    const [cli, file] = path.split('/') as [string, string];
    const menu = parseMenu(read(cli, file));
    if (want === 'none') return expect(menu).toBeUndefined();
    expect(menu?.options.map((o) => o.label)).toEqual(want.options);
    expect(menu?.options.map((o) => o.index)).toEqual(want.options.map((_, i) => i + 1));
    expect(menu?.selected).toBe(want.selected);
    if (want.keys) expect(menu?.options.map((o) => o.key)).toEqual(want.keys);
  });

  it('reads no menu on screens that are not menus (input boxes, turns, errors)', () => {
    const others = readdirSync(FIXTURES).flatMap((cli) =>
      readdirSync(join(FIXTURES, cli))
        .filter((f) => /^(waiting|working|error|done)-.*\.txt$/.test(f))
        .map((f) => [`${cli}/${f}`, parseMenu(read(cli, f))] as const),
    );
    expect(others.length).toBeGreaterThan(30);
    expect(others.filter(([, m]) => m !== undefined).map(([p, m]) => `${p}: ${JSON.stringify(m?.options.map((o) => o.label))}`)).toEqual([]);
  });

  it('follows the marker after a move and keeps numbers', () => {
    const moved = read('codex', 'menu-trust-folder.txt').replace('› 1. Trust', '  1. Trust').replace('  2. Back', '› 2. Back');
    expect(parseMenu(moved)).toMatchObject({ selected: 2, options: [{ number: 1 }, { number: 2 }] });
    const claude = read('claude', 'menu-trust-folder.txt').replace(' ❯ No, exit', '   No, exit').replace('   Yes, I trust', ' ❯ Yes, I trust');
    expect(parseMenu(claude)?.selected).toBe(2);
  });
});
