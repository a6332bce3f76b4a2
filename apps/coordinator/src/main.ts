#!/usr/bin/env node
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { MAX_PLAN_BYTES } from '@shoal/protocol';
import { PinoNestLogger, createLogger, startTelemetry } from '@shoal/runtime';
import { AppModule } from './app.module.js';
import { loadCoordinatorConfig } from './config.js';
import { jsonBodyParser } from './plan-intake/json-body.js';
import { installWriteForwarding } from './leadership/forward-writes.js';
import { LeadershipService } from './leadership/leadership.service.js';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'];

/** Starts the coordinator: HTTP(S) API on HOST:PORT, NATS at NATS_URL. */
async function main(): Promise<void> {
  const config = loadCoordinatorConfig();
  const { tlsCert, tlsKey } = config.security;
  const https = tlsCert && tlsKey ? { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) } : undefined;
  const telemetry = startTelemetry('shoal-coordinator');
  // structured logs (JSON lines with the active trace id; SHOAL_LOG_LEVEL, SHOAL_LOG_FORMAT); the banner lines below stay plain text
  const logger = new PinoNestLogger(createLogger({ service: 'shoal-coordinator' }));
  const adapter = https ? new FastifyAdapter({ bodyLimit: MAX_PLAN_BYTES, https }) : new FastifyAdapter({ bodyLimit: MAX_PLAN_BYTES });
  adapter.getInstance().addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, { bufferLogs: false, logger });
  app.useBodyParser('application/json', { bodyLimit: MAX_PLAN_BYTES }, jsonBodyParser(adapter.getInstance()));
  // before the routes exist: a standby forwards writes to the leader (or refuses them)
  installWriteForwarding(adapter.getInstance(), app.get(LeadershipService));
  await app.listen(config.port, config.host);
  // Nest names the scheme from its own httpsOptions, which the adapter's TLS bypasses
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace(/^http:/, https ? 'https:' : 'http:');
  const mode = config.security.insecure ? ' (INSECURE: no API tokens, anonymous NATS)' : '';
  process.stdout.write(`shoal coordinator listening on ${url}${mode}\n`);
  const stop = async (signal: string) => {
    process.stdout.write(`coordinator stopping (${signal})\n`);
    const closed = await Promise.race([app.close().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), SHUTDOWN_DEADLINE_MS).unref())]);
    if (!closed) process.stderr.write(`coordinator: shutdown still not done after ${SHUTDOWN_DEADLINE_MS} ms (an HTTP request or a shutdown hook that does not end); exiting anyway\n`);
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

/** A graceful shutdown that takes longer than this ends anyway (and says so). */
const SHUTDOWN_DEADLINE_MS = 20_000;

main().catch((e: Error) => {
  process.stderr.write(`coordinator failed to start: ${e.message}\n`);
  process.exit(1);
});
