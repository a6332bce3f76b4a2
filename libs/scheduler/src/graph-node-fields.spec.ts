import { COMMIT_EVERY, loadPlan } from '@shoal/protocol';
import { compilePlan } from './graph.js';

const compile = (yaml: string) => {
  const r = compilePlan(loadPlan(yaml));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
};

describe('compilePlan: worktree and memory-policy fields', () => {
  it('takes commit_every from the task, else the team, else 30 minutes, and only with repo', () => {
    const p = compile(`
name: wt
teams: [{ name: a, commit_every: 1h }, { name: b }]
phases:
  - id: p
    tasks:
      - { id: t1, team: a, role: R1, command: ["true"], repo: /srv/x, commit_every: 2m }
      - { id: t2, team: a, role: R2, command: ["true"], repo: /srv/x }
      - { id: t3, team: b, role: R3, command: ["true"], repo: /srv/x }
      - { id: t4, team: a, role: R4, command: ["true"] }
`);
    expect(p.tasks.get('t1')).toMatchObject({ repo: '/srv/x', commitEveryMs: 120_000 });
    expect(p.tasks.get('t2')).toMatchObject({ repo: '/srv/x', commitEveryMs: 3_600_000 });
    expect(p.tasks.get('t3')).toMatchObject({ repo: '/srv/x', commitEveryMs: COMMIT_EVERY.default });
    expect(p.tasks.get('t4')!.repo).toBeUndefined();
    expect(p.tasks.get('t4')!.commitEveryMs).toBeUndefined();
  });

  it('carries the memory policy, restart count and periodic restart; absent means the node default (fail)', () => {
    const p = compile(`
name: mem
teams: [{ name: a }]
phases:
  - id: p
    tasks:
      - { id: t1, team: a, role: R1, command: ["true"], on_memory_exceeded: restart, memory_restarts: 2, restart_every: 6h }
      - { id: t2, team: a, role: R2, command: ["true"] }
`);
    expect(p.tasks.get('t1')).toMatchObject({ onMemoryExceeded: 'restart', memoryRestarts: 2, restartEveryMs: 6 * 3_600_000 });
    expect(p.tasks.get('t2')).not.toHaveProperty('onMemoryExceeded');
    expect(p.tasks.get('t2')).not.toHaveProperty('restartEveryMs');
  });
});
