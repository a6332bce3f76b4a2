export * from './security-store.js';
export * from './nats-auth.js';
export * from './leaf-site.js';
export * from './node-credentials.js';
