import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AgentGateway } from './agent.gateway.js';
import { NODE_AGENT_CONFIG, type NodeAgentConfig } from './config.js';
import { ExecutorService } from './executor.service.js';
import { type ResourceGovernor, detectGovernor } from './governor/index.js';
import { HeartbeatService } from './heartbeat.service.js';
import { TmuxDriver } from './tmux/index.js';
import { WARM_SESSION } from './warm/index.js';

/** Starts the node-agent's parts in order, and stops them cleanly (no orphan windows or processes). */
@Injectable()
export class LifecycleService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('node-agent');
  private tmux?: TmuxDriver;
  private governor?: ResourceGovernor;

  constructor(
    @Inject(NODE_AGENT_CONFIG) private readonly config: NodeAgentConfig,
    private readonly gateway: AgentGateway,
    private readonly executor: ExecutorService,
    private readonly heartbeat: HeartbeatService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const governor = (this.governor = await detectGovernor({ prefix: this.config.governorPrefix, force: this.config.governor === 'fallback' ? 'fallback' : undefined }));
    this.tmux = await TmuxDriver.connect({ socketName: this.config.tmuxSocket });
    await this.clearLeftovers(governor, this.tmux);
    this.executor.attach(this.tmux, governor);
    await this.gateway.start();
    this.gateway.serveControl((req) => this.executor.control(req));
    await this.heartbeat.start();
    await this.gateway.consumeWork((task, msg, headers) => this.executor.accept(task, msg, headers));
    this.log.log(`node ${this.config.nodeId} ready: governor ${governor.kind}, tmux socket ${this.config.tmuxSocket}, pulse ${this.config.pulseMs} ms`);
  }

  /**
   * A node-agent does not re-adopt tasks of a previous incarnation (killed, crashed): it ends their
   * processes, groups and windows, and the coordinator re-runs those attempts (reconciliation).
   */
  private async clearLeftovers(governor: ResourceGovernor, tmux: TmuxDriver): Promise<void> {
    const groups = await governor.cleanupAll();
    let windows = 0;
    for (const s of await tmux.listSessions()) {
      if (!s.name.startsWith('Task-') && s.name !== WARM_SESSION) continue;
      windows += s.windows;
      await tmux.killSession(s.name);
    }
    if (groups.killedPids.length || groups.removedGroups.length || windows) {
      this.log.warn(`cleared leftovers of a previous run: ${groups.killedPids.length} process(es), ${groups.removedGroups.length} group(s), ${windows} window(s)`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.heartbeat.stop();
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
