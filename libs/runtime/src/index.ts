export * from './telemetry.js';
export * from './nats.js';
