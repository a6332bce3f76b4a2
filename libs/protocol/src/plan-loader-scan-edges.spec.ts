/**
 * The plan loader's scanners at their edges, where mutation testing left survivors (issue 15):
 * the shape walk (values at exactly one level past the depth limit, and where it stops after the
 * problem cap), the text pre-check of nesting (an unterminated JSON string), and the JSON
 * duplicate-key scan (backslashes before a closing quote, bare string documents, which keys are
 * decoded), plus which texts take the JSON fast path at all.
 */
import { jest } from '@jest/globals';
import type { FieldIssue } from './errors.js';
import { MAX_ISSUES, type Result, duplicateKey, parsePlanText, validatePlanObject } from './plan-loader.js';

type Obj = Record<string, any>;

function withTask(patch: Obj = {}): Obj {
  return { name: 'demo', teams: [{ name: 'fe' }], phases: [{ id: 'one', tasks: [{ id: 'build', team: 'fe', role: 'R', command: ['true'], ...patch }] }] };
}
function issuesOf<T>(r: Result<T>): FieldIssue[] {
  if (r.ok) throw new Error(`expected the plan to be refused, got ${JSON.stringify(r.value)}`);
  return r.issues;
}
/** `levels` arrays nested in one another, the innermost holding `leaf`. */
function arrays(levels: number, leaf: unknown): unknown {
  let v: unknown = [leaf];
  for (let i = 1; i < levels; i++) v = [v];
  return v;
}
/** `levels` objects nested under the key `k`, the innermost holding `leaf`. */
function objects(levels: number, leaf: unknown): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = { k: v };
  return v;
}

describe('shape walk: only objects and arrays are levels', () => {
  // description sits at level 1; the innermost container of 32 is at level 32, its value at 33
  it.each([
    ['a string', 'x'],
    ['null', null],
    ['a number', 7],
    ['a boolean', true],
  ])('%s inside 32 nested arrays is not a 33rd level (the schema answers instead)', (_what, leaf) => {
    const p = { ...withTask(), description: arrays(32, leaf) };
    expect(issuesOf(validatePlanObject(p))).toEqual([{ path: 'description', message: 'Invalid input: expected string, received array' }]);
  });

  it('33 nested arrays are refused at the 33rd (the check itself works here)', () => {
    const p = { ...withTask(), description: arrays(33, 'x') };
    expect(issuesOf(validatePlanObject(p))).toEqual([{ path: `description${'[0]'.repeat(32)}`, message: 'nested deeper than 32 levels' }]);
  });

  it('null inside 32 nested objects is not a 33rd level', () => {
    const p = { ...withTask(), description: objects(32, null) };
    expect(issuesOf(validatePlanObject(p))).toEqual([{ path: 'description', message: 'Invalid input: expected string, received object' }]);
  });
});

describe('shape walk: it stops looking after the problem cap', () => {
  /** `n` top-level fields each holding a forbidden key, then a field whose inner value counts its reads. */
  const poisoned = (n: number) => {
    const data: Obj = JSON.parse(`{${Array.from({ length: n }, (_, i) => `"a${i}":{"__proto__":1}`).join(',')}}`);
    const seen = { reads: 0 };
    data.late = {
      get x() {
        seen.reads++;
        return 'x';
      },
    };
    return { data, seen };
  };

  it(`after ${MAX_ISSUES + 1} problems the values still to walk are never read`, () => {
    const { data, seen } = poisoned(MAX_ISSUES + 1);
    const issues = issuesOf(validatePlanObject(data));
    expect(issues).toHaveLength(MAX_ISSUES + 1);
    expect(issues[0]).toEqual({ path: 'a0.__proto__', message: 'forbidden key' });
    expect(issues[MAX_ISSUES - 1]).toEqual({ path: `a${MAX_ISSUES - 1}.__proto__`, message: 'forbidden key' });
    expect(issues[MAX_ISSUES]).toEqual({ path: '', message: `and more problem(s): the check stopped after the first ${MAX_ISSUES}` });
    expect(seen.reads).toBe(0);
  });

  it(`with exactly ${MAX_ISSUES} problems the walk goes on and reads the rest`, () => {
    const { data, seen } = poisoned(MAX_ISSUES);
    const issues = issuesOf(validatePlanObject(data));
    expect(issues).toHaveLength(MAX_ISSUES);
    expect(issues[MAX_ISSUES - 1]).toEqual({ path: `a${MAX_ISSUES - 1}.__proto__`, message: 'forbidden key' });
    expect(seen.reads).toBe(1);
  });
});

describe('text pre-check: an unterminated JSON string', () => {
  it.each([
    ['ends in a letter', '{"name": "demo'],
    ['ends in a backslash', '{"name": "demo\\'],
    ['ends after an escaped quote', '{"name": "de\\"mo'],
  ])('%s: the scan stops at the end of the text and the YAML parser words the error', (_what, text) => {
    expect(issuesOf(parsePlanText(text))).toEqual([
      { path: '', message: 'not valid YAML or JSON: Missing closing "quote' },
      { path: '', message: 'not valid YAML or JSON: Flow map must end with a }' },
    ]);
  });
});

describe('the JSON fast path is for texts starting with "{" only', () => {
  it('a JSON array with a duplicate key is read by the YAML parser, with its wording', () => {
    expect(issuesOf(parsePlanText('[{"a":1,"a":2}]'))).toEqual([{ path: '', message: 'not valid YAML or JSON: Map keys must be unique' }]);
  });

  it('a JSON object with the same duplicate is caught by the fast scan, with its path', () => {
    expect(issuesOf(parsePlanText('{"x":[{"a":1,"a":2}]}'))).toEqual([{ path: 'x[0].a', message: 'not valid YAML or JSON: duplicate key "a"' }]);
  });
});

describe('duplicate-key scan: backslashes before a closing quote', () => {
  it('a key ending in an escaped backslash ends at its quote (two backslashes do not escape it)', () => {
    // the text {"k\\":1,"k\\":2}: the key is k followed by one backslash, twice
    expect(duplicateKey('{"k\\\\":1,"k\\\\":2}')).toEqual({ key: 'k\\', path: 'k\\' });
    expect(duplicateKey('{"a\\\\":1,"b":1,"b":2}')).toEqual({ key: 'b', path: 'b' });
  });

  it('three backslashes: an escaped backslash then an escaped quote, the key goes on', () => {
    // the text {"a\\\"b":1,"a\\\"b":2}: the key is a, backslash, quote, b
    expect(duplicateKey('{"a\\\\\\"b":1,"a\\\\\\"b":2}')).toEqual({ key: 'a\\"b', path: 'a\\"b' });
    expect(duplicateKey('{"a\\\\\\"b":1,"a\\\\":2}')).toBeUndefined();
  });

  it('a bare JSON string is text, even when it spells an object with a duplicate key', () => {
    expect(duplicateKey('"{\\"a\\":1,\\"a\\":2}"')).toBeUndefined();
    expect(duplicateKey('"a"')).toBeUndefined();
  });
});

describe('duplicate-key scan: only keys with an escape are decoded', () => {
  // the fast path's cost: a plain key is compared as written, JSON.parse runs only for a key with a backslash
  it('a plan without escapes is scanned without decoding any key', () => {
    const text = JSON.stringify(withTask({ env: { A: 'x', B: 'y' } }));
    const spy = jest.spyOn(JSON, 'parse');
    try {
      expect(duplicateKey(text)).toBeUndefined();
      expect(spy).toHaveBeenCalledTimes(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('the one escaped key is decoded, and matches its plain twin', () => {
    const spy = jest.spyOn(JSON, 'parse');
    try {
      expect(duplicateKey('{"name":"x","na\\u006de":"y"}')).toEqual({ key: 'name', path: 'name' });
      expect(spy.mock.calls).toEqual([['"na\\u006de"']]);
    } finally {
      spy.mockRestore();
    }
  });
});
