import { readTomlDocument } from '../mcp/toml-check.js';
import { UnreadableHomeFile, claudeKeySuffix, homeEdits } from './formats.js';

const cwd = '/var/lib/shoal/node/n1/worktrees/r-1/lead';
const KEY = 'sk-ant-fake-0000000000000000000000000000abcdefghijklmnopqrst';
const edit = (format: Parameters<typeof homeEdits>[0], path: string, env: Record<string, string>, current?: string) => {
  const e = homeEdits(format, { cwd, env }).find((x) => x.path === path);
  if (!e) throw new Error(`no edit of ${path}`);
  return e.edit(current);
};

describe('prepared home files per CLI (pure)', () => {
  it('claude: onboarding, the cwd trusted, the key approved by its last 20 characters', () => {
    const out = JSON.parse(edit('claude', '.claude.json', { ANTHROPIC_API_KEY: KEY })!);
    expect(out).toEqual({
      hasCompletedOnboarding: true,
      projects: { [cwd]: { hasTrustDialogAccepted: true } },
      customApiKeyResponses: { approved: ['abcdefghijklmnopqrst'], rejected: [] },
    });
    expect(claudeKeySuffix(KEY)).toHaveLength(20);
  });

  it('claude: keeps what a kept home already holds, un-rejects the key, and writes nothing when all is set', () => {
    const current = JSON.stringify({ theme: 'dark', projects: { '/other': { allowedTools: ['x'] }, [cwd]: { history: [1] } }, customApiKeyResponses: { approved: ['old'], rejected: ['abcdefghijklmnopqrst'] } });
    const out = JSON.parse(edit('claude', '.claude.json', { ANTHROPIC_API_KEY: KEY }, current)!);
    expect(out.theme).toBe('dark');
    expect(out.projects['/other']).toEqual({ allowedTools: ['x'] });
    expect(out.projects[cwd]).toEqual({ history: [1], hasTrustDialogAccepted: true });
    expect(out.customApiKeyResponses).toEqual({ approved: ['old', 'abcdefghijklmnopqrst'], rejected: [] });
    expect(edit('claude', '.claude.json', { ANTHROPIC_API_KEY: KEY }, JSON.stringify(out))).toBeUndefined();
  });

  it('claude without a key: no approval entry', () => {
    expect(JSON.parse(edit('claude', '.claude.json', {})!)).toEqual({ hasCompletedOnboarding: true, projects: { [cwd]: { hasTrustDialogAccepted: true } } });
  });

  it('never overwrites a file that is not a JSON object', () => {
    expect(() => edit('claude', '.claude.json', {}, '{broken')).toThrow(UnreadableHomeFile);
    expect(() => edit('gemini', '.gemini/trustedFolders.json', {}, '[1]')).toThrow(UnreadableHomeFile);
  });

  it('codex: config.toml trusts the cwd (read back as TOML), appended to an existing file once; auth.json holds the API key', () => {
    const toml = edit('codex', '.codex/config.toml', {})!;
    expect(readTomlDocument(toml)).toEqual({ projects: { [cwd]: { trust_level: 'trusted' } } });
    const existing = 'model = "o4"\n\n[mcp_servers.x]\ncommand = "x"\n';
    const appended = edit('codex', '.codex/config.toml', {}, existing)!;
    expect(appended.startsWith(existing)).toBe(true);
    expect(readTomlDocument(appended)).toEqual({ model: 'o4', mcp_servers: { x: { command: 'x' } }, projects: { [cwd]: { trust_level: 'trusted' } } });
    expect(edit('codex', '.codex/config.toml', {}, appended)).toBeUndefined();
    expect(homeEdits('codex', { cwd, env: {} }).map((e) => e.path)).toEqual(['.codex/config.toml']);
    expect(JSON.parse(edit('codex', '.codex/auth.json', { OPENAI_API_KEY: 'sk-fake-1' })!)).toEqual({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-fake-1' });
    // a ChatGPT sign-in kept in a given home stays
    const chatgpt = JSON.stringify({ auth_mode: 'chatgpt', tokens: { id: 't' } });
    expect(edit('codex', '.codex/auth.json', { OPENAI_API_KEY: 'sk-fake-1' }, chatgpt)).toBeUndefined();
  });

  it('gemini and qwen: the cwd trusted; API-key auth selected only when their key is set and no choice was made', () => {
    expect(JSON.parse(edit('gemini', '.gemini/trustedFolders.json', {})!)).toEqual({ [cwd]: 'TRUST_FOLDER' });
    expect(JSON.parse(edit('gemini', '.gemini/settings.json', { GEMINI_API_KEY: 'k' })!)).toEqual({ security: { auth: { selectedType: 'gemini-api-key' } } });
    expect(homeEdits('gemini', { cwd, env: {} }).map((e) => e.path)).toEqual(['.gemini/trustedFolders.json']);
    const chosen = JSON.stringify({ ui: { theme: 'x' }, security: { auth: { selectedType: 'oauth-personal' } } });
    expect(edit('gemini', '.gemini/settings.json', { GEMINI_API_KEY: 'k' }, chosen)).toBeUndefined();
    expect(JSON.parse(edit('qwen', '.qwen/trustedFolders.json', {}, JSON.stringify({ '/a': 'DO_NOT_TRUST' }))!)).toEqual({ '/a': 'DO_NOT_TRUST', [cwd]: 'TRUST_FOLDER' });
    expect(JSON.parse(edit('qwen', '.qwen/settings.json', { OPENAI_API_KEY: 'k' })!)).toEqual({ security: { auth: { selectedType: 'openai' } } });
  });

  it('opencode: nothing to write', () => {
    expect(homeEdits('opencode', { cwd, env: { ANTHROPIC_API_KEY: KEY } })).toEqual([]);
  });
});
