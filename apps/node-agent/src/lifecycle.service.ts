import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AgentGateway } from './agent.gateway.js';
import { NODE_AGENT_CONFIG, type NodeAgentConfig } from './config.js';
import { ExecutorService } from './executor.service.js';
import { detectGovernor } from './governor/index.js';
import { HeartbeatService } from './heartbeat.service.js';
import { TmuxDriver } from './tmux/index.js';

/** Starts the node-agent's parts in order, and stops them cleanly (no orphan windows or processes). */
@Injectable()
export class LifecycleService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('node-agent');
  private tmux?: TmuxDriver;

  constructor(
    @Inject(NODE_AGENT_CONFIG) private readonly config: NodeAgentConfig,
    private readonly gateway: AgentGateway,
    private readonly executor: ExecutorService,
    private readonly heartbeat: HeartbeatService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const governor = await detectGovernor({ prefix: this.config.governorPrefix, force: this.config.governor === 'fallback' ? 'fallback' : undefined });
    this.tmux = await TmuxDriver.connect({ socketName: this.config.tmuxSocket });
    this.executor.attach(this.tmux, governor);
    await this.gateway.start();
    this.gateway.serveControl((req) => this.executor.control(req));
    await this.heartbeat.start();
    await this.gateway.consumeWork((task, msg, headers) => this.executor.accept(task, msg, headers));
    this.log.log(`node ${this.config.nodeId} ready: governor ${governor.kind}, tmux socket ${this.config.tmuxSocket}, pulse ${this.config.pulseMs} ms`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.heartbeat.stop();
    if (this.tmux) {
      await this.executor.stopAll('node-agent shutting down');
      await this.tmux.killServer().catch(() => undefined);
      await this.tmux.close().catch(() => undefined);
    }
    await this.gateway.stop();
  }
}
