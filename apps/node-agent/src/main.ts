#!/usr/bin/env node
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { PinoNestLogger, createLogger, startTelemetry } from '@shoal/runtime';
import { NodeAgentModule } from './app.module.js';
import { loadNodeAgentConfig } from './config.js';

/**
 * Test hook `SHOAL_CLOCK_SKEW_MS` (chaos suite): shifts this process's wall clock (`Date.now`) by
 * that many ms, as a host with a wrong clock would (timers are monotonic and stay unaffected).
 */
function applyClockSkew(raw = process.env.SHOAL_CLOCK_SKEW_MS): void {
  if (!raw) return;
  const skew = Number(raw);
  if (!Number.isInteger(skew) || Math.abs(skew) > 86_400_000) throw new Error(`SHOAL_CLOCK_SKEW_MS=${raw}: must be an integer from -86400000 to 86400000`);
  const real = Date.now.bind(Date);
  Date.now = () => real() + skew;
  process.stdout.write(`clock skewed by ${skew} ms (SHOAL_CLOCK_SKEW_MS)\n`);
}

/** Starts the node-agent (no HTTP API: it talks NATS; only an optional Prometheus `/metrics` port, `SHOAL_METRICS_PORT`). */
async function main(): Promise<void> {
  applyClockSkew();
  const config = loadNodeAgentConfig();
  const telemetry = startTelemetry('shoal-node-agent', { 'shoal.node_id': config.nodeId });
  // structured logs (JSON lines with the active trace id, and run/task of the active task span; SHOAL_LOG_LEVEL, SHOAL_LOG_FORMAT)
  const logger = new PinoNestLogger(createLogger({ service: 'shoal-node-agent', base: { nodeId: config.nodeId } }));
  const app = await NestFactory.createApplicationContext(NodeAgentModule, { logger });
  process.stdout.write(`shoal node-agent ${config.nodeId} running\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`node-agent stopping (${signal})\n`);
    await app.close();
    await telemetry.shutdown();
    // A shutdown the node-agent asked for itself (its NATS credentials refused) exits non-zero.
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e: Error) => {
  process.stderr.write(`node-agent failed to start: ${e.message}\n`);
  process.exit(1);
});
