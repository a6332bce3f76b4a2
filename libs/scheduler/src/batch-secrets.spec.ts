import { validatePlanObject } from '@shoal/protocol';
import { compilePlan } from './graph.js';

describe('compilePlan: batches and secrets/home', () => {
  const compile = (extra: Record<string, unknown>) => {
    const v = validatePlanObject({ name: 'b', teams: [{ name: 'fe' }], phases: [{ id: 'p', tasks: [{ id: 'a', team: 'fe', role: 'Docs', command: ['claude'], agent: 'claude', prompt: 'x', batch: 'docs', ...extra }] }] });
    if (!v.ok) throw new Error(JSON.stringify(v.issues));
    return compilePlan(v.value);
  };

  it('refuses secrets and home on a batch member (a batch session starts without them)', () => {
    const r = compile({ secrets: { ANTHROPIC_API_KEY: 'anthropic' }, home: 'shared' });
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual(['phases[0].tasks[0].secrets', 'phases[0].tasks[0].home']);
    expect(compile({}).ok).toBe(true);
  });
});
