import { LeafSiteName, PutLeafSiteRequest } from './leaf-sites.js';

/** A real bcrypt hash ($2b$, cost 10): 7 characters of prefix, 53 of salt and hash. */
const HASH_BODY = 'N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';

function nameIssues(value: unknown): [PropertyKey[], string][] {
  const r = LeafSiteName.safeParse(value);
  if (r.success) throw new Error(`expected a refusal of ${JSON.stringify(value)}`);
  return r.error.issues.map((i) => [i.path, i.message]);
}

function hashIssues(value: unknown): [PropertyKey[], string, string][] {
  const r = PutLeafSiteRequest.safeParse(value);
  if (r.success) throw new Error(`expected a refusal of ${JSON.stringify(value)}`);
  return r.error.issues.map((i) => [i.path, i.code, i.message]);
}

describe('LeafSiteName', () => {
  it('takes lower-case letters and digits first, then letters, digits and dashes', () => {
    for (const ok of ['a', 'z', '0', '9', 'a-', 'a-b', 'z9', '0a', '9-z', 'site-01', 'a0z9-']) expect(LeafSiteName.parse(ok)).toBe(ok);
  });

  it('takes up to 31 characters, refuses 32', () => {
    expect(LeafSiteName.parse('a'.repeat(31))).toBe('a'.repeat(31));
    expect(LeafSiteName.parse(`a${'-'.repeat(30)}`)).toBe(`a${'-'.repeat(30)}`);
    expect(nameIssues('a'.repeat(32))).toEqual([[[], "lower-case letters, digits and '-' (at most 31)"]]);
  });

  it('refuses empty, upper case, a leading dash, other characters and anything around a valid name', () => {
    for (const bad of ['', '-', '-a', 'A', 'aB', 'Site', 'a_b', 'a.b', 'a b', 'é', '!a', 'a!', ' a', 'a\n', 'leaf/a']) {
      expect(nameIssues(bad)).toEqual([[[], expect.stringContaining("lower-case letters, digits and '-'")]]);
    }
  });

  it('refuses a non-string', () => {
    expect(LeafSiteName.safeParse(1).success).toBe(false);
  });
});

describe('PutLeafSiteRequest', () => {
  it('takes a bcrypt hash of each variant and returns it as given', () => {
    for (const v of ['2a', '2b', '2y']) {
      const passwordHash = `$${v}$10$${HASH_BODY}`;
      expect(PutLeafSiteRequest.parse({ passwordHash })).toStrictEqual({ passwordHash });
    }
  });

  it('takes every character of the bcrypt alphabet in the body, any two-digit cost', () => {
    const body = `./AZaz09${'x'.repeat(45)}`;
    expect(body).toHaveLength(53);
    expect(PutLeafSiteRequest.parse({ passwordHash: `$2b$04$${body}` }).passwordHash).toBe(`$2b$04$${body}`);
    expect(PutLeafSiteRequest.parse({ passwordHash: `$2y$99$${'Mm'.repeat(26)}5` }).passwordHash).toBe(`$2y$99$${'Mm'.repeat(26)}5`);
  });

  it('refuses other variants, costs and bodies, saying what it wants at passwordHash', () => {
    const bad = [
      `$2x$10$${HASH_BODY}`,
      `$2$10$${HASH_BODY}`,
      `$3b$10$${HASH_BODY}`,
      `$1b$10$${HASH_BODY}`,
      `2b$10$${HASH_BODY}`,
      `$2b10$${HASH_BODY}`,
      `$2b$1$${HASH_BODY}`,
      `$2b$100$${HASH_BODY}`,
      `$2b$1a$${HASH_BODY}`,
      `$2b$10${HASH_BODY}`,
      `$2b$10$${HASH_BODY.slice(1)}`,
      `$2b$10$${HASH_BODY}x`,
      `$2b$10$${HASH_BODY.slice(1)}+`,
      `$2b$10$${HASH_BODY.slice(1)}-`,
      `$2b$10$${HASH_BODY.slice(1)}$`,
      `x$2b$10$${HASH_BODY}`,
      `$2b$10$${HASH_BODY}\n`,
      'secret',
      '',
    ];
    for (const passwordHash of bad) {
      expect(hashIssues({ passwordHash })).toEqual([[['passwordHash'], 'invalid_format', 'must be a bcrypt hash ($2a$, $2b$ or $2y$)']]);
    }
  });

  it('needs the hash, and nothing else', () => {
    expect(hashIssues({})).toEqual([[['passwordHash'], 'invalid_type', expect.any(String)]]);
    expect(hashIssues({ passwordHash: `$2b$10$${HASH_BODY}`, password: 'x' })).toEqual([[[], 'unrecognized_keys', expect.stringContaining('password')]]);
  });
});
