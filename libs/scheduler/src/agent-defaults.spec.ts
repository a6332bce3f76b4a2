import { CHECKIN_DEFAULTS, loadPlan } from '@shoal/protocol';
import { compilePlan } from './graph.js';

const PLAN = `
name: agents
teams:
  - { name: fe, checkin: 2m, checkin_prompt: "Report please." }
  - { name: be }
phases:
  - id: one
    tasks:
      - { id: lead, team: fe, role: Lead, command: [claude], agent: claude }
      - { id: coder, team: be, role: Coder, command: [codex], agent: codex, resources: { memory: 700 } }
      - { id: sh, team: be, role: Shell, command: [bash], agent: shell }
      - { id: repl, team: be, role: Repl, command: [python3], interactive: true }
      - { id: plain, team: be, role: Build, command: [make] }
      - { id: quiet, team: fe, role: Quiet, command: [gemini], agent: gemini, interactive: false }
`;

describe('compilePlan: agent presets', () => {
  /** Compiled inside each test, not at load time, so Stryker judges graph.ts's mutants per test. */
  const task = (id: string) => {
    const compiled = compilePlan(loadPlan(PLAN));
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
    return compiled.value.tasks.get(id)!;
  };

  it('takes the memory budget from the preset unless the task sets one', () => {
    expect([task('lead'), task('coder'), task('sh'), task('repl'), task('plain'), task('quiet')].map((t) => t.memoryMb)).toEqual([384, 700, 256, 512, 512, 512]);
  });

  it('gives interactive tasks their team check-in (or the defaults), and no check-in to the others', () => {
    expect(task('lead')).toMatchObject({ agent: 'claude', checkinMs: 120_000, checkinPrompt: 'Report please.' });
    expect(task('repl')).toMatchObject({ interactive: true, checkinMs: CHECKIN_DEFAULTS.intervalMs, checkinPrompt: CHECKIN_DEFAULTS.prompt });
    for (const id of ['sh', 'plain', 'quiet']) expect(task(id).checkinMs).toBeUndefined();
    expect(task('plain')).not.toHaveProperty('agent');
  });
});
