export * from './http-port.js';
export * from './tool-results.js';
export * from './shoal-tools.js';
