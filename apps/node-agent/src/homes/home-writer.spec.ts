import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskDispatched } from '@shoal/protocol';
import { AgentHomes } from './home-writer.js';

const task = (over: Partial<TaskDispatched>): TaskDispatched => ({ runId: 'r-1', taskId: 'lead', attempt: 2, command: ['claude'], agent: 'claude', ...over }) as TaskDispatched;
const KEY = 'sk-ant-fake-000000000000000000000000000000000000';
const mode = (p: string) => statSync(p).mode & 0o777;

describe('AgentHomes', () => {
  let dir: string;
  let warnings: string[];
  let cwd: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'shoal-homes-')));
    cwd = join(dir, 'worktree');
    mkdirSync(cwd);
    warnings = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const homes = () => new AgentHomes(join(dir, 'data'), (m) => warnings.push(m));

  it('scratch (the default for an agent preset): <data>/homes/<attempt> 0700 with the CLI files 0600, HOME and XDG dirs inside; removed', async () => {
    const h = homes();
    const prepared = (await h.prepare(task({}), cwd, { ANTHROPIC_API_KEY: KEY }))!;
    const home = join(dir, 'data', 'homes', 'r-1.lead.2');
    expect(prepared).toMatchObject({ home, scratch: true, written: ['.claude.json'] });
    expect(prepared.env).toEqual({ HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share'), XDG_STATE_HOME: join(home, '.local/state'), XDG_CACHE_HOME: join(home, '.cache') });
    expect(mode(home)).toBe(0o700);
    expect(mode(join(home, '.claude.json'))).toBe(0o600);
    const json = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8'));
    expect(json.projects[cwd].hasTrustDialogAccepted).toBe(true);
    expect(json.customApiKeyResponses.approved).toEqual([KEY.slice(-20)]);
    h.removeNow(task({}));
    expect(existsSync(home)).toBe(false);
  });

  it('codex: its files in 0700 subdirectories, CODEX_HOME pointing there', async () => {
    const prepared = (await homes().prepare(task({ agent: 'codex', command: ['codex'] }), cwd, { OPENAI_API_KEY: 'sk-fake-1' }))!;
    const codexHome = join(prepared.home!, '.codex');
    expect(prepared.env.CODEX_HOME).toBe(codexHome);
    expect(prepared.written).toEqual(['.codex/config.toml', '.codex/auth.json']);
    expect(mode(codexHome)).toBe(0o700);
    for (const f of ['config.toml', 'auth.json']) expect(mode(join(codexHome, f))).toBe(0o600);
    expect(readFileSync(join(codexHome, 'config.toml'), 'utf8')).toContain(`[projects."${cwd}"]`);
  });

  it('trusts the physical path of the cwd, and the home itself when the task has no cwd', async () => {
    const h = homes();
    const p = (await h.prepare(task({ agent: 'gemini', command: ['gemini'] }), undefined, {}))!;
    expect(JSON.parse(readFileSync(join(p.home!, '.gemini/trustedFolders.json'), 'utf8'))).toEqual({ [p.home!]: 'TRUST_FOLDER' });
  });

  it('a given directory: created when missing, the user files kept, only Shoal keys set, kept after the task', async () => {
    const given = join(dir, 'agent-home');
    mkdirSync(given);
    writeFileSync(join(given, '.claude.json'), JSON.stringify({ theme: 'light', projects: { '/x': { a: 1 } } }));
    writeFileSync(join(given, 'notes.txt'), 'mine');
    const h = homes();
    const prepared = (await h.prepare(task({ home: given }), cwd, {}))!;
    expect(prepared).toMatchObject({ home: given, scratch: false });
    const json = JSON.parse(readFileSync(join(given, '.claude.json'), 'utf8'));
    expect(json).toEqual({ theme: 'light', hasCompletedOnboarding: true, projects: { '/x': { a: 1 }, [cwd]: { hasTrustDialogAccepted: true } } });
    h.removeNow(task({ home: given }));
    expect(readFileSync(join(given, 'notes.txt'), 'utf8')).toBe('mine');
    // a broken file is left alone, with a warning
    writeFileSync(join(given, '.claude.json'), '{oops');
    await h.prepare(task({ home: given }), cwd, {});
    expect(readFileSync(join(given, '.claude.json'), 'utf8')).toBe('{oops');
    expect(warnings.join('\n')).toMatch(/\.claude\.json left as it is: not valid JSON/);
  });

  it('clears scratch homes left by ended attempts, keeping recorded attempts and uid homes', () => {
    const h = homes();
    for (const name of ['r-1.a.1', 'r-1.b.2', '2000001']) mkdirSync(join(h.root, name), { recursive: true });
    const records = join(dir, 'data', 'attempts');
    mkdirSync(records);
    writeFileSync(join(records, 'r-1.b.2.json'), '{}');
    expect(h.clearLeftovers(records)).toEqual(['r-1.a.1']);
    expect(existsSync(join(h.root, 'r-1.b.2'))).toBe(true);
    expect(existsSync(join(h.root, '2000001'))).toBe(true);
    expect(new AgentHomes(join(dir, 'none'), () => undefined).clearLeftovers(records)).toEqual([]);
  });

  it('shared: nothing written, HOME untouched; refused when agents run unprivileged', async () => {
    const h = homes();
    expect(await h.prepare(task({ home: 'shared' }), cwd, {})).toEqual({ env: {}, written: [], scratch: false });
    await expect(h.prepare(task({ home: 'shared' }), cwd, {}, { uid: 2_000_000, gid: 100, home: join(dir, 'u') })).rejects.toThrow(/home: shared needs SHOAL_RUN_AS=off/);
  });

  it('no agent preset, or HOME set by the plan: no home prepared', async () => {
    const h = homes();
    expect(await h.prepare(task({ agent: undefined, command: ['make'] }), cwd, {})).toBeUndefined();
    expect(await h.prepare(task({ agent: 'shell', command: ['bash'] }), cwd, {})).toBeUndefined();
    expect(await h.prepare(task({ env: { HOME: '/srv/h' } }), cwd, {})).toBeUndefined();
  });

  it('under SHOAL_RUN_AS a scratch home is the attempt home RunAs made: prepared there, not removed by this writer', async () => {
    const own = join(dir, 'homes-uid');
    mkdirSync(own, { mode: 0o700 });
    const uid = process.getuid!();
    const gid = process.getgid!();
    const prepared = (await homes().prepare(task({}), cwd, {}, { uid, gid, home: own }))!;
    expect(prepared).toMatchObject({ home: own, scratch: false });
    expect(statSync(join(own, '.claude.json')).uid).toBe(uid);
  });
});
