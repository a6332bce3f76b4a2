import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AgentStates } from './agent-state/agent-states.service.js';
import { AnalyticsController } from './analytics/analytics.controller.js';
import { AnalyticsService } from './analytics/analytics.service.js';
import { HistoryRecorder } from './analytics/history-recorder.js';
import { HistoryStore } from './analytics/history-store.js';
import { Breakers } from './breakers.js';
import { CacheAccess } from './cache/cache-access.js';
import { SharedCacheController } from './cache/shared-cache.controller.js';
import { SharedCache } from './cache/shared-cache.service.js';
import { COORDINATOR_CONFIG, loadCoordinatorConfig } from './config.js';
import { DashboardAssets } from './dashboard/dashboard-assets.js';
import { DashboardController } from './dashboard/dashboard.controller.js';
import { FleetEventsController } from './dashboard/fleet-events.controller.js';
import { Estimates } from './estimates.service.js';
import { EventBus } from './event-bus.js';
import { ShoalExceptionFilter } from './http-errors.js';
import { LeadershipController } from './leadership/leadership.controller.js';
import { LeadershipService } from './leadership/leadership.service.js';
import { StoredRuns } from './leadership/stored-runs.js';
import { LifecycleService } from './lifecycle.service.js';
import { McpController } from './mcp/mcp.controller.js';
import { McpService } from './mcp/mcp.service.js';
import { Metrics } from './metrics.js';
import { NatsGateway } from './nats.gateway.js';
import { NodeRegistry } from './node-registry.js';
import { NodeControlService } from './node-control.service.js';
import { NodesController } from './nodes.controller.js';
import { OutputRing } from './output-ring.js';
import { PlanIntake } from './plan-intake/plan-intake.service.js';
import { TaskLogsController } from './task-logs.controller.js';
import { Orchestrator } from './orchestrator.js';
import { LivenessService } from './liveness.service.js';
import { Reconciler } from './reconciler.js';
import { RunTable } from './run-table.js';
import { RunTracer } from './run-tracer.js';
import { RunsController } from './runs.controller.js';
import { RunsService } from './runs.service.js';
import { ResultCache } from './result-cache.js';
import { Scaling } from './scaling/scaling.service.js';
import { SchedulesController } from './schedules.controller.js';
import { SchedulesService } from './schedules.service.js';
import { SchedulingController } from './scheduling.controller.js';
import { ApiAuthGuard } from './security/api-auth.guard.js';
import { BusAuthorization } from './security/bus-authorization.service.js';
import { EnrolmentController } from './security/enrolment.controller.js';
import { EnrolmentService } from './security/enrolment.service.js';
import { securityContextProvider } from './security/security-context.js';
import { TokensController } from './security/tokens.controller.js';
import { LeafSitesController } from './security/leaf-sites.controller.js';
import { LeafSitesService } from './security/leaf-sites.service.js';
import { FleetMetrics } from './telemetry/fleet-metrics.js';
import { RunMetrics } from './telemetry/run-metrics.js';

/** The coordinator: one module, thin controllers, services that inject only what they use. */
@Module({
  controllers: [RunsController, NodesController, TaskLogsController, SchedulesController, SchedulingController, TokensController, LeafSitesController, EnrolmentController, LeadershipController, AnalyticsController, DashboardController, FleetEventsController, SharedCacheController, McpController],
  providers: [
    { provide: COORDINATOR_CONFIG, useFactory: () => loadCoordinatorConfig() },
    { provide: APP_FILTER, useClass: ShoalExceptionFilter },
    { provide: APP_GUARD, useClass: ApiAuthGuard },
    securityContextProvider,
    BusAuthorization,
    EnrolmentService,
    LeafSitesService,
    Metrics,
    RunMetrics,
    FleetMetrics,
    NatsGateway,
    NodeRegistry,
    EventBus,
    RunTracer,
    RunTable,
    Breakers,
    Estimates,
    ResultCache,
    Orchestrator,
    Reconciler,
    LivenessService,
    RunsService,
    Scaling,
    SchedulesService,
    NodeControlService,
    OutputRing,
    PlanIntake,
    LeadershipService,
    StoredRuns,
    LifecycleService,
    AgentStates,
    HistoryStore,
    HistoryRecorder,
    AnalyticsService,
    DashboardAssets,
    SharedCache,
    CacheAccess,
    McpService,
  ],
})
export class AppModule {}
