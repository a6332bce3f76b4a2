export * from './telemetry.js';
export * from './metrics/index.js';
export * from './nats.js';
export * from './security/index.js';
export * from './logging.js';
export * from './mcp/index.js';
export * from './terminal/index.js';
