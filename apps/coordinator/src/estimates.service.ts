import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { type CompiledTask, type KindEstimate, RuntimeEstimator, taskKind } from '@shoal/scheduler';
import { NatsGateway } from './nats.gateway.js';

const KEY = 'estimates';
const SAVE_DELAY_MS = 1000;

/**
 * Learned run times (EWMA per task kind: team/role/program), fed from finished attempts and kept in
 * the runs bucket under `estimates` so a restarted coordinator remembers them.
 */
@Injectable()
export class Estimates implements OnModuleDestroy {
  private readonly log = new Logger('estimates');
  private estimator = new RuntimeEstimator();
  private saveTimer?: NodeJS.Timeout;
  /** Kind of each compiled task seen (compiled tasks never change). */
  private readonly kinds = new WeakMap<CompiledTask, string>();
  /** The stored estimates have been read: until then nothing is stored (it would overwrite them). */
  private loaded = false;
  private stopping = false;

  constructor(private readonly nats: NatsGateway) {}

  /**
   * Loads what earlier coordinators learned; what this one learned since it started is kept over
   * it. A failed read is logged and tried again before the next store.
   */
  async load(): Promise<boolean> {
    try {
      const saved = await this.nats.getRun<Record<string, KindEstimate>>(KEY);
      this.estimator = new RuntimeEstimator({}, { ...saved, ...this.estimator.toJSON() });
      this.loaded = true;
    } catch (e) {
      this.log.warn(`could not load runtime estimates: ${(e as Error).message}`);
    }
    return this.loaded;
  }

  /** Learns one successful attempt's duration. */
  observe(task: CompiledTask, startedAt: number | undefined, finishedAt: number): void {
    if (startedAt === undefined || finishedAt < startedAt) return;
    this.estimator.observe(this.kindOf(task), finishedAt - startedAt);
    this.scheduleSave();
  }

  /** Expected duration of a task, or undefined when its kind was never seen. */
  estimateMs(task: CompiledTask): number | undefined {
    const kind = this.kindOf(task);
    return this.estimator.known(kind) ? this.estimator.estimate(kind) : undefined;
  }

  /** Expected duration with the estimator's default for unknown kinds. */
  expectedMs(task: CompiledTask): number {
    return this.estimator.estimate(this.kindOf(task));
  }

  /** A task's kind, built once per compiled task (the scaling signal asks for every queued task). */
  private kindOf(task: CompiledTask): string {
    let kind = this.kinds.get(task);
    if (kind === undefined) this.kinds.set(task, (kind = taskKind(task)));
    return kind;
  }

  all(): Record<string, KindEstimate> {
    return this.estimator.toJSON();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      await this.save();
    }
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
  }

  private async save(): Promise<void> {
    if (!this.loaded && !(await this.load())) {
      this.log.warn(`runtime estimates not stored: the stored ones could not be read (storing now would overwrite them)${this.stopping ? '' : '; trying again'}`);
      if (!this.stopping) this.scheduleSave();
      return;
    }
    try {
      await this.nats.putRun(KEY, this.estimator.toJSON());
    } catch (e) {
      this.log.warn(`could not store runtime estimates: ${(e as Error).message}`);
    }
  }
}
