import { Id, ID_PATTERN, Role, ROLE_PATTERN, teamSession, toNodeId } from './ids.js';

/** The one issue a refused value raises: its path and message. */
function refusal(r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }): Array<[string, string]> {
  return (r.error?.issues ?? []).map((i) => [i.path.join('.'), i.message]);
}

const ID_MESSAGE = 'must match ^[a-z0-9][a-z0-9-]{0,62}$ (lower-case letters, digits, dashes; max 63)';
const ROLE_MESSAGE = 'must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$ (letters, digits, _ and -; max 63)';

describe('ID_PATTERN', () => {
  it.each(['a', 'z', '0', '9', 'm', 'a-', 'a--b', 'az09-', 'x-a', 'x-z', 'x-0', 'x-9', 'n1'])('accepts %p', (id) => {
    expect(ID_PATTERN.test(id)).toBe(true);
  });

  it('accepts 63 characters and refuses 64', () => {
    expect(ID_PATTERN.test('a'.repeat(63))).toBe(true);
    expect(ID_PATTERN.test('a'.repeat(64))).toBe(false);
    expect(ID_PATTERN.test(`0${'-'.repeat(62)}`)).toBe(true);
    expect(ID_PATTERN.test(`0${'-'.repeat(63)}`)).toBe(false);
  });

  it.each(['', '-a', '-', 'A', 'aB', 'Z', 'a_b', '_a', 'a.b', 'a*', 'a>', 'a b', 'é', '`a', '{a', '/a', ':a', 'a`', 'a{', 'a/', 'a:', 'a,'])(
    'refuses %p',
    (id) => {
      expect(ID_PATTERN.test(id)).toBe(false);
    },
  );

  it('is anchored at both ends: a valid id with a bad prefix or suffix is refused', () => {
    expect(ID_PATTERN.test('.node-a')).toBe(false);
    expect(ID_PATTERN.test('node-a.')).toBe(false);
    expect(ID_PATTERN.test('node-a\n')).toBe(false);
    expect(ID_PATTERN.test('Xnode-a')).toBe(false);
    expect(ID_PATTERN.test('node-aX')).toBe(false);
  });
});

describe('ROLE_PATTERN', () => {
  it.each(['A', 'Z', 'a', 'z', '0', '9', 'M', 'Frontend-Dev', 'x_y', 'x-y', 'xA', 'xZ', 'xa', 'xz', 'x0', 'x9', 'a_', 'a-', 'a__--'])('accepts %p', (role) => {
    expect(ROLE_PATTERN.test(role)).toBe(true);
  });

  it('accepts 63 characters and refuses 64', () => {
    expect(ROLE_PATTERN.test('R'.repeat(63))).toBe(true);
    expect(ROLE_PATTERN.test('R'.repeat(64))).toBe(false);
    expect(ROLE_PATTERN.test(`R${'_'.repeat(62)}`)).toBe(true);
    expect(ROLE_PATTERN.test(`R${'_'.repeat(63)}`)).toBe(false);
  });

  it.each(['', '_a', '-a', '_', '-', 'a.b', 'a b', 'a*', 'é', '@a', '[a', '`a', '{a', '/a', ':a', 'a@', 'a[', 'a`', 'a{', 'a/', 'a:', 'a^'])('refuses %p', (role) => {
    expect(ROLE_PATTERN.test(role)).toBe(false);
  });

  it('is anchored at both ends: a valid role with a bad prefix or suffix is refused', () => {
    expect(ROLE_PATTERN.test('.Dev')).toBe(false);
    expect(ROLE_PATTERN.test('Dev.')).toBe(false);
    expect(ROLE_PATTERN.test('Dev\n')).toBe(false);
    expect(ROLE_PATTERN.test(' Dev')).toBe(false);
  });
});

describe('Id schema', () => {
  it('decodes a valid id to itself', () => {
    expect(Id.parse('node-a')).toBe('node-a');
    expect(Id.parse('a'.repeat(63))).toBe('a'.repeat(63));
  });

  it('refuses with the pattern message at the root', () => {
    expect(refusal(Id.safeParse('Node'))).toEqual([['', ID_MESSAGE]]);
    expect(refusal(Id.safeParse('a'.repeat(64)))).toEqual([['', ID_MESSAGE]]);
    expect(refusal(Id.safeParse(''))).toEqual([['', ID_MESSAGE]]);
    expect(refusal(Id.safeParse('a.b'))).toEqual([['', ID_MESSAGE]]);
  });

  it('refuses non-strings', () => {
    expect(Id.safeParse(1).success).toBe(false);
    expect(Id.safeParse(undefined).success).toBe(false);
  });
});

describe('Role schema', () => {
  it('decodes a valid role to itself', () => {
    expect(Role.parse('Frontend-Dev')).toBe('Frontend-Dev');
    expect(Role.parse('R'.repeat(63))).toBe('R'.repeat(63));
  });

  it('refuses with the pattern message at the root', () => {
    expect(refusal(Role.safeParse('_dev'))).toEqual([['', ROLE_MESSAGE]]);
    expect(refusal(Role.safeParse('R'.repeat(64)))).toEqual([['', ROLE_MESSAGE]]);
    expect(refusal(Role.safeParse(''))).toEqual([['', ROLE_MESSAGE]]);
    expect(refusal(Role.safeParse('front end'))).toEqual([['', ROLE_MESSAGE]]);
  });

  it('refuses non-strings', () => {
    expect(Role.safeParse(7).success).toBe(false);
  });
});

describe('teamSession', () => {
  it('prefixes the team with Task-', () => {
    expect(teamSession('frontend')).toBe('Task-frontend');
    expect(teamSession('')).toBe('Task-');
  });
});

describe('toNodeId', () => {
  it.each([
    ['node-a', 'node-a'],
    ['az09-', 'az09-'],
    ['NODE-A', 'node-a'],
    ['My_Host.Local', 'my-host-local'],
    ['a..__ b', 'a-b'],
    ['a.b.c', 'a-b-c'],
    ['a-b', 'a-b'],
    ['a--b', 'a--b'],
    ['a.-b', 'a--b'],
    ['a.', 'a-'],
    ['--a', 'a'],
    ['-', 'node'],
    ['...a', 'a'],
    ['.-.a-b', 'a-b'],
    ['Ünïcode', 'n-code'],
    ['x', 'x'],
    ['0', '0'],
    ['', 'node'],
    ['...', 'node'],
    ['___', 'node'],
  ])('maps %p to %p', (host, id) => {
    expect(toNodeId(host)).toBe(id);
  });

  it('cuts at 63 characters after stripping leading dashes', () => {
    expect(toNodeId('a'.repeat(63))).toBe('a'.repeat(63));
    expect(toNodeId('a'.repeat(64))).toBe('a'.repeat(63));
    expect(toNodeId(`${'b'.repeat(62)}cd`)).toBe(`${'b'.repeat(62)}c`);
    expect(toNodeId(`--${'a'.repeat(63)}`)).toBe('a'.repeat(63));
    expect(toNodeId(`..${'a'.repeat(62)}Z`)).toBe(`${'a'.repeat(62)}z`);
  });
});
