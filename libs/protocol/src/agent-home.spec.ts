import { AgentHome, TaskSecrets, copiedSpecFields, parsePlanText, secretEnvName, TaskSpec } from './index.js';

const plan = (task: string) => `
name: homes
teams: [{ name: t }]
phases:
  - id: p
    tasks:
      - { id: a, team: t, role: A, command: [claude], agent: claude${task} }
`;

describe('home and secrets plan fields', () => {
  it('parses home and secrets and copies them into the task spec (names only)', () => {
    const parsed = parsePlanText(plan(', home: /srv/agent-home, secrets: { ANTHROPIC_API_KEY: anthropic, OPENAI_API_KEY: openai-ci }'));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const spec = copiedSpecFields(parsed.value.phases[0]!.tasks[0]!);
    expect(spec).toMatchObject({ home: '/srv/agent-home', secrets: { ANTHROPIC_API_KEY: 'anthropic', OPENAI_API_KEY: 'openai-ci' } });
    expect(TaskSpec.safeParse({ team: 't', role: 'A', command: ['x'], cpuPercent: 1, memoryMb: 1, priority: 0, ...spec }).success).toBe(true);
  });

  it('accepts scratch, shared and absolute dirs; refuses relative paths and ".."', () => {
    for (const ok of ['scratch', 'shared', '/var/lib/agent']) expect(AgentHome.safeParse(ok).success).toBe(true);
    for (const bad of ['home', './x', '/a/../b', '/a\nb']) expect(AgentHome.safeParse(bad).success).toBe(false);
  });

  it('validates env and secret names', () => {
    expect(TaskSecrets.safeParse({ ANTHROPIC_API_KEY: 'anthropic' }).success).toBe(true);
    for (const bad of [{ lower: 'x' }, { HOME: 'x' }, { SHOAL_TOKEN: 'x' }, { LD_PRELOAD: 'x' }, { KEY: '../etc/passwd' }, { KEY: 'a.b' }, { KEY: '' }, { KEY: '-x' }]) {
      expect(TaskSecrets.safeParse(bad).success).toBe(false);
    }
    const parsed = parsePlanText(plan(', secrets: { KEY: "../x" }'));
    expect(parsed.ok).toBe(false);
  });

  it('names the node-agent variable of a secret', () => {
    expect(secretEnvName('anthropic')).toBe('SHOAL_SECRET_ANTHROPIC');
    expect(secretEnvName('openai-ci')).toBe('SHOAL_SECRET_OPENAI_CI');
  });
});
