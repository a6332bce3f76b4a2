import {
  type CompiledTask,
  type FieldIssue,
  type FailurePolicy,
  type Plan,
  type PlanTask,
  type Result,
  TASK_DEFAULTS,
  COMMIT_EVERY,
  LOST_AFTER,
  copiedSpecFields,
  resolveTaskMcp,
} from '@shoal/protocol';
import { checkinFields, defaultMemoryMb, isInteractive } from './agent-defaults.js';
import { batchIssues, sameBatch } from './batches.js';

export type { CompiledTask } from '@shoal/protocol';

/** A phase node of the graph. */
export interface CompiledPhase {
  id: string;
  dependsOn: string[];
  dependents: string[];
  failurePolicy: FailurePolicy;
  taskIds: string[];
}

/** A validated plan as a DAG of phases, each a DAG of tasks. */
export interface CompiledPlan {
  name: string;
  phases: Map<string, CompiledPhase>;
  tasks: Map<string, CompiledTask>;
  /** Phase ids in a topological order (dependencies first). */
  order: string[];
}

/**
 * Checks what the schema cannot: unique ids, known teams and dependencies, no self edges,
 * no cycles (the cycle is shown as `a -> b -> a`), one window per role per team in a phase (members
 * of one batch share theirs), batches that one session can run (see {@link batchIssues}).
 * Every problem is reported, each with its field path.
 */
export function compilePlan(plan: Plan): Result<CompiledPlan> {
  const issues: FieldIssue[] = [];
  const teams = new Set<string>();
  plan.teams.forEach((t, i) => {
    if (teams.has(t.name)) issues.push({ path: `teams[${i}].name`, message: `duplicate team "${t.name}"` });
    teams.add(t.name);
  });

  const phaseIndex = new Map<string, number>();
  plan.phases.forEach((p, i) => {
    if (phaseIndex.has(p.id)) issues.push({ path: `phases[${i}].id`, message: `duplicate phase id "${p.id}" (also phases[${phaseIndex.get(p.id)}])` });
    else phaseIndex.set(p.id, i);
  });

  const taskPath = new Map<string, string>();
  const tasks = new Map<string, CompiledTask>();
  plan.phases.forEach((p, i) => {
    const roles = new Map<string, PlanTask>();
    p.tasks.forEach((t, j) => {
      const path = `phases[${i}].tasks[${j}]`;
      if (taskPath.has(t.id)) issues.push({ path: `${path}.id`, message: `duplicate task id "${t.id}" (also ${taskPath.get(t.id)})` });
      else taskPath.set(t.id, path);
      if (!teams.has(t.team)) issues.push({ path: `${path}.team`, message: `unknown team "${t.team}"; declared teams: ${[...teams].join(', ')}` });
      const window = `${t.team}/${t.role}`;
      const holder = roles.get(window);
      if (holder && !sameBatch(holder, t)) issues.push({ path: `${path}.role`, message: `role "${t.role}" of team "${t.team}" is already used in this phase by ${holder.id} (one window per role)` });
      else if (!holder) roles.set(window, t);
      if (!tasks.has(t.id)) tasks.set(t.id, compileTask(t, p.id, plan.teams.find((x) => x.name === t.team)?.commit_every));
    });
  });

  issues.push(...batchIssues(plan));
  for (const p of plan.phases) for (const t of p.tasks) Object.assign(tasks.get(t.id) ?? {}, checkinFields(t, plan.teams.find((x) => x.name === t.team)));
  for (const p of plan.phases) {
    for (const t of p.tasks) {
      const mcp = resolveTaskMcp(plan.teams.find((x) => x.name === t.team)?.mcp, t.mcp, t.agent);
      if (mcp) Object.assign(tasks.get(t.id) ?? {}, { mcp });
    }
  }

  const phases = new Map<string, CompiledPhase>();
  plan.phases.forEach((p, i) => {
    const deps = unique(p.depends_on ?? []);
    (p.depends_on ?? []).forEach((d, k, all) => {
      if (all.indexOf(d) !== k) return;
      const path = `phases[${i}].depends_on[${k}]`;
      if (d === p.id) issues.push({ path, message: `phase "${p.id}" depends on itself` });
      else if (!phaseIndex.has(d)) issues.push({ path, message: `unknown phase "${d}"; phases are: ${[...phaseIndex.keys()].join(', ')}` });
    });
    if (!phases.has(p.id)) {
      phases.set(p.id, { id: p.id, dependsOn: deps.filter((d) => d !== p.id && phaseIndex.has(d)), dependents: [], failurePolicy: p.failure_policy ?? 'fail-fast', taskIds: p.tasks.map((t) => t.id) });
    }
    const local = new Set(p.tasks.map((t) => t.id));
    p.tasks.forEach((t, j) => {
      (t.depends_on ?? []).forEach((d, k) => {
        const path = `phases[${i}].tasks[${j}].depends_on[${k}]`;
        if (d === t.id) issues.push({ path, message: `task "${t.id}" depends on itself` });
        else if (!local.has(d)) {
          issues.push({ path, message: taskPath.has(d) ? `task "${d}" is in another phase: order phases with the phase's depends_on instead` : `unknown task "${d}" in phase "${p.id}"` });
        }
      });
    });
  });
  for (const p of phases.values()) for (const d of p.dependsOn) phases.get(d)?.dependents.push(p.id);

  const phaseCycle = findCycle([...phases.keys()], (id) => phases.get(id)?.dependsOn ?? []);
  if (phaseCycle) issues.push({ path: 'phases', message: `dependency cycle: ${phaseCycle.join(' -> ')}` });
  plan.phases.forEach((p, i) => {
    // a Set, not p.tasks.some(...) per edge: 2,000 tasks x 200 dependencies took 1.7 s
    const inPhase = new Set(p.tasks.map((t) => t.id));
    const depsOf = (id: string) => (tasks.get(id)?.dependsOn ?? []).filter((d) => d !== id && inPhase.has(d));
    const cycle = findCycle(p.tasks.map((t) => t.id), depsOf);
    if (cycle) issues.push({ path: `phases[${i}].tasks`, message: `dependency cycle: ${cycle.join(' -> ')}` });
  });

  if (issues.length) return { ok: false, issues };
  return { ok: true, value: { name: plan.name, phases, tasks, order: topoOrder([...phases.keys()], (id) => phases.get(id)!.dependsOn) } };
}

function compileTask(t: PlanTask, phaseId: string, teamCommitEveryMs?: number): CompiledTask {
  return {
    ...copiedSpecFields(t),
    ...(t.repo ? { repo: t.repo, commitEveryMs: t.commit_every ?? teamCommitEveryMs ?? COMMIT_EVERY.default } : {}),
    id: t.id,
    phaseId,
    team: t.team,
    role: t.role,
    command: t.command,
    cpuPercent: t.resources?.cpu ?? TASK_DEFAULTS.cpu,
    memoryMb: defaultMemoryMb(t),
    maxAttempts: 1 + (t.retries ?? TASK_DEFAULTS.retries),
    priority: t.priority ?? TASK_DEFAULTS.priority,
    labels: t.labels ?? {},
    requires: t.requires ?? {},
    dependsOn: unique(t.depends_on ?? []),
    ...(t.cache ? { cache: { inputs: t.cache.inputs ?? [], ttlMs: t.cache.ttl } } : {}),
    onNodeLost: t.on_node_lost ?? (isInteractive(t) ? 'wait' : 'replace'),
    lostAfterMs: t.lost_after ?? LOST_AFTER.default,
  };
}

/** Finds one cycle in a directed graph (edges point to dependencies); returns it closed, e.g. [a, b, a]. */
export function findCycle(nodes: string[], edges: (id: string) => string[]): string[] | undefined {
  const color = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    color.set(n, 1);
    stack.push(n);
    for (const d of edges(n)) {
      const c = color.get(d);
      if (c === 1) return [...stack.slice(stack.indexOf(d)), d];
      if (c === undefined) {
        const found = visit(d);
        if (found) return found;
      }
    }
    stack.pop();
    color.set(n, 2);
    return undefined;
  };
  for (const n of [...nodes].sort()) {
    if (!color.has(n)) {
      const found = visit(n);
      if (found) return found.reverse();
    }
  }
  return undefined;
}

/** Kahn's algorithm; dependencies come before dependents, ties in declaration order. */
export function topoOrder(nodes: string[], edges: (id: string) => string[]): string[] {
  const indeg = new Map(nodes.map((n) => [n, edges(n).length]));
  const dependents = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const n of nodes) for (const d of edges(n)) dependents.get(d)?.push(n);
  const ready = nodes.filter((n) => indeg.get(n) === 0);
  const out: string[] = [];
  while (ready.length) {
    const n = ready.shift()!;
    out.push(n);
    for (const m of dependents.get(n) ?? []) {
      indeg.set(m, indeg.get(m)! - 1);
      if (indeg.get(m) === 0) ready.push(m);
    }
  }
  return out;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
