import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { findTask, taskKind } from '@shoal/scheduler';
import { EventBus } from '../event-bus.js';
import { Metrics } from '../metrics.js';
import { RunTable } from '../run-table.js';
import { type TaskFacts, TaskTimings } from './task-timings.js';

/**
 * Records task metrics (started, finished, failed, retried, run time, dispatch latency, phase
 * hand-off) from the run events every run emits, reading the task's kind and times from the run table.
 */
@Injectable()
export class RunMetrics implements OnModuleDestroy {
  private readonly timings = new TaskTimings();
  private readonly unsubscribe: () => void;

  constructor(bus: EventBus, table: RunTable, metrics: Metrics) {
    const facts = (runId: string, taskId: string): TaskFacts | undefined => {
      const run = table.get(runId);
      const spec = run?.plan.tasks.get(taskId);
      const t = run && findTask(run.view, taskId);
      if (!spec || !t) return undefined;
      return { kind: taskKind(spec), queuedAt: t.queuedAt, startedAt: t.startedAt, finishedAt: t.finishedAt, outcome: t.outcome };
    };
    this.unsubscribe = bus.onAny((e) => {
      for (const m of this.timings.observe(e, facts)) {
        if ('add' in m) metrics.add(m.add, m.labels);
        else metrics.record(m.record, m.value, m.labels);
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }
}
