import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ConflictError,
  PROTOCOL_VERSION,
  type FieldIssue,
  type IdempotencyKey,
  NotFoundError,
  type RunSummary,
  type RunView,
  TERMINAL_RUN,
  type MenuChoice,
  type MenuKey,
  type TaskCaptureReply,
  type TaskChooseReply,
  type TaskKeysReply,
  type TaskSendReply,
  parsePlanText,
} from '@shoal/protocol';
import { type CompiledPlan, type OperatorAction, RunEngine, compilePlan, retryBackoff } from '@shoal/scheduler';
import { AgentStates } from './agent-state/agent-states.service.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config.js';
import { NatsGateway } from './nats.gateway.js';
import { Orchestrator } from './orchestrator.js';
import { PlanIntake } from './plan-intake/plan-intake.service.js';
import { RunTable } from './run-table.js';
import { RunTracer } from './run-tracer.js';

/** What `POST /runs` answers: the run, and whether an earlier request with the same key started it. */
export interface Submitted {
  view: RunView;
  replayed: boolean;
}

/**
 * A new run's id: the plan's name and 8 random hex digits, or, for a keyed submission, 12 hex
 * digits of the key's SHA-256, so every retry of it (on any coordinator) names the same run.
 */
export function runIdFor(planName: string, idempotencyKey?: string): string {
  const suffix = idempotencyKey ? createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 12) : randomBytes(4).toString('hex');
  return `${planName.slice(0, 54)}-${suffix}`;
}

/** Operator-facing operations on runs: submit, read, cancel, decide on tasks awaiting an operator. */
@Injectable()
export class RunsService {
  private readonly log = new Logger('runs');

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly table: RunTable,
    private readonly orchestrator: Orchestrator,
    private readonly tracer: RunTracer,
    private readonly nats: NatsGateway,
    private readonly intake: PlanIntake,
    private readonly agents: AgentStates,
  ) {}

  /**
   * Validates a plan (text or parsed JSON) and starts a run; throws ValidationError listing the
   * problems (at most 50, then how many more). Parsing, validation and compilation run on the
   * plan-intake worker threads (see {@link PlanIntake}): the event loop only builds the run.
   */
  async submit(body: unknown, idempotencyKey?: IdempotencyKey): Promise<Submitted> {
    const { compiled, text } = await this.intake.check(body);
    const runId = runIdFor(compiled.name, idempotencyKey);
    if (idempotencyKey) {
      const prior = await this.priorSubmission(runId, idempotencyKey, text);
      if (prior) return { view: prior, replayed: true };
    }
    const engine = this.engine(compiled, runId);
    const view = engine.createView(runId, this.tracer.startRun(runId, compiled.name));
    if (idempotencyKey) view.idempotencyKey = idempotencyKey;
    try {
      await this.orchestrator.accept({ view, engine, plan: compiled }, text);
    } catch (e) {
      const prior = idempotencyKey && e instanceof ConflictError ? await this.priorSubmission(runId, idempotencyKey, text) : undefined;
      if (prior) return { view: prior, replayed: true }; // the same submission, sent twice at once
      throw e;
    }
    this.log.log(`run ${runId} accepted: plan ${compiled.name}, ${compiled.tasks.size} tasks in ${compiled.phases.size} phases`);
    return { view, replayed: false };
  }

  /**
   * The run an earlier request with this key started (memory first, then the runs bucket), or
   * undefined when there is none; a ConflictError when the key was used for another plan.
   */
  private async priorSubmission(runId: string, key: IdempotencyKey, planText: string): Promise<RunView | undefined> {
    const prior = this.table.get(runId)?.view ?? (await this.table.readStored(runId))?.view;
    if (!prior) return undefined;
    const stored = await this.nats.getRun<{ text: string }>(`plan.${runId}`);
    if (prior.idempotencyKey !== key || stored?.text !== planText) {
      throw new ConflictError(`Idempotency-Key "${key}" was already used for run ${runId} with a different plan; send a new key with a new submission`);
    }
    this.log.log(`run ${runId}: a retried submission (same Idempotency-Key and plan) answered with the run it started`);
    return this.agents.merge(prior);
  }

  /** The current view of a run (memory first, then the KV bucket), with its agents' live states merged in. */
  async get(runId: string): Promise<RunView> {
    const live = this.table.get(runId);
    if (live) return this.agents.merge(live.view);
    const stored = await this.table.readStored(runId);
    if (!stored) throw new NotFoundError(`no run ${runId}`);
    return this.agents.merge(stored.view);
  }

  list(): RunSummary[] {
    return this.table
      .all()
      .map(({ view: v }) => ({ id: v.id, plan: v.plan, state: v.state, submittedAt: v.submittedAt, finishedAt: v.finishedAt, tasks: v.tasks.length }))
      .sort((a, b) => b.submittedAt - a.submittedAt);
  }

  async cancel(runId: string, reason = 'cancelled by operator'): Promise<RunView> {
    const run = this.live(runId);
    await this.orchestrator.mutate(runId, (v, e) => e.cancel(v, reason));
    this.orchestrator.placer.cancelRun(runId);
    return run.view;
  }

  async operator(runId: string, taskId: string, action: OperatorAction): Promise<RunView> {
    const run = this.live(runId);
    await this.orchestrator.mutate(runId, (v, e) => e.operator(v, taskId, action));
    return run.view;
  }

  /** `shoal send`: types one line into a running task's pane on its node, then Enter (verified from the screen). */
  async sendToTask(runId: string, taskId: string, text: string): Promise<TaskSendReply> {
    const { attempt, nodeId } = await this.runningTask(runId, taskId);
    const r = await this.nats.control(nodeId, { v: PROTOCOL_VERSION, action: 'send', runId, taskId, attempt, text }, 20_000);
    if (!r.ok) throw new ConflictError(r.message);
    return { runId, taskId, attempt, nodeId, message: r.message, verified: r.verified ?? false };
  }

  /** `shoal keys`: presses allowed key names in a running task's pane; `changed` says whether its screen changed. */
  async pressKeys(runId: string, taskId: string, keys: MenuKey[]): Promise<TaskKeysReply> {
    const { attempt, nodeId } = await this.runningTask(runId, taskId);
    const r = await this.nats.control(nodeId, { v: PROTOCOL_VERSION, action: 'keys', runId, taskId, attempt, keys }, 20_000);
    if (!r.ok) throw new ConflictError(r.message);
    return { runId, taskId, attempt, nodeId, message: r.message, keys, changed: r.changed ?? false };
  }

  /** `shoal choose`: picks an option of the menu a running task's agent shows, confirms it, verifies the screen changed. */
  async chooseOption(runId: string, taskId: string, option: MenuChoice): Promise<TaskChooseReply> {
    const { attempt, nodeId } = await this.runningTask(runId, taskId);
    const r = await this.nats.control(nodeId, { v: PROTOCOL_VERSION, action: 'choose', runId, taskId, attempt, option }, 30_000);
    if (!r.ok || !r.menu || !r.chosen) throw new ConflictError(r.message);
    return { runId, taskId, attempt, nodeId, message: r.message, menu: r.menu, chosen: r.chosen, keys: r.keys ?? [], changed: r.changed ?? false };
  }

  /** `shoal capture`: the running task's pane text, with `lines` of history. */
  async captureTask(runId: string, taskId: string, lines?: number): Promise<TaskCaptureReply> {
    const { attempt, nodeId } = await this.runningTask(runId, taskId);
    const r = await this.nats.control(nodeId, { v: PROTOCOL_VERSION, action: 'capture', runId, taskId, attempt, lines }, 10_000);
    if (!r.ok) throw new ConflictError(r.message);
    return { runId, taskId, attempt, nodeId, message: r.message, text: r.text ?? '' };
  }

  private async runningTask(runId: string, taskId: string): Promise<{ attempt: number; nodeId: string }> {
    const task = (await this.get(runId)).tasks.find((t) => t.id === taskId);
    if (!task) throw new NotFoundError(`no task ${taskId} in run ${runId}`);
    if (task.state !== 'running' || !task.nodeId) throw new ConflictError(`task ${taskId} is ${task.state}, not running`);
    return { attempt: task.attempt, nodeId: task.nodeId };
  }

  /**
   * After a restart: reloads unfinished runs from KV (with their revision: every later write is a
   * compare-and-swap on it) and resumes them; attempts stored as dispatched are published again.
   */
  async recover(): Promise<number> {
    let resumed = 0;
    for (const key of await this.nats.runKeys('run.>')) {
      const runId = key.slice('run.'.length);
      if (this.table.get(runId)) continue;
      const stored = await this.table.readStored(runId).catch((e: Error) => this.log.error(`run ${runId}: stored state unreadable, cannot resume: ${e.message}`));
      const view = stored?.view;
      if (!stored || !view || TERMINAL_RUN.includes(view.state)) continue;
      const plan = await this.nats.getRun<{ text: string }>(`plan.${view.id}`);
      const parsed = plan ? parsePlanText(plan.text, this.config.planLimits) : undefined;
      const compiled = parsed?.ok ? compilePlan(parsed.value) : undefined;
      if (!compiled?.ok) {
        this.log.error(`run ${view.id}: stored plan unreadable, cannot resume`);
        continue;
      }
      this.table.add({ view, engine: this.engine(compiled.value, view.id), plan: compiled.value }, stored);
      // a write that fails here is logged and counted by the run table and retried while the run stays dirty
      await this.orchestrator.resume(view.id).catch((e: Error) => this.log.error(`run ${view.id} resumed, but its state is not stored yet: ${e.message}`));
      resumed += 1;
    }
    if (resumed) this.log.log(`resumed ${resumed} unfinished run(s) from KV`);
    return resumed;
  }

  /**
   * The run's engine. Retry delays: the configured base plus cockatiel's decorrelated-jitter
   * exponential backoff (seeded by run and task, so a restarted coordinator computes the same
   * delay), capped at 5 minutes; a retry never comes sooner than the base delay.
   */
  private engine(plan: CompiledPlan, runId: string): RunEngine {
    const base = this.config.retryBaseMs;
    const jittered = retryBackoff({ initialDelayMs: Math.max(1, base), maxDelayMs: 5 * 60_000 });
    return new RunEngine(plan, { now: Date.now, backoffMs: (n, taskId) => Math.min(base + jittered(n, `${runId}.${taskId}`), 5 * 60_000) });
  }

  private live(runId: string) {
    const run = this.table.get(runId);
    if (!run) throw new NotFoundError(`no active run ${runId}`);
    return run;
  }
}

export type { FieldIssue };
