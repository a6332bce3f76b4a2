import { Controller, Get, Query } from '@nestjs/common';
import type { AnalyticsReport } from '@shoal/protocol';
import { RequireScope } from '../security/access.js';
import { AnalyticsService } from './analytics.service.js';

/** Historical analytics of runs, tasks and nodes. */
@Controller()
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  /** `GET /analytics?since=7d`: the AnalyticsReport of the window ending now. */
  @Get('analytics')
  @RequireScope('read')
  report(@Query('since') since?: string): Promise<AnalyticsReport> {
    return this.analytics.report(since);
  }
}
