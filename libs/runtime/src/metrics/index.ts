export * from './exposition.js';
export * from './metric-registry.js';
export * from './prometheus-names.js';
