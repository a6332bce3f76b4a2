import { CompiledTask, TASK_SPEC_KEYS, TaskDispatched, attemptKey, batchKey, decode, encode, phaseKey, pickTaskSpec, PROTOCOL_VERSION, parsePlanText, taskKey } from '@shoal/protocol';
import { compilePlan } from './graph.js';

const PLAN = `
name: flow
teams: [{ name: fe, checkin: 20m }]
phases:
  - id: build
    tasks:
      - id: lead
        team: fe
        role: Lead
        command: [claude]
        agent: claude
        prompt: "Write the README"
        on_stall: restart
        on_waiting: checkin
        on_memory_exceeded: notify
        memory_restarts: 2
        restart_every: 2h
        timeout: 90m
        batch: docs
        cwd: /srv/app
        env: { MODE: ci }
        labels: { tier: gold }
        cache: { ttl: 1h }
      - { id: plain, team: fe, role: Dev, command: [make], retries: 2 }
`;

function compiled() {
  const parsed = parsePlanText(PLAN);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const c = compilePlan(parsed.value);
  if (!c.ok) throw new Error(JSON.stringify(c.issues));
  return c.value;
}

describe('the task spec is declared once: plan -> compiled task -> task.dispatched', () => {
  it('copies every plan field named in PLAN_TO_SPEC into the compiled task, durations in ms', () => {
    const lead = compiled().tasks.get('lead')!;
    expect(lead).toMatchObject({
      agent: 'claude',
      prompt: 'Write the README',
      onStall: 'restart',
      onWaiting: 'checkin',
      onMemoryExceeded: 'notify',
      memoryRestarts: 2,
      restartEveryMs: 2 * 3_600_000,
      timeoutMs: 90 * 60_000,
      batch: 'docs',
      cwd: '/srv/app',
      env: { MODE: 'ci' },
      checkinMs: 20 * 60_000,
      memoryMb: 384,
      onNodeLost: 'wait',
    });
    expect(CompiledTask.safeParse(lead).success).toBe(true);
  });

  it('leaves fields the plan does not set absent, not undefined', () => {
    const plain = compiled().tasks.get('plain')!;
    for (const k of ['agent', 'prompt', 'onStall', 'onWaiting', 'batch', 'cwd', 'env', 'timeoutMs', 'checkinMs']) expect(Object.keys(plain)).not.toContain(k);
    expect(plain.maxAttempts).toBe(3);
  });

  it('puts exactly the TaskSpec fields on the wire, and the message decodes', () => {
    const lead = compiled().tasks.get('lead')!;
    const spec = pickTaskSpec(lead);
    expect(Object.keys(spec).every((k) => (TASK_SPEC_KEYS as string[]).includes(k))).toBe(true);
    for (const k of ['id', 'phaseId', 'maxAttempts', 'labels', 'requires', 'dependsOn', 'cache']) expect(Object.keys(spec)).not.toContain(k);
    const msg: TaskDispatched = { v: PROTOCOL_VERSION, kind: 'task.dispatched', runId: 'r1', taskId: lead.id, attempt: 1, phaseId: lead.phaseId, nodeId: 'n1', dispatchedAt: 1, ...spec };
    const back = decode('work', encode('work', msg));
    expect(back.ok && back.value).toMatchObject({ onStall: 'restart', onWaiting: 'checkin', prompt: 'Write the README', batch: 'docs' });
  });

  it('refuses an unknown stall or waiting policy on the wire, naming the field', () => {
    const lead = compiled().tasks.get('lead')!;
    const bad = { v: PROTOCOL_VERSION, kind: 'task.dispatched', runId: 'r1', taskId: 'lead', attempt: 1, phaseId: 'build', nodeId: 'n1', dispatchedAt: 1, ...pickTaskSpec(lead), onStall: 'explode' };
    const r = decode('work', new TextEncoder().encode(JSON.stringify(bad)));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.issues.map((i) => i.path)).toContain('onStall');
  });
});

describe('plan fields of the agent policies', () => {
  const issues = (task: string) => {
    const r = parsePlanText(`name: p\nteams: [{ name: fe }]\nphases: [{ id: a, tasks: [{ id: t, team: fe, role: R, command: [x], ${task} }] }]`);
    return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
  };
  it.each([
    ['on_stall: explode', 'on_stall'],
    ['on_waiting: restart', 'on_waiting'],
    ['prompt: "  "', 'prompt'],
    ['prompt: "two\\nlines"', 'prompt'],
  ])('refuses %s and names the field', (field, path) => {
    expect(issues(field).join('\n')).toContain(`.${path}`);
  });
  it('accepts every documented value', () => {
    for (const v of ['notify', 'restart', 'fail']) expect(issues(`on_stall: ${v}`)).toEqual([]);
    for (const v of ['notify', 'checkin']) expect(issues(`on_waiting: ${v}`)).toEqual([]);
  });
});

describe('key formats have one home', () => {
  it('builds task, phase, batch and attempt keys', () => {
    expect(taskKey('r1', 't1')).toBe('r1/t1');
    expect(phaseKey('r1', 'p1')).toBe('r1/p1');
    expect(batchKey('r1', 'b1')).toBe('r1/b1');
    expect(attemptKey('r1', 't1', 3)).toBe('r1.t1.3');
  });
});
