import { z } from 'zod';
import { TaskMcp } from './agent-mcp.js';
import { MenuAnswerList } from './menus.js';
import { AgentHome, TaskSecrets } from './agent-home.js';
import { Id, Role } from './ids.js';
import { AgentPreset, DoneWhen, MemoryPolicy, NodeLostPolicy, type PlanTask, StallPolicy, WaitingPolicy } from './plan.js';

const Argv = z.array(z.string().max(8192)).min(1).max(256);
const Ms = z.number().int().positive();

/**
 * What one attempt of a task runs and how, as the coordinator compiles it from the plan (defaults
 * applied, durations in ms) and as the node receives it in `task.dispatched`. The one home of a task
 * field: {@link CompiledTask} and `TaskDispatched` extend it, {@link PLAN_TO_SPEC} copies plan fields
 * into it, {@link pickTaskSpec} carries it onto the wire.
 */
export const TaskSpec = z.strictObject({
  team: Id,
  role: Role,
  command: Argv,
  cwd: z.string().max(4096).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cpuPercent: z.number().int().min(1).max(6400),
  memoryMb: z.number().int().min(1).max(1_048_576),
  timeoutMs: Ms.optional(),
  priority: z.number().int(),
  /** Tasks of one run sharing this key run one after another in one agent session on one node. */
  batch: Id.optional(),
  /** Agent preset named by the plan: start template, state detector. */
  agent: AgentPreset.optional(),
  /** Forces check-ins (and the interactive treatment) for a task without an agent preset. */
  interactive: z.boolean().optional(),
  /** Check-in interval of the task's team (interactive tasks only). */
  checkinMs: Ms.optional(),
  /** Check-in prompt of the task's team. */
  checkinPrompt: z.string().min(1).max(8192).optional(),
  /** First prompt of an interactive agent: typed once it first waits for input (in a batch: when its turn comes). */
  prompt: z.string().min(1).max(8192).optional(),
  /** When the task ends: `exit` (absent: the process exits) or `idle` (the agent is back at its prompt after its first turn). */
  doneWhen: DoneWhen.optional(),
  /** Answers to menus the agent's preset recognises, first match first (the plan's `answers:`). */
  answers: MenuAnswerList.optional(),
  /** Absolute path of a git repository on the node: the task runs in its own worktree of it. */
  repo: z.string().max(4096).optional(),
  /** Auto-commit period of the worktree. */
  commitEveryMs: Ms.optional(),
  /** What to do when the agent goes over its memory budget (default fail). */
  onMemoryExceeded: MemoryPolicy.optional(),
  /** How many memory restarts `restart` allows within one attempt (default 3). */
  memoryRestarts: z.number().int().min(0).max(100).optional(),
  /** Periodic restart of the agent in its window (same attempt). */
  restartEveryMs: Ms.optional(),
  /** What to do when the agent is stalled (default: the preset's). */
  onStall: StallPolicy.optional(),
  /** What to do when the agent waits for input (default: the preset's). */
  onWaiting: WaitingPolicy.optional(),
  /** The task's `on_node_lost`: a node cut off from the bus stops `replace` tasks after its stop_after, `wait` tasks after `lostAfterMs`. */
  onNodeLost: NodeLostPolicy.optional(),
  /** The task's `lost_after` (with `wait`). */
  lostAfterMs: Ms.optional(),
  /** MCP servers for the agent: its team's `mcp` overlaid by its own, presets expanded (`resolveTaskMcp`); absent when neither declares any. */
  mcp: TaskMcp.optional(),
  /** The agent's HOME (`scratch` when absent on an agent preset): see {@link AgentHome}. */
  home: AgentHome.optional(),
  /** Env var -> secret name, resolved from the node's own store at start; values never travel. */
  secrets: TaskSecrets.optional(),
});
/** See the {@link TaskSpec} schema. */
export type TaskSpec = z.infer<typeof TaskSpec>;

/** The fields of {@link TaskSpec}, in declaration order. */
export const TASK_SPEC_KEYS = Object.keys(TaskSpec.shape) as (keyof TaskSpec)[];

/** A task with every default applied, ready to schedule: its {@link TaskSpec} plus what only the coordinator uses. */
export const CompiledTask = TaskSpec.extend({
  id: Id,
  phaseId: Id,
  maxAttempts: z.number().int().min(1),
  labels: z.record(z.string(), z.string()),
  requires: z.record(z.string(), z.string()),
  dependsOn: z.array(Id),
  /** Result cache: opaque key inputs and how long a stored result stays fresh. */
  cache: z.strictObject({ inputs: z.array(z.string()), ttlMs: Ms }).optional(),
  /** What happens to the running attempt when its node is lost (default resolved at compile time). */
  onNodeLost: NodeLostPolicy,
  /** How long `wait` waits for a lost node to come back before the task is re-placed. */
  lostAfterMs: Ms,
});
/** See the {@link CompiledTask} schema. */
export type CompiledTask = z.infer<typeof CompiledTask>;

/**
 * Plan task fields copied unchanged (after the plan schema turned durations into ms) into the
 * {@link TaskSpec}: plan key -> spec key. A new plan field of this kind is one line here.
 */
export const PLAN_TO_SPEC = {
  cwd: 'cwd',
  env: 'env',
  timeout: 'timeoutMs',
  batch: 'batch',
  agent: 'agent',
  interactive: 'interactive',
  prompt: 'prompt',
  done_when: 'doneWhen',
  answers: 'answers',
  on_memory_exceeded: 'onMemoryExceeded',
  memory_restarts: 'memoryRestarts',
  restart_every: 'restartEveryMs',
  on_stall: 'onStall',
  on_waiting: 'onWaiting',
  home: 'home',
  secrets: 'secrets',
} as const satisfies { [K in keyof PlanTask]?: keyof TaskSpec };

type PlanToSpec = typeof PLAN_TO_SPEC;
/** Compile-time proof that every copied plan field fits its spec field. */
type Fits = { [K in keyof PlanToSpec]: Exclude<PlanTask[K], undefined> extends TaskSpec[PlanToSpec[K]] ? true : never };
const fits: Fits = Object.fromEntries(Object.keys(PLAN_TO_SPEC).map((k) => [k, true])) as Fits;
void fits;

/** The spec fields a plan task sets directly (see {@link PLAN_TO_SPEC}); absent fields stay absent. */
export function copiedSpecFields(t: PlanTask): Partial<TaskSpec> {
  const out: Record<string, unknown> = {};
  for (const [from, to] of Object.entries(PLAN_TO_SPEC)) {
    const v = t[from as keyof PlanToSpec];
    if (v !== undefined) out[to] = v;
  }
  return out as Partial<TaskSpec>;
}

/** The {@link TaskSpec} part of a compiled task (absent fields stay absent): what travels in `task.dispatched`. */
export function pickTaskSpec(t: TaskSpec): TaskSpec {
  const out: Record<string, unknown> = {};
  for (const k of TASK_SPEC_KEYS) if (t[k] !== undefined) out[k] = t[k];
  return out as TaskSpec;
}
