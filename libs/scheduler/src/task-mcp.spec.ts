import { PROTOCOL_VERSION, type TaskDispatched, decode, encode, parsePlanText, pickTaskSpec } from '@shoal/protocol';
import { compilePlan } from './graph.js';

/** The plan's `mcp:` (team and task) reaches the compiled task and the wire as one resolved list. */
function compiled(text: string) {
  const parsed = parsePlanText(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const c = compilePlan(parsed.value);
  if (!c.ok) throw new Error(JSON.stringify(c.issues));
  return c.value.tasks;
}

const PLAN = `
name: mcp
teams:
  - { name: fe, mcp: [sequential-thinking, eslint] }
  - { name: be }
phases:
  - id: a
    tasks:
      - { id: lead, team: fe, role: Lead, agent: codex, command: [codex], mcp: { eslint: false, serena: true, shoal: false } }
      - { id: dev, team: fe, role: Dev, agent: gemini, command: [gemini] }
      - { id: api, team: be, role: Api, agent: claude, command: [claude] }
`;

describe('mcp from plan to task.dispatched', () => {
  it("lays the task's servers over its team's, expands presets for its agent, and leaves tasks without any untouched", () => {
    const tasks = compiled(PLAN);
    const lead = tasks.get('lead')!;
    expect(lead.mcp?.shoal).toBe(false);
    expect(lead.mcp?.servers.map((s) => s.name)).toEqual(['sequential-thinking', 'serena']);
    const serena = lead.mcp!.servers[1]!;
    expect(serena.transport === 'stdio' && serena.args.slice(4, 6)).toEqual(['--context', 'codex']);
    expect(tasks.get('dev')!.mcp).toEqual({ shoal: true, servers: [expect.objectContaining({ name: 'sequential-thinking' }), expect.objectContaining({ name: 'eslint' })] });
    expect(Object.keys(tasks.get('api')!)).not.toContain('mcp');
  });

  it('travels in task.dispatched and decodes', () => {
    const lead = compiled(PLAN).get('lead')!;
    const msg: TaskDispatched = { v: PROTOCOL_VERSION, kind: 'task.dispatched', runId: 'r1', taskId: 'lead', attempt: 1, phaseId: 'a', nodeId: 'n1', dispatchedAt: 1, ...pickTaskSpec(lead) };
    const back = decode('work', encode('work', msg));
    expect(back.ok && back.value.mcp).toEqual(lead.mcp);
  });
});
