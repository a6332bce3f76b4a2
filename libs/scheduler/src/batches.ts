import { type FieldIssue, type Plan, type PlanTask, TASK_DEFAULTS, batchKey } from '@shoal/protocol';
import { defaultMemoryMb, isInteractive } from './agent-defaults.js';

/** The first declared member of a batch: the one the others are compared with. */
interface BatchLead {
  task: PlanTask;
  phaseId: string;
}

/** One task as declared, with where it is. */
interface Placed {
  task: PlanTask;
  phaseId: string;
  path: string;
}

/**
 * Checks the batches of a plan (tasks sharing a `batch` key run one after another in one agent
 * session on one node, holding one budget): every member is in the first member's phase and
 * shares its team, role (one window), agent preset, interactivity and budget (CPU, memory); an
 * interactive member has a `prompt` (typed when its turn comes) and the same `command` (one agent
 * process runs every member); nothing a session cannot honour per member (`repo`,
 * `on_memory_exceeded: restart`; `restart_every` is not applied in a session). Each issue names
 * the field and the first member.
 */
export function batchIssues(plan: Plan): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const leads = new Map<string, BatchLead>();
  plan.phases.forEach((p, i) =>
    p.tasks.forEach((task, j) => {
      if (task.batch === undefined) return;
      const here: Placed = { task, phaseId: p.id, path: `phases[${i}].tasks[${j}]` };
      const lead = leads.get(task.batch);
      if (!lead) leads.set(task.batch, { task, phaseId: p.id });
      issues.push(...memberIssues(here, lead));
    }),
  );
  return issues;
}

/** The problems of one member against its batch's first member (none yet for the first itself). */
function memberIssues(m: Placed, lead: BatchLead | undefined): FieldIssue[] {
  const { task: t, path } = m;
  const b = `batch "${t.batch}"`;
  const out: FieldIssue[] = [];
  const add = (field: string, message: string) => out.push({ path: `${path}.${field}`, message: `${b} ${message}` });
  if (t.repo !== undefined) add('repo', 'cannot use repo: members share one session, not one worktree each');
  if (t.on_memory_exceeded === 'restart') add('on_memory_exceeded', 'cannot restart its session on memory: use fail or notify');
  // a batch session starts outside the attempt launcher: no prepared home, no secrets resolved (docs/agents.md "Prepared homes")
  if (t.secrets !== undefined) add('secrets', 'cannot use secrets yet: a batch session is started without them; give the key through a task without batch');
  if (t.home !== undefined) add('home', 'cannot choose a home yet: a batch session keeps the node\'s HOME');
  if (isInteractive(t) && t.prompt === undefined) add('prompt', 'runs an interactive agent: each member needs a prompt (typed when its turn comes)');
  if (!lead) return out;
  const l = lead.task;
  const first = `${l.id}`;
  if (m.phaseId !== lead.phaseId) add('batch', `runs in one phase: its first member ${first} is in phase "${lead.phaseId}", this task in "${m.phaseId}"`);
  if (t.team !== l.team) add('team', `needs the same team as ${first} ("${l.team}")`);
  if (t.role !== l.role) add('role', `needs the same role as ${first} ("${l.role}"): one window runs the batch`);
  if (t.agent !== l.agent) add('agent', `needs the same agent preset as ${first} (${l.agent ?? 'none'})`);
  else if (isInteractive(t) !== isInteractive(l)) add('interactive', `needs the same interactive setting as ${first} (${isInteractive(l)})`);
  if (isInteractive(t) && isInteractive(l) && t.command.join('\u0000') !== l.command.join('\u0000')) {
    add('command', `needs the same command as ${first} (${JSON.stringify(l.command)}): one agent process answers every member's prompt`);
  }
  const cpu = (x: PlanTask) => x.resources?.cpu ?? TASK_DEFAULTS.cpu;
  if (cpu(t) !== cpu(l)) add('resources.cpu', `needs the same budget as ${first} (${cpu(l)}% CPU)`);
  if (defaultMemoryMb(t) !== defaultMemoryMb(l)) add('resources.memory', `needs the same budget as ${first} (${defaultMemoryMb(l)} MB)`);
  return out;
}

/** True when two tasks of one phase may share a window: both members of the same batch. */
export function sameBatch(a: Pick<PlanTask, 'batch'> | undefined, b: Pick<PlanTask, 'batch'>): boolean {
  return a?.batch !== undefined && a.batch === b.batch;
}

/** One attempt holding a budget on a node (dispatched or running). */
export interface InFlight {
  nodeId: string;
  runId: string;
  batch?: string;
  cpuPercent: number;
  memoryMb: number;
}

/** What is committed on one node: budgets, task slots, and the batches (`<run>/<batch>`) whose one budget is in it. */
export interface NodeCommitment {
  cpuPercent: number;
  memoryMb: number;
  tasks: number;
  batches: string[];
}

/**
 * The committed ledger per node: the sum of the budgets of the attempts in flight there, where the
 * members of one batch on one node (one session: one window, one agent) count once.
 */
export function commitments(inFlight: Iterable<InFlight>): Map<string, NodeCommitment> {
  const out = new Map<string, NodeCommitment>();
  for (const a of inFlight) {
    let c = out.get(a.nodeId);
    if (!c) out.set(a.nodeId, (c = { cpuPercent: 0, memoryMb: 0, tasks: 0, batches: [] }));
    if (a.batch !== undefined) {
      const key = batchKey(a.runId, a.batch);
      if (c.batches.includes(key)) continue;
      c.batches.push(key);
    }
    c.cpuPercent += a.cpuPercent;
    c.memoryMb += a.memoryMb;
    c.tasks += 1;
  }
  return out;
}
