import { Injectable } from '@nestjs/common';
import { taskKind } from '@shoal/scheduler';
import { Breakers } from '../breakers.js';
import { Metrics } from '../metrics.js';
import { NodeRegistry } from '../node-registry.js';
import { RunTable } from '../run-table.js';
import * as fleet from './fleet-samples.js';

/**
 * Registers the gauges read from the node registry at every scrape: node liveness, host CPU and
 * memory, place in the CPU band, heartbeat lag, outbox depth, agents per state and their CPU and
 * memory per task kind; and the circuit breakers that are not closed.
 */
@Injectable()
export class FleetMetrics {
  constructor(nodes: NodeRegistry, table: RunTable, breakers: Breakers, metrics: Metrics) {
    const list = () => nodes.list();
    const kindOf = (runId: string, taskId: string) => {
      const spec = table.get(runId)?.plan.tasks.get(taskId);
      return spec ? taskKind(spec) : undefined;
    };
    metrics.observe('nodes', () => fleet.nodeCounts(list()));
    metrics.observe('nodeCpu', () => fleet.nodeCpu(list()));
    metrics.observe('nodeMemoryUsage', () => fleet.nodeMemory(list(), 'usage'));
    metrics.observe('nodeMemoryLimit', () => fleet.nodeMemory(list(), 'limit'));
    metrics.observe('nodeBandLimit', () => fleet.bandLimits(list()));
    metrics.observe('nodeBandPosition', () => fleet.bandPosition(list()));
    metrics.observe('nodeBandState', () => fleet.bandState(list()));
    metrics.observe('nodeThrottled', () => fleet.perNode(list(), (hb) => hb.band?.throttled.length ?? 0));
    metrics.observe('nodeOutbox', () => fleet.perNode(list(), (hb) => hb.outboxDepth ?? 0));
    metrics.observe('nodeMalformed', () => fleet.perNode(list(), (hb) => hb.malformed ?? 0));
    metrics.observe('heartbeatLag', () => fleet.heartbeatLag(list()));
    metrics.observe('heartbeatAge', () => fleet.heartbeatAge(list(), Date.now()));
    metrics.observe('agents', () => fleet.agentStates(list()));
    metrics.observe('agentCpu', () => fleet.agentUsage(list(), 'cpu', kindOf));
    metrics.observe('agentMemory', () => fleet.agentUsage(list(), 'rss', kindOf));
    metrics.observe('breakers', () => fleet.breakerCounts({ node: breakers.nodes.notClosed(), preset: breakers.presets.notClosed() }));
  }
}
