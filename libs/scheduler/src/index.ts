export * from './graph.js';
export * from './engine-types.js';
export * from './engine.js';
