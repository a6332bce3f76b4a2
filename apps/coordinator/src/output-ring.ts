import { taskKey } from '@shoal/protocol';
import { Injectable } from '@nestjs/common';

/** The kept output of one task attempt. */
export interface TaskOutputTail {
  attempt: number;
  text: string;
  /** Output older than the kept tail was dropped. */
  truncated: boolean;
  updatedAt: number;
}

/** Bounds of the ring: bytes kept per task, and how many tasks are kept (least recently written go first). */
export const OUTPUT_RING_LIMITS = { bytesPerTask: 64 * 1024, tasks: 2000 } as const;

/**
 * A bounded memory of the live output the node-agents stream (lossy, rate-limited batches):
 * the last {@link OUTPUT_RING_LIMITS.bytesPerTask} characters of the latest attempt of each task.
 * The full log stays on the node (`logs` control action).
 */
@Injectable()
export class OutputRing {
  private readonly tails = new Map<string, TaskOutputTail>();
  private limits: { bytesPerTask: number; tasks: number } = OUTPUT_RING_LIMITS;

  /** A ring with other bounds (tests). */
  static withLimits(limits: { bytesPerTask: number; tasks: number }): OutputRing {
    const ring = new OutputRing();
    ring.limits = limits;
    return ring;
  }

  push(o: { runId: string; taskId: string; attempt: number; text: string }, now = Date.now()): void {
    const key = taskKey(o.runId, o.taskId);
    const prev = this.tails.get(key);
    if (prev && prev.attempt > o.attempt) return;
    const base = prev && prev.attempt === o.attempt ? prev : { attempt: o.attempt, text: '', truncated: false, updatedAt: now };
    let text = base.text + o.text;
    let truncated = base.truncated;
    if (text.length > this.limits.bytesPerTask) {
      text = text.slice(text.length - this.limits.bytesPerTask);
      truncated = true;
    }
    this.tails.delete(key);
    this.tails.set(key, { attempt: o.attempt, text, truncated, updatedAt: now });
    while (this.tails.size > this.limits.tasks) this.tails.delete(this.tails.keys().next().value!);
  }

  get(runId: string, taskId: string): TaskOutputTail | undefined {
    return this.tails.get(taskKey(runId, taskId));
  }
}
