import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ValidationError } from '@shoal/protocol';
import type { CompiledPlan } from '@shoal/scheduler';
import { COORDINATOR_CONFIG, type CoordinatorConfig, int } from '../config.js';
import { Metrics } from '../metrics.js';
import { type IntakeInput, type IntakeOutcome, checkPlan } from './intake-job.js';
import type { IntakeRequest } from './intake-worker.js';
import { WorkerPool } from './worker-pool.js';

/** A checked plan: compiled, with the text to store for a restart. */
export interface CheckedPlan {
  compiled: CompiledPlan;
  text: string;
  /** The plan's `schedule:` (cron expression), if it has one. */
  schedule?: string;
}

/**
 * Checks submitted plans off the event loop: parse + validate + compile run in a small pool of
 * worker threads (`SHOAL_INTAKE_WORKERS`, default one less than the cores, 1 to 2; 0 = inline),
 * so a 1 MB plan never delays heartbeats, status reports or other requests. At most 16 plans wait
 * (then 503, retry), smallest first; each gets 30 s and a 512 MB heap. Where the compiled worker
 * script is absent (unit tests run the TypeScript sources), or the pool fails its check at start
 * (a broken install), the check runs inline, said loudly.
 */
@Injectable()
export class PlanIntake implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('intake');
  private pool?: WorkerPool<IntakeRequest, IntakeOutcome>;

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    metrics: Metrics,
  ) {
    const script = new URL('./intake-worker.js', import.meta.url);
    const size = int(process.env, 'SHOAL_INTAKE_WORKERS', Math.max(1, Math.min(2, availableParallelism() - 1)), 0, 16);
    if (size > 0 && script.protocol === 'file:' && existsSync(fileURLToPath(script))) {
      // small plans first: a burst of 1 MB plans does not hold up a 2 kB one
      const cost = (r: IntakeRequest) => ('text' in r.input ? r.input.text.length : 0);
      this.pool = new WorkerPool({ script, size, maxQueue: 16, timeoutMs: 30_000, maxHeapMb: 512, what: 'plan intake', cost });
      metrics.observe('planIntakeWaiting', () => this.pool?.waiting ?? 0);
      metrics.observe('planIntakeBusy', () => this.pool?.busy ?? 0);
    }
  }

  /** Whether plans are checked on worker threads (false: inline). */
  get offThread(): boolean {
    return !!this.pool;
  }

  /**
   * Checks a submitted body: text (YAML or JSON) or a parsed JSON value. Resolves with the compiled
   * plan; throws ValidationError (at most 50 issues and how many more), or a retryable
   * TransportError when the intake is busy.
   */
  async check(body: unknown): Promise<CheckedPlan> {
    const input: IntakeInput = typeof body === 'string' ? { text: body } : { value: body };
    const out = this.pool ? await this.pool.run({ input, limits: this.config.planLimits }) : checkPlan(input, this.config.planLimits);
    if (!out.ok) throw new ValidationError(out.issues);
    return { compiled: out.compiled, text: out.text, ...(out.schedule ? { schedule: out.schedule } : {}) };
  }

  /** Checks a tiny plan on the pool once: a pool that cannot load its worker falls back to inline. */
  async onApplicationBootstrap(): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    const probe = { name: 'intake-probe', teams: [{ name: 'a' }], phases: [{ id: 'p', tasks: [{ id: 't', team: 'a', role: 'r', command: ['true'] }] }] };
    try {
      const out = await pool.run({ input: { text: JSON.stringify(probe) }, limits: this.config.planLimits });
      if (!out.ok) throw new Error(out.issues.map((i) => i.message).join('; '));
    } catch (e) {
      this.log.error(`plan intake workers do not work (${(e as Error).message}): plans are checked on the event loop instead`);
      this.pool = undefined;
      await pool.close().catch(() => undefined);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.close().catch((e: Error) => this.log.warn(`closing the plan intake pool: ${e.message}`));
  }
}
