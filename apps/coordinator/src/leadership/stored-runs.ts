import { Injectable } from '@nestjs/common';
import type { RunSummary, RunView } from '@shoal/protocol';
import { isHead, type StoredRunHead } from '../run-store/run-pages.js';
import { NatsGateway } from '../nats.gateway.js';

/** Reads in parallel at most this many run documents. */
const PARALLEL_READS = 16;

/**
 * The runs as stored in the runs bucket (`run.<id>`: their heads are enough for a summary), for a replica that does not lead: its
 * memory holds no run, the bucket holds every run any leader stored.
 */
@Injectable()
export class StoredRuns {
  constructor(private readonly nats: NatsGateway) {}

  /** Every stored run, newest first. */
  async list(): Promise<RunSummary[]> {
    const keys = await this.nats.runKeys('run.>');
    const out: RunSummary[] = [];
    for (let i = 0; i < keys.length; i += PARALLEL_READS) {
      const docs = await Promise.all(keys.slice(i, i + PARALLEL_READS).map((k) => this.nats.getRun<RunView | StoredRunHead>(k)));
      for (const v of docs) {
        if (v) out.push({ id: v.id, plan: v.plan, state: v.state, submittedAt: v.submittedAt, finishedAt: v.finishedAt, tasks: isHead(v) ? v.taskCount : v.tasks.length });
      }
    }
    return out.sort((a, b) => b.submittedAt - a.submittedAt);
  }
}
