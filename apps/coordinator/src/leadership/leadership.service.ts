import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { LeaderStatus } from '@shoal/protocol';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config.js';
import { NatsGateway } from '../nats.gateway.js';
import { LeaderElection, type LeaderRole, type RoleChange } from './election.js';
import { type LeadershipConfig, loadLeadershipConfig } from './leadership-config.js';
import { LeaseStore } from './lease-store.js';

/** Exit code of a coordinator that lost its leadership: restart it, it comes back as a standby. */
export const EXIT_DEPOSED = 75;

/** What the coordinator does when it becomes leader, and when a suspended leadership resumes. */
export interface LeaderDuties {
  /** Takes up the leader's work (recover runs, consume status, judge liveness, ...); `fresh`: nobody led before (the lease key was absent). */
  promoted(how: { term: number; fresh: boolean }): Promise<void>;
  /** The lease could not be renewed in time: stop judging (the other leader-only actions check {@link LeadershipService.active}). */
  suspended?(): void;
  resumed?(): void;
}

/**
 * Runs the leader election (see {@link LeaderElection}) over the topology's leader bucket: one
 * read and at most one write per pulse. Only the leader does the leader's duties; a leader that
 * finds the lease taken by another replica exits the process ({@link EXIT_DEPOSED}): its memory
 * holds runs another leader now drives, and a restart (shoal up, systemd, Kubernetes) brings it
 * back clean, as a standby.
 */
@Injectable()
export class LeadershipService implements OnModuleDestroy {
  private readonly log = new Logger('leadership');
  readonly settings: LeadershipConfig;
  private readonly election: LeaderElection;
  private readonly store: LeaseStore;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private handling: Promise<void> = Promise.resolve();
  private duties?: LeaderDuties;
  private waiters: (() => void)[] = [];
  private stopping = false;
  private starting = true;
  private lastError?: string;
  /** Ends the process (replaceable in tests). */
  exit: (code: number) => void = (code) => process.exit(code);

  constructor(@Inject(COORDINATOR_CONFIG) config: CoordinatorConfig, nats: NatsGateway) {
    this.settings = loadLeadershipConfig(config);
    const { coordinatorId, url, leaseMs, pulseMs } = this.settings;
    this.election = new LeaderElection({ coordinatorId, url, instance: randomBytes(8).toString('hex') }, { ttlMs: leaseMs, pulseMs, now: () => performance.now() });
    this.store = new LeaseStore(() => nats.leaderBucket(2 * pulseMs));
  }

  /** True while this replica leads with a fresh lease: the gate of every leader-only action. */
  get active(): boolean {
    return this.election.active;
  }

  get role(): LeaderRole {
    return this.election.role;
  }

  /** This replica's view of the election, for `/leader` and `/healthz`. */
  status(): LeaderStatus {
    const l = this.election.lease;
    return {
      role: this.election.role,
      term: this.election.currentTerm,
      coordinatorId: this.settings.coordinatorId,
      url: this.settings.url,
      ...(l ? { leader: { coordinatorId: l.coordinatorId, url: l.url, term: l.term, renewedAt: l.renewedAt, released: !!l.released } } : {}),
    };
  }

  /** Where a write should go instead of here: the holder's URL, unless this replica holds the lease or none is known. */
  leaderElsewhere(): { coordinatorId: string; url: string; term: number } | undefined {
    const l = this.election.lease;
    if (!l || l.released || l.instance === this.election.self.instance) return undefined;
    return { coordinatorId: l.coordinatorId, url: l.url, term: l.term };
  }

  /** Resolves once this replica is active (at once if it is); never, if it is deposed first. */
  whenActive(): Promise<void> {
    if (this.active) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Runs the first pulse (a lone coordinator wins an absent or released lease at once, and its
   * duties are taken up before this resolves), then one every pulse.
   */
  async start(duties: LeaderDuties): Promise<void> {
    this.duties = duties;
    await this.tick();
    this.timer = setInterval(() => this.pulse(), this.settings.pulseMs);
    await this.handling;
    this.starting = false;
    const s = this.status();
    if (s.role !== 'leader') this.log.log(`standby (${this.settings.coordinatorId}): ${s.leader ? `leader is ${s.leader.coordinatorId} at ${s.leader.url}, term ${s.leader.term}` : 'no leader known yet'}`);
  }

  /** Releases a held lease, so that a standby takes over at once instead of after the lease period. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.ticking;
    const step = this.election.releaseStep();
    if (step.kind === 'wait') return;
    const r = await this.store.write(step);
    this.log.log(r.kind === 'ok' ? `released the lease (term ${step.lease.term})` : `could not release the lease (${r.kind === 'error' ? r.message : 'it changed'}); it expires by itself`);
  }

  private pulse(): void {
    this.handle();
    if (!this.ticking && !this.stopping) this.ticking = this.tick().finally(() => (this.ticking = undefined));
  }

  private async tick(): Promise<void> {
    const seen = await this.store.read();
    if (seen.kind === 'error' && seen.message !== this.lastError) this.log.warn(`cannot read the leader lease: ${seen.message}`);
    this.lastError = seen.kind === 'error' ? seen.message : undefined;
    const step = this.election.decide(seen);
    if (step.kind !== 'wait' && !this.stopping) {
      const sentAt = performance.now();
      const result = await this.store.write(step);
      if (result.kind === 'error' && result.message !== this.lastError) this.log.warn(`writing the leader lease failed: ${result.message}`);
      this.election.written(step, result, sentAt);
    }
    this.handle();
  }

  /**
   * Acts on role changes: a promotion's duties (and a resumption) are queued one after the other,
   * never blocking the pulse; a deposition is acted on at once.
   */
  private handle(): void {
    for (const c of this.election.drainChanges()) {
      if (c.kind === 'deposed' || c.kind === 'suspended') void this.act(c);
      else this.handling = this.handling.then(() => this.act(c));
    }
  }

  private async act(c: RoleChange): Promise<void> {
    const me = this.settings.coordinatorId;
    switch (c.kind) {
      case 'promoted':
        this.log.log(`${me} is the leader now (term ${c.term}): ${c.why}`);
        try {
          await this.duties?.promoted({ term: c.term, fresh: c.fresh });
        } catch (e) {
          if (this.starting) throw e; // the coordinator fails to start, as it did before elections
          this.log.error(`could not take up the leader's duties (term ${c.term}): ${(e as Error).message}; exiting`);
          this.exit(1);
          return;
        }
        this.wake();
        break;
      case 'suspended':
        this.log.warn(`leadership suspended (term ${c.term}): ${c.why}; nothing is dispatched, judged or consumed until the lease is renewed`);
        this.duties?.suspended?.();
        break;
      case 'resumed':
        this.log.log(`leadership resumed (term ${c.term}): the lease was renewed and nobody else took it`);
        this.duties?.resumed?.();
        this.wake();
        break;
      case 'deposed':
        if (this.stopping) return;
        this.log.error(`${me} is no longer the leader (term ${c.term}): ${c.why}; exiting (code ${EXIT_DEPOSED}) so that a restart begins clean, as a standby`);
        this.exit(EXIT_DEPOSED);
        break;
    }
  }

  private wake(): void {
    if (!this.active) return;
    for (const w of this.waiters.splice(0)) w();
  }
}
