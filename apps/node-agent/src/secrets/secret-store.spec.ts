import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretStore, SecretUnavailableError, secretEnvOf } from './secret-store.js';

describe('SecretStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'shoal-secrets-')), 'secrets');
    mkdirSync(dir, { mode: 0o700 });
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
  const put = (name: string, value: string, mode = 0o600) => {
    writeFileSync(join(dir, name), value, { mode });
    chmodSync(join(dir, name), mode);
  };

  it('reads a 0600 file (one trailing newline dropped) before the environment', async () => {
    put('anthropic', 'sk-ant-fake-file\n');
    const store = new SecretStore(dir, { SHOAL_SECRET_ANTHROPIC: 'from-env' }, 'n1');
    expect(await store.get('anthropic')).toEqual({ value: 'sk-ant-fake-file', source: 'file' });
    put('multi', 'line1\nline2\n', 0o400);
    expect((await store.get('multi')).value).toBe('line1\nline2');
  });

  it('falls back to SHOAL_SECRET_<NAME> (upper case, - as _)', async () => {
    const store = new SecretStore(dir, secretEnvOf({ SHOAL_SECRET_OPENAI_CI: 'sk-fake-env', PATH: '/bin', SHOAL_SECRET_EMPTY: '' }), 'n1');
    expect(await store.get('openai-ci')).toEqual({ value: 'sk-fake-env', source: 'env' });
    await expect(store.get('empty')).rejects.toThrow(SecretUnavailableError);
  });

  it('refuses a group- or world-readable file with what to do (never falls back to the environment)', async () => {
    put('anthropic', 'sk-ant-fake', 0o644);
    const store = new SecretStore(dir, { SHOAL_SECRET_ANTHROPIC: 'x' }, 'n1');
    await expect(store.get('anthropic')).rejects.toThrow(`secret 'anthropic' on node n1: ${join(dir, 'anthropic')} is readable or writable by group or others (mode 0644); chmod 600 ${join(dir, 'anthropic')}`);
    put('g', 'v', 0o640);
    await expect(store.get('g')).rejects.toThrow(/mode 0640/);
  });

  it('refuses a symbolic link, an empty file and a file of another owner', async () => {
    put('real', 'v');
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    const store = new SecretStore(dir, {}, 'n1');
    await expect(store.get('link')).rejects.toThrow(/not a regular file/);
    put('empty', '');
    await expect(store.get('empty')).rejects.toThrow(/is empty/);
    const other = new SecretStore(dir, {}, 'n1', process.getuid!() + 1);
    await expect(other.get('real')).rejects.toThrow(/owned by uid/);
  });

  it('a missing secret names the node, the file and the variable; the message never holds a value', async () => {
    const store = new SecretStore(dir, { SHOAL_SECRET_OTHER: 'sk-should-not-show' }, 'n1');
    const err = await store.resolve({ ANTHROPIC_API_KEY: 'anthropic' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(SecretUnavailableError);
    expect((err as Error).message).toBe(`secret 'anthropic' not found on node n1: put it in ${join(dir, 'anthropic')} (mode 0600) or set SHOAL_SECRET_ANTHROPIC in the node-agent's environment`);
  });

  it('resolves all of a task secrets into env entries, with where each came from', async () => {
    put('anthropic', 'sk-a');
    const store = new SecretStore(dir, { SHOAL_SECRET_OPENAI: 'sk-o' }, 'n1');
    expect(await store.resolve({ ANTHROPIC_API_KEY: 'anthropic', OPENAI_API_KEY: 'openai', SECOND: 'anthropic' })).toEqual({
      env: { ANTHROPIC_API_KEY: 'sk-a', OPENAI_API_KEY: 'sk-o', SECOND: 'sk-a' },
      sources: { anthropic: 'file', openai: 'env' },
    });
    expect(await store.resolve(undefined)).toEqual({ env: {}, sources: {} });
  });
});
