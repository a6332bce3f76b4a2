import type { FieldIssue } from './errors.js';
import { type Result, validatePlanObject } from './plan-loader.js';

/**
 * The plan's `mcp:` field at its edges: how many servers and headers it takes, which URLs an
 * HTTP server may have, and entries or lists of the wrong shape. Every value is built inside the
 * test that checks it.
 */

type Obj = Record<string, any>;
const T = 'phases[0].tasks[0]';

function planWith(task: Obj): Obj {
  return {
    name: 'demo',
    teams: [{ name: 'fe' }],
    phases: [{ id: 'one', tasks: [{ id: 'lead', team: 'fe', role: 'Lead', command: ['claude'], agent: 'claude', ...task }] }],
  };
}

function issuesOf<T>(r: Result<T>): FieldIssue[] {
  if (r.ok) throw new Error(`expected the plan to be refused, got ${JSON.stringify(r.value)}`);
  return r.issues;
}

function acceptedMcp(mcp: unknown): Obj {
  const r = validatePlanObject(planWith({ mcp }));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.phases[0]!.tasks[0]!.mcp as Obj;
}

function servers(count: number): Obj {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`s${i}`, { command: 'npx' }]));
}

function headers(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`X-H${i}`, 'v']));
}

const ENTRY_HELP = 'a preset name (serena, sequential-thinking, context7, eslint), true, false, {preset, env?}, {command, args?, env?} or {url, headers?}';

describe('plan field mcp: how many servers', () => {
  it('takes exactly 32 servers', () => {
    expect(Object.keys(acceptedMcp(servers(32)))).toHaveLength(32);
  });

  it('refuses 33 servers with "at most 32 MCP servers" on the field', () => {
    expect(issuesOf(validatePlanObject(planWith({ mcp: servers(33) })))).toContainEqual({ path: `${T}.mcp`, message: 'at most 32 MCP servers' });
  });
});

describe('plan field mcp: headers of an HTTP server', () => {
  it('takes exactly 32 headers', () => {
    const mcp = acceptedMcp({ docs: { url: 'https://docs.example/mcp', headers: headers(32) } });
    expect(Object.keys(mcp.docs.headers)).toHaveLength(32);
  });

  it('refuses 33 headers with "at most 32 headers"', () => {
    const issues = issuesOf(validatePlanObject(planWith({ mcp: { docs: { url: 'https://docs.example/mcp', headers: headers(33) } } })));
    expect(issues).toContainEqual({ path: `${T}.mcp.docs.headers`, message: 'at most 32 headers' });
  });
});

describe('plan field mcp: the URL of an HTTP server', () => {
  it.each(['http://10.0.0.5:8080/mcp', 'HTTP://Docs.Example/mcp', 'https://docs.example/mcp'])('takes %s', (url) => {
    expect(acceptedMcp({ docs: { url } }).docs).toEqual({ url });
  });

  it.each([
    ['another scheme with a host', 'ftp://docs.example/mcp'],
    ['a websocket URL', 'wss://docs.example/mcp'],
    ['a file URL with a host', 'file://server/share/mcp'],
    ['text that does not parse as a URL', 'not a url'],
    ['a scheme without a host', 'https://'],
    ['a path without a scheme', '/mcp'],
  ])('refuses %s (%s)', (_what, url) => {
    expect(issuesOf(validatePlanObject(planWith({ mcp: { docs: { url } } })))).toContainEqual({ path: `${T}.mcp.docs.url`, message: 'must be an http:// or https:// URL' });
  });
});

describe('plan field mcp: entries and lists of the wrong shape', () => {
  it.each([
    ['a number', 5],
    ['null', null],
    ['a list', ['serena']],
  ])('refuses %s as an entry, naming the forms an entry may take', (_what, entry) => {
    expect(issuesOf(validatePlanObject(planWith({ mcp: { docs: entry } })))).toContainEqual({ path: `${T}.mcp.docs`, message: `must be ${ENTRY_HELP}` });
  });

  it.each([
    ['a preset name and an object', ['serena', { url: 'https://docs.example/mcp' }]],
    ['a preset name and a number', ['serena', 5]],
  ])('refuses a list mixing %s as a whole: only a list of names becomes a map', (_what, mcp) => {
    const issues = issuesOf(validatePlanObject(planWith({ mcp })));
    expect(issues).toEqual([{ path: `${T}.mcp`, message: expect.stringMatching(/^must be a list of MCP preset names/) }]);
  });
});
