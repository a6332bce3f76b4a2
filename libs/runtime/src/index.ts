export * from './telemetry.js';
export * from './nats.js';
export * from './security/index.js';
