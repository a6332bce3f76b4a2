/**
 * Secrets by reference: a task names secrets (`secrets: { ENV_VAR: name }`); the node resolves them
 * from its own store when the attempt starts. See docs/security.md "Secrets".
 */
export { SECRET_ENV_PREFIX, SecretStore, SecretUnavailableError, secretEnvOf, type SecretSource } from './secret-store.js';
