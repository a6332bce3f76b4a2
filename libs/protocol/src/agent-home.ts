import { z } from 'zod';
import { CONTROL_CHARS, FORBIDDEN_ENV } from './plan-values.js';

/**
 * Where an agent task's HOME is (docs/agents.md "Prepared homes"):
 * - `scratch` (the default for agent presets): a fresh directory per attempt, prepared for the
 *   preset's CLI (onboarding done, the task's cwd trusted, its API key approved), removed with it;
 * - `shared`: the node-agent user's own HOME, left exactly as it is (nothing written);
 * - an absolute directory: prepared like `scratch` (only Shoal's keys are set, the user's other
 *   settings kept) and kept after the task.
 */
export const AgentHome = z.union([
  z.literal('scratch'),
  z.literal('shared'),
  z
    .string()
    .max(4096)
    .refine((p) => p.startsWith('/'), 'must be "scratch", "shared" or an absolute path')
    .refine((p) => !p.split('/').includes('..'), 'must not contain ".." segments')
    .refine((p) => !CONTROL_CHARS.test(p), 'must not contain control characters'),
]);
export type AgentHome = z.infer<typeof AgentHome>;

/** A secret's name in a node's store: a file name under the node's secrets dir, `SHOAL_SECRET_<NAME>` in its environment. */
export const SecretName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'secret names are letters, digits, "_" and "-" (max 63), starting with a letter or digit');

/**
 * Secrets by reference: environment variable -> secret name. Only names travel (plans, KV, bus);
 * the node resolves each value from its own store when the attempt starts.
 */
export const TaskSecrets = z
  .record(
    z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'env names must match ^[A-Z_][A-Z0-9_]*$')
      .refine((k) => !FORBIDDEN_ENV.includes(k) && k !== 'HOME' && !k.startsWith('SHOAL_'), `must not be HOME, a SHOAL_ variable or one of ${FORBIDDEN_ENV.join(', ')}`),
    SecretName,
  )
  .refine((s) => Object.keys(s).length <= 32, 'at most 32 secrets');
export type TaskSecrets = z.infer<typeof TaskSecrets>;

/** The variable of the node-agent's environment that holds secret `name` (upper case, `-` -> `_`). */
export function secretEnvName(name: string): string {
  return `SHOAL_SECRET_${name.toUpperCase().replaceAll('-', '_')}`;
}
