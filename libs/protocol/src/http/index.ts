export * from './runs.js';
export * from './nodes.js';
export * from './cluster.js';
export * from './tokens.js';
export * from './schedules.js';
export * from './endpoints.js';
export * from './cache.js';
export * from './needs-operator.js';
