import { z } from 'zod';
import { durationMs } from './duration.js';
import { Id, Role } from './ids.js';
import { McpField } from './agent-mcp.js';
import { AnswersField } from './menus.js';
import { AgentHome, TaskSecrets } from './agent-home.js';
import { Arg, CONTROL_CHARS, Env } from './plan-values.js';

/** Limits a coordinator enforces on plans; operators may configure them. */
export interface PlanLimits {
  memoryMinMb: number;
  memoryMaxMb: number;
  cpuMaxPercent: number;
  maxTasks: number;
  maxPhases: number;
  maxRetries: number;
  maxTimeoutMs: number;
}

/** The seed's budgets: 256-768 MB per agent, CPU as a percentage of one core. */
export const DEFAULT_PLAN_LIMITS: PlanLimits = {
  memoryMinMb: 256,
  memoryMaxMb: 768,
  cpuMaxPercent: 400,
  maxTasks: 2000,
  maxPhases: 500,
  maxRetries: 10,
  maxTimeoutMs: 7 * 24 * 3_600_000,
};

/** Defaults applied to a task that does not set a field. */
export const TASK_DEFAULTS = { cpu: 50, memory: 512, retries: 0, priority: 0 } as const;

/** Agent presets a task may name (`agent:`); each has a start template, a memory default and a state detector. */
export const AGENT_PRESETS = ['claude', 'codex', 'aider', 'gemini', 'qwen', 'opencode', 'shell'] as const;
export const AgentPreset = z.enum(AGENT_PRESETS);
export type AgentPreset = z.infer<typeof AgentPreset>;

/**
 * Default memory budget (MB) per preset, from the footprints measured in AGENT-CLIS.md (working RSS
 * plus headroom): used when a task names a preset and sets no `resources.memory`.
 */
export const PRESET_MEMORY_MB: Readonly<Record<AgentPreset, number>> = { claude: 384, codex: 512, gemini: 512, qwen: 704, opencode: 768, aider: 512, shell: 256 };

/** Check-in defaults of a team: every 15 minutes, this prompt. */
export const CHECKIN_DEFAULTS = {
  intervalMs: 15 * 60_000,
  prompt: 'Status check: reply with what you finished, what you are doing, and what blocks you.',
} as const;

export { FORBIDDEN_ENV } from './plan-values.js';

const Command = z
  .array(Arg, { error: 'must be an argv array of strings, e.g. ["npm", "test"]' })
  .min(1, 'must not be empty: give the program and its arguments as an array, e.g. ["npm", "test"]')
  .max(256, 'must have at most 256 arguments')
  .refine((argv) => argv[0] !== '', 'the program (first element) must not be empty');

const AbsolutePath = z
  .string()
  .max(4096)
  .refine((p) => p.startsWith('/'), 'must be an absolute path')
  .refine((p) => !p.split('/').includes('..'), 'must not contain ".." segments')
  .refine((p) => !CONTROL_CHARS.test(p), 'must not contain control characters');

const Labels = z
  .record(
    z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/, 'label keys must match ^[a-z0-9][a-z0-9._/-]{0,62}$'),
    z.string().max(63).regex(/^[A-Za-z0-9._-]*$/, 'label values are letters, digits, ".", "_" and "-" (max 63)'),
  )
  .refine((l) => Object.keys(l).length <= 32, 'at most 32 labels');

/**
 * Result cache of a task: a fresh stored result for the same key (command, cwd, env and these
 * inputs) is reused instead of running the task. `inputs` are opaque strings that change the key
 * (e.g. a git revision or a schema version); `ttl` is how long a stored result stays fresh.
 */
const TaskCache = z.strictObject({
  inputs: z.array(z.string().min(1).max(1024).refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters')).max(64, 'at most 64 inputs').optional(),
  ttl: durationMs({ min: 1000, max: 30 * 24 * 3_600_000 }),
});

/** How a phase reacts when one of its tasks fails for good. */
export const FailurePolicy = z.enum(['fail-fast', 'continue', 'manual']);
export type FailurePolicy = z.infer<typeof FailurePolicy>;

/** What the node-agent does when a task goes over its memory budget (default `fail`). */
export const MemoryPolicy = z.enum(['restart', 'fail', 'notify']);
export type MemoryPolicy = z.infer<typeof MemoryPolicy>;

/**
 * What the node-agent does when an agent is `stalled` (working with no screen change for its preset's
 * stall time): `notify` announces it (run events, `shoal status --needs-me`), `restart` restarts the
 * agent in its window (same attempt), `fail` ends the attempt as failed (retries apply).
 */
export const StallPolicy = z.enum(['notify', 'restart', 'fail']);
export type StallPolicy = z.infer<typeof StallPolicy>;

/**
 * What the node-agent does when an interactive agent waits for input outside a menu: `notify`
 * announces it; `checkin` sends the team's check-in prompt at once (instead of at the next interval).
 */
export const WaitingPolicy = z.enum(['notify', 'checkin']);
export type WaitingPolicy = z.infer<typeof WaitingPolicy>;

/**
 * When an agent task ends: `exit` (default) when its process exits; `idle` when the agent, after
 * working on its first `prompt`, is back at its input prompt for its preset's idle time — it is then
 * stopped gracefully and the task succeeds (docs/agents.md "done_when"). `idle` needs an interactive
 * task with a `prompt`.
 */
export const DoneWhen = z.enum(['exit', 'idle']);
export type DoneWhen = z.infer<typeof DoneWhen>;

/**
 * What the coordinator does with a task whose node stopped heartbeating (Nomad's `disconnect`):
 * `replace` re-places it at once; `wait` keeps the attempt for up to `lost_after`, so a node that
 * comes back with it still running keeps it. Default: `wait` for interactive tasks, else `replace`.
 */
export const NodeLostPolicy = z.enum(['wait', 'replace']);
export type NodeLostPolicy = z.infer<typeof NodeLostPolicy>;

/** Bounds of `lost_after` (how long `on_node_lost: wait` waits for a lost node); default 15 minutes. */
export const LOST_AFTER = { min: 10_000, max: 24 * 3_600_000, default: 15 * 60_000 } as const;

/** Bounds of `commit_every` (auto-commit period of a task's git worktree); default 30 minutes. */
export const COMMIT_EVERY = { min: 60_000, max: 24 * 3_600_000, default: 30 * 60_000 } as const;

function resources(limits: PlanLimits) {
  return z.strictObject({
    cpu: z
      .number()
      .int('must be a whole percentage')
      .min(1, 'must be at least 1 (percent of one core)')
      .max(limits.cpuMaxPercent, `must be at most ${limits.cpuMaxPercent} (percent of one core)`)
      .optional(),
    memory: z
      .number()
      .int('must be whole megabytes')
      .min(limits.memoryMinMb, `must be between ${limits.memoryMinMb} and ${limits.memoryMaxMb} MB`)
      .max(limits.memoryMaxMb, `must be between ${limits.memoryMinMb} and ${limits.memoryMaxMb} MB`)
      .optional(),
  });
}

function taskSchema(limits: PlanLimits) {
  return z.strictObject({
    id: Id,
    team: Id,
    role: Role,
    command: Command,
    cwd: AbsolutePath.optional(),
    env: Env.optional(),
    resources: resources(limits).optional(),
    timeout: durationMs({ min: 1000, max: limits.maxTimeoutMs }).optional(),
    retries: z.number().int().min(0, 'must be 0 or more').max(limits.maxRetries, `must be at most ${limits.maxRetries}`).optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    labels: Labels.optional(),
    requires: Labels.optional(),
    depends_on: z.array(Id).max(200).optional(),
    batch: Id.optional(),
    cache: TaskCache.optional(),
    agent: AgentPreset.optional(),
    interactive: z.boolean().optional(),
    repo: AbsolutePath.optional(),
    commit_every: durationMs({ min: COMMIT_EVERY.min, max: COMMIT_EVERY.max }).optional(),
    on_memory_exceeded: MemoryPolicy.optional(),
    memory_restarts: z.number().int().min(0, 'must be 0 or more').max(100, 'must be at most 100').optional(),
    restart_every: durationMs({ min: 60_000, max: limits.maxTimeoutMs }).optional(),
    on_node_lost: NodeLostPolicy.optional(),
    lost_after: durationMs({ min: LOST_AFTER.min, max: LOST_AFTER.max }).optional(),
    on_stall: StallPolicy.optional(),
    on_waiting: WaitingPolicy.optional(),
    prompt: Arg.refine((s) => s.trim() !== '', 'must not be blank').optional(),
    /** `exit` (default) or `idle`: the task ends once its agent is back at its prompt after its first turn. */
    done_when: DoneWhen.optional(),
    /** Answers to menus the agent's preset recognises (docs/agents.md "Answering menus"): `{ trust: yes }` or `[{ when, choose }]`. */
    answers: AnswersField.optional(),
    /** MCP servers for the agent, laid over the team's (docs/agents.md "MCP servers for agents"). */
    mcp: McpField.optional(),
    /** The agent's HOME: `scratch` (default for agent presets), `shared` or an absolute dir (docs/agents.md "Prepared homes"). */
    home: AgentHome.optional(),
    /** Secrets by reference: env var -> secret name, resolved on the node at start (docs/security.md "Secrets"). */
    secrets: TaskSecrets.optional(),
  }).superRefine(doneWhenIssues);
}

/** `done_when: idle` needs an interactive agent (a preset other than `shell`, or `interactive: true`) and a first `prompt`. */
function doneWhenIssues(t: { done_when?: DoneWhen; agent?: AgentPreset; interactive?: boolean; prompt?: string; on_waiting?: WaitingPolicy }, ctx: z.RefinementCtx): void {
  if (t.done_when !== 'idle') return;
  const interactive = t.interactive ?? (t.agent !== undefined && t.agent !== 'shell');
  if (!interactive) ctx.addIssue({ code: 'custom', path: ['done_when'], message: 'idle needs an interactive agent task (agent: claude, codex, gemini, qwen, opencode or aider, or interactive: true): only an agent at its input prompt can be idle' });
  else if (t.prompt === undefined) ctx.addIssue({ code: 'custom', path: ['done_when'], message: 'idle needs a prompt: the task ends when the agent is back at its prompt after working on it' });
  else if (t.on_waiting === 'checkin') ctx.addIssue({ code: 'custom', path: ['on_waiting'], message: 'checkin contradicts done_when: idle (the check-in typed when the turn ends would start another turn)' });
}

const Team = z.strictObject({
  name: Id,
  description: z.string().max(500).optional(),
  checkin: durationMs({ min: 60_000, max: 24 * 3_600_000 }).optional(),
  commit_every: durationMs({ min: 60_000, max: 24 * 3_600_000 }).optional(),
  checkin_prompt: Arg.refine((s) => s.trim() !== '', 'must not be blank').optional(),
  /** MCP servers for every agent task of the team (a task's own `mcp` overrides or extends them). */
  mcp: McpField.optional(),
});

function phaseSchema(limits: PlanLimits) {
  return z.strictObject({
    id: Id,
    description: z.string().max(500).optional(),
    depends_on: z.array(Id).max(200).optional(),
    failure_policy: FailurePolicy.optional(),
    tasks: z.array(taskSchema(limits)).min(1, 'a phase needs at least one task'),
  });
}

/** Builds the plan schema for the given limits (the shape of plan files, YAML or JSON). */
export function planSchema(limits: PlanLimits = DEFAULT_PLAN_LIMITS) {
  return z.strictObject({
    version: z.literal(1, { error: 'unsupported plan version: only 1 is supported' }).optional(),
    name: Id,
    description: z.string().max(2000).optional(),
    schedule: z.string().max(100).optional(),
    teams: z.array(Team).min(1, 'a plan needs at least one team').max(100),
    phases: z
      .array(phaseSchema(limits))
      .min(1, 'a plan needs at least one phase')
      .max(limits.maxPhases, `at most ${limits.maxPhases} phases`)
      .refine((ps) => ps.reduce((n, p) => n + p.tasks.length, 0) <= limits.maxTasks, `at most ${limits.maxTasks} tasks in all`),
  });
}

/** A plan as written in a file (before defaults). */
export type PlanInput = z.input<ReturnType<typeof planSchema>>;
/** A structurally valid plan, durations in milliseconds. */
export type Plan = z.output<ReturnType<typeof planSchema>>;
export type PlanPhase = Plan['phases'][number];
export type PlanTask = PlanPhase['tasks'][number];
export type PlanTeam = Plan['teams'][number];
