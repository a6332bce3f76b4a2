import { z } from 'zod';

/** Ids that become NATS subject tokens, KV keys and file names: no `.`, `*`, `>`, spaces. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** tmux window names (roles), e.g. `Frontend-Dev`. */
export const ROLE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** A lower-case id usable as a subject token. */
export const Id = z
  .string()
  .regex(ID_PATTERN, 'must match ^[a-z0-9][a-z0-9-]{0,62}$ (lower-case letters, digits, dashes; max 63)');

/** A role, which names the tmux window of a task inside its team session. */
export const Role = z
  .string()
  .regex(ROLE_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$ (letters, digits, _ and -; max 63)');

/** The tmux session name of a team. */
export function teamSession(team: string): string {
  return `Task-${team}`;
}

/** Node ids come from host names: lower-case them and replace anything else with `-`. */
export function toNodeId(hostname: string): string {
  const id = hostname
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63);
  return id || 'node';
}
