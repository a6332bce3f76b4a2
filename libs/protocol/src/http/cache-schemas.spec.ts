import { CACHE_KEY_FORM, CACHE_NAMESPACE_FORM } from './cache.js';

// Every value is built inside the test that checks it: Stryker judges cache.ts per test.

describe('cache form texts (the messages of refused keys and namespaces)', () => {
  it('describe a key: 1-200 characters, the alphabet, and the dot rules', () => {
    expect(CACHE_KEY_FORM).toBe('1-200 of A-Z a-z 0-9 _ - = . (no leading, trailing or double dot)');
  });

  it('describe a namespace: the three forms and the id alphabet', () => {
    expect(CACHE_NAMESPACE_FORM).toBe('`global`, `run:<id>` or `team:<name>` (id/name: 1-64 of A-Z a-z 0-9 _ -)');
  });
});
