#!/usr/bin/env node
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { startTelemetry } from '@shoal/runtime';
import { NodeAgentModule } from './app.module.js';
import { loadNodeAgentConfig } from './config.js';

/** Starts the node-agent (no HTTP: it talks only NATS). */
async function main(): Promise<void> {
  const config = loadNodeAgentConfig();
  const telemetry = startTelemetry('shoal-node-agent', { 'shoal.node_id': config.nodeId });
  const app = await NestFactory.createApplicationContext(NodeAgentModule);
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
