import { AgentHome, SecretName, TaskSecrets } from './agent-home.js';
import { FORBIDDEN_ENV } from './plan-values.js';
import { refusal, decoded } from './schema-issues.spec-support.js';

// Every value is built inside the test that checks it: Stryker judges agent-home.ts per test.

/** A refused record key: the key's path and the messages of its own issues. */
function keyRefusal(value: unknown): { path: string; messages: string[] }[] {
  const r = TaskSecrets.safeParse(value);
  return (r.error?.issues ?? []).map((i) => {
    expect(i.code).toBe('invalid_key');
    const inner = i.code === 'invalid_key' ? i.issues : [];
    return { path: i.path.join('.'), messages: inner.map((n) => n.message) };
  });
}

describe('AgentHome messages', () => {
  it('decodes scratch, shared and an absolute path to themselves', () => {
    expect(decoded(AgentHome, 'scratch')).toBe('scratch');
    expect(decoded(AgentHome, 'shared')).toBe('shared');
    expect(decoded(AgentHome, '/home/agent/.homes/a b')).toBe('/home/agent/.homes/a b');
  });

  it('refuses a relative path, saying what a home may be', () => {
    expect(refusal(AgentHome, 'homes/agent')).toEqual([': must be "scratch", "shared" or an absolute path']);
  });

  it('refuses a ".." segment, naming it', () => {
    expect(refusal(AgentHome, '/home/../etc')).toEqual([': must not contain ".." segments']);
  });

  it('refuses a control character, naming it', () => {
    expect(refusal(AgentHome, '/home/a\nb')).toEqual([': must not contain control characters']);
  });
});

describe('SecretName message', () => {
  it('refuses a name starting with a dash, saying the rule', () => {
    expect(refusal(SecretName, '-token')).toEqual([': secret names are letters, digits, "_" and "-" (max 63), starting with a letter or digit']);
  });

  it('names the secret whose value is not a secret name', () => {
    expect(refusal(TaskSecrets, { API_KEY: 'bad name' })).toEqual(['API_KEY: secret names are letters, digits, "_" and "-" (max 63), starting with a letter or digit']);
  });
});

describe('TaskSecrets env names', () => {
  it('decodes a full valid map to itself', () => {
    const value = { ANTHROPIC_API_KEY: 'anthropic', _PRIVATE: 'p-1', A1_B2: 'x_y' };
    expect(decoded(TaskSecrets, value)).toEqual({ ANTHROPIC_API_KEY: 'anthropic', _PRIVATE: 'p-1', A1_B2: 'x_y' });
  });

  it('refuses a lower-case letter before a valid name (anchored at the start)', () => {
    expect(keyRefusal({ aFOO: 'x' })).toEqual([{ path: 'aFOO', messages: ['env names must match ^[A-Z_][A-Z0-9_]*$'] }]);
    expect(keyRefusal({ '-FOO': 'x' })).toEqual([{ path: '-FOO', messages: ['env names must match ^[A-Z_][A-Z0-9_]*$'] }]);
  });

  it('refuses a valid name followed by a bad character (anchored at the end)', () => {
    expect(keyRefusal({ FOO_bar: 'x' })).toEqual([{ path: 'FOO_bar', messages: ['env names must match ^[A-Z_][A-Z0-9_]*$'] }]);
    expect(keyRefusal({ 'FOO-': 'x' })).toEqual([{ path: 'FOO-', messages: ['env names must match ^[A-Z_][A-Z0-9_]*$'] }]);
  });

  it('refuses HOME, SHOAL_ variables and the forbidden ones, listing them comma-separated', () => {
    const message = 'must not be HOME, a SHOAL_ variable or one of LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, BASH_ENV, ENV, NODE_OPTIONS, PYTHONSTARTUP, PROMPT_COMMAND';
    expect(FORBIDDEN_ENV).toHaveLength(8);
    expect(keyRefusal({ HOME: 'x' })).toEqual([{ path: 'HOME', messages: [message] }]);
    expect(keyRefusal({ SHOAL_TOKEN: 'x' })).toEqual([{ path: 'SHOAL_TOKEN', messages: [message] }]);
    expect(keyRefusal({ LD_PRELOAD: 'x' })).toEqual([{ path: 'LD_PRELOAD', messages: [message] }]);
  });
});
