import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { NotFoundError, type ScheduleRemovedReply, type ScheduleView, ValidationError } from '@shoal/protocol';
import { type Schedule, decideFire, nextFire, validateSchedule } from '@shoal/scheduler';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config.js';
import { NatsGateway } from './nats.gateway.js';
import { PlanIntake } from './plan-intake/plan-intake.service.js';
import { RunsService } from './runs.service.js';

/** A registered schedule as kept in the runs bucket under `schedule.<name>`: what the API shows, and the plan. */
export interface StoredSchedule extends Omit<ScheduleView, 'nextAt'> {
  planText: string;
}

const PREFIX = 'schedule.';
const KEEP_RUNS = 20;

/**
 * Cron schedules of plans. A plan with `schedule:` registered here starts a run at every fire time.
 * Before starting one, the fire time is claimed with a compare-and-swap on the schedule's KV entry,
 * so neither a restarted coordinator nor a second one fires the same time twice (at most once: a
 * crash between the claim and the start loses that fire).
 */
@Injectable()
export class SchedulesService implements OnModuleDestroy {
  private readonly log = new Logger('schedules');
  private timer?: NodeJS.Timeout;
  private ticking = false;
  /** Whether this coordinator leads with a fresh lease (set at start); no schedule fires while it does not. */
  mayAct: () => boolean = () => true;

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly nats: NatsGateway,
    private readonly runs: RunsService,
    private readonly intake: PlanIntake,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.mayAct()) void this.tick();
    }, this.config.scheduleTickMs);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Registers (or replaces) the schedule of a plan; 400 when the plan or its cron expression is invalid. */
  async register(body: unknown): Promise<ScheduleView> {
    // parsed, validated and compiled on the plan-intake workers, like a submitted plan
    const checked = await this.intake.check(body);
    const plan = { name: checked.compiled.name, schedule: checked.schedule };
    if (!plan.schedule) throw new ValidationError([{ path: 'schedule', message: 'a scheduled plan needs a cron expression, e.g. schedule: "*/30 * * * *"' }]);
    const schedule: Schedule = { expression: plan.schedule, timezone: 'UTC' };
    validateSchedule(schedule);
    const key = PREFIX + plan.name;
    const planText = checked.text;
    for (;;) {
      const prev = await this.nats.getRunEntry<StoredSchedule>(key);
      const next: StoredSchedule = {
        name: plan.name,
        expression: schedule.expression,
        timezone: schedule.timezone!,
        planText,
        since: Date.now(),
        runs: prev?.value.runs ?? [],
        ...(prev?.value.lastFiredAt !== undefined ? { lastFiredAt: prev.value.lastFiredAt } : {}),
      };
      try {
        if (prev) await this.nats.updateRun(key, next, prev.revision);
        else await this.nats.createRun(key, next);
        this.log.log(`schedule ${plan.name} registered: "${schedule.expression}" (${schedule.timezone})`);
        return view(next);
      } catch {
        // a concurrent change won the race: read again
      }
    }
  }

  async list(): Promise<ScheduleView[]> {
    const out: ScheduleView[] = [];
    for (const key of await this.nats.runKeys(`${PREFIX}*`)) {
      const e = await this.nats.getRunEntry<StoredSchedule>(key);
      if (e) out.push(view(e.value));
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async remove(name: string): Promise<ScheduleRemovedReply> {
    const key = PREFIX + name;
    if (!(await this.nats.getRunEntry(key))) throw new NotFoundError(`no schedule ${name}`);
    await this.nats.deleteRun(key);
    this.log.log(`schedule ${name} removed`);
    return { deleted: name };
  }

  /** Checks every schedule once; due ones are claimed with CAS, then their run starts. */
  async tick(now = Date.now()): Promise<void> {
    if (this.ticking || !this.nats.connected) return;
    this.ticking = true;
    try {
      for (const key of await this.nats.runKeys(`${PREFIX}*`)) await this.check(key, now);
    } catch (e) {
      this.log.warn(`schedule check failed: ${(e as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private async check(key: string, now: number): Promise<void> {
    const e = await this.nats.getRunEntry<StoredSchedule>(key);
    if (!e) return;
    const s = e.value;
    const d = decideFire({ schedule: { expression: s.expression, timezone: s.timezone }, now, since: s.since, ...(s.lastFiredAt !== undefined ? { lastFiredAt: s.lastFiredAt } : {}) });
    const claimAt = d.due ? d.fireAt : d.skipTo;
    if (claimAt === undefined) return;
    const claimed: StoredSchedule = { ...s, lastFiredAt: claimAt, lastReason: d.reason };
    let revision: number;
    try {
      revision = await this.nats.updateRun(key, claimed, e.revision);
    } catch {
      return; // someone else claimed this fire time (or changed the schedule): never fire twice
    }
    if (!d.due) {
      this.log.warn(`schedule ${s.name}: ${d.reason}`);
      return;
    }
    try {
      const { view: run } = await this.runs.submit(s.planText);
      this.log.log(`schedule ${s.name} fired run ${run.id} (${d.reason})`);
      claimed.runs = [...claimed.runs, run.id].slice(-KEEP_RUNS);
      await this.nats.updateRun(key, claimed, revision).catch(() => undefined);
    } catch (err) {
      this.log.error(`schedule ${s.name}: the run could not start: ${(err as Error).message}`);
    }
  }
}

function view(s: StoredSchedule): ScheduleView {
  const { planText: _omit, ...rest } = s;
  const nextAt = nextFire({ expression: s.expression, timezone: s.timezone }, Math.max(s.lastFiredAt ?? -Infinity, s.since, Date.now()));
  return { ...rest, ...(nextAt !== undefined ? { nextAt } : {}) };
}
