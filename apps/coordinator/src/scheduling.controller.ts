import { Controller, Get } from '@nestjs/common';
import type { BreakersReply, EstimatesReply, ScalingReply } from '@shoal/protocol';
import { Breakers } from './breakers.js';
import { Estimates } from './estimates.service.js';
import { Orchestrator } from './orchestrator.js';
import { Scaling } from './scaling/scaling.service.js';
import { RequireScope } from './security/access.js';

/** What the scheduler is thinking: scaling decision, queue, breakers and learned run times. */
@Controller()
export class SchedulingController {
  constructor(
    private readonly scaling: Scaling,
    private readonly orchestrator: Orchestrator,
    private readonly breakers: Breakers,
    private readonly estimates: Estimates,
  ) {}

  /** The latest auto-scaling decision with its reasons and the queue it was made from. */
  @Get('scaling')
  @RequireScope('read')
  scalingView(): ScalingReply {
    return { ...this.scaling.view(), queue: this.orchestrator.placer.stats() };
  }

  /** Circuit breakers that are not closed, and recent state changes. */
  @Get('breakers')
  @RequireScope('read')
  breakerView(): BreakersReply {
    return this.breakers.snapshot();
  }

  /** Learned run times per task kind (team/role/program). */
  @Get('estimates')
  @RequireScope('read')
  estimateView(): EstimatesReply {
    return this.estimates.all();
  }
}
