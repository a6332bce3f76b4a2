export * from './graph.js';
export * from './engine-types.js';
export * from './engine.js';
export * from './placement/types.js';
export * from './placement/placer.js';
