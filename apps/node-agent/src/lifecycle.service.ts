import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AgentGateway } from './agent.gateway.js';
import { NODE_AGENT_CONFIG, type NodeAgentConfig } from './config.js';
import { ExecutorService } from './executor.service.js';
import { type ResourceGovernor, detectGovernor } from './governor/index.js';
import { HeartbeatService } from './heartbeat.service.js';
import { stopAfterReason, stopAfterVictims } from './stop-after/stop-after.js';
import { TmuxDriver } from './tmux/index.js';

/** Starts the node-agent's parts in order, and stops them cleanly (no orphan windows or processes). */
@Injectable()
export class LifecycleService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('node-agent');
  private tmux?: TmuxDriver;
  private governor?: ResourceGovernor;
  private cutOffTimer?: NodeJS.Timeout;

  constructor(
    @Inject(NODE_AGENT_CONFIG) private readonly config: NodeAgentConfig,
    private readonly gateway: AgentGateway,
    private readonly executor: ExecutorService,
    private readonly heartbeat: HeartbeatService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const governor = (this.governor = await detectGovernor({ prefix: this.config.governorPrefix, force: this.config.governor === 'fallback' ? 'fallback' : undefined }));
    this.tmux = await TmuxDriver.connect({ socketName: this.config.tmuxSocket });
    this.executor.attach(this.tmux, governor);
    await this.gateway.start();
    await this.readopt();
    this.executor.startWarmPool();
    this.gateway.serveControl((req) => this.executor.control(req));
    await this.heartbeat.start();
    await this.gateway.consumeWork((task, msg, headers) => this.executor.accept(task, msg, headers));
    this.watchCutOff();
    this.log.log(`node ${this.config.nodeId} ready: governor ${governor.kind}, tmux socket ${this.config.tmuxSocket}, pulse ${this.config.pulseMs} ms`);
  }

  /**
   * A restarted node-agent (upgrade, crash, kill -9) takes over the attempts its previous
   * incarnation recorded and that still run (same attempt, same pid; the coordinator's reconciler
   * stops those it no longer wants), reports those that ended meanwhile, and clears the rest.
   */
  private async readopt(): Promise<void> {
    const s = await this.executor.readopt();
    if (s.adopted || s.finished || s.lost || s.superseded) {
      this.log.warn(`previous incarnation: ${s.adopted} attempt(s) re-adopted, ${s.finished} ended meanwhile, ${s.lost} lost, ${s.superseded} superseded`);
    }
    if (s.clearedProcesses || s.clearedGroups || s.clearedWindows) {
      this.log.warn(`cleared leftovers of a previous run: ${s.clearedProcesses} process(es), ${s.clearedGroups} group(s), ${s.clearedWindows} window(s)`);
    }
  }

  /** stop_after: a node cut off from the bus for longer than `SHOAL_STOP_AFTER_MS` stops its own agents (reports go out once reconnected). */
  private watchCutOff(): void {
    const { stopAfterMs, stopAfterInteractive } = this.config;
    if (stopAfterMs <= 0) return;
    this.cutOffTimer = setInterval(() => {
      const down = this.gateway.disconnectedFor(Date.now());
      const running = this.executor.running();
      const victims = new Set(stopAfterVictims(down, { stopAfterMs, includeInteractive: stopAfterInteractive }, running));
      if (victims.size === 0) return;
      const reason = stopAfterReason(down);
      this.log.warn(`${reason}: stopping ${victims.size} agent(s)`);
      for (const a of running) if (victims.has(a.key)) void a.stop('lost', reason);
    }, Math.min(1000, Math.max(100, Math.floor(stopAfterMs / 4))));
    this.cutOffTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.heartbeat.stop();
    clearInterval(this.cutOffTimer);
    if (this.config.keepAgentsOnExit && this.tmux) {
      // Upgrade path: agents, windows and groups stay for the next incarnation to re-adopt. The
      // tmux client is not closed (that would end the attempts' exit watches as "lost").
      const left = this.executor.running().length;
      await this.executor.drainWarmPool();
      this.log.log(`leaving ${left} agent(s) running for the next node-agent (SHOAL_KEEP_AGENTS_ON_EXIT=1)`);
      await this.gateway.stop();
      return;
    }
    if (this.tmux) {
      await this.executor.stopAll('node-agent shutting down');
      await this.tmux.killServer().catch(() => undefined);
      await this.tmux.close().catch(() => undefined);
    }
    const left = await this.governor?.cleanupAll().catch((e: Error) => this.log.warn(`governor cleanup failed: ${e.message}`));
    if (left && left.killedPids.length) this.log.warn(`killed ${left.killedPids.length} leftover process(es) on shutdown`);
    await this.gateway.stop();
  }
}
