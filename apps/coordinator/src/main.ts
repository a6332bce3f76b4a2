#!/usr/bin/env node
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { MAX_PLAN_BYTES } from '@shoal/protocol';
import { startTelemetry } from '@shoal/runtime';
import { AppModule } from './app.module.js';
import { loadCoordinatorConfig } from './config.js';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'];

/** Starts the coordinator: HTTP API on HOST:PORT, NATS at NATS_URL. */
async function main(): Promise<void> {
  const config = loadCoordinatorConfig();
  const telemetry = startTelemetry('shoal-coordinator');
  const adapter = new FastifyAdapter({ bodyLimit: MAX_PLAN_BYTES });
  adapter.getInstance().addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, { bufferLogs: false });
  await app.listen(config.port, config.host);
  const url = await app.getUrl();
  process.stdout.write(`shoal coordinator listening on ${url.replace('[::1]', 'localhost')}\n`);
  const stop = async (signal: string) => {
    process.stdout.write(`coordinator stopping (${signal})\n`);
    await app.close();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e: Error) => {
  process.stderr.write(`coordinator failed to start: ${e.message}\n`);
  process.exit(1);
});
