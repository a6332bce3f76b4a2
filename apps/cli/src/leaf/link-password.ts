import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { ValidationError } from '@shoal/protocol';
import { writeSecretFile } from '@shoal/runtime';

/** bcrypt cost of a link password's hash (what `nats server passwd` uses). */
export const LINK_PASSWORD_COST = 11;

/** The bcrypt hash nats-server checks a leaf link's password against (the hub keeps only this). */
export function linkPasswordHash(password: string): string {
  return bcrypt.hashSync(password, LINK_PASSWORD_COST);
}

/**
 * The site's link password from `file`, made (64 hex digits, file mode 0600) when the file does
 * not exist yet, with its bcrypt hash; `created` says whether it was made now.
 */
export function siteLinkPassword(file: string): { hash: string; created: boolean } {
  const created = !existsSync(file);
  if (created) writeSecretFile(file, `${randomBytes(32).toString('hex')}\n`);
  const password = readFileSync(file, 'utf8').trim();
  if (password.length < 16) throw new ValidationError([{ path: '--password-file', message: `${file} holds a password of ${password.length} characters; a link password needs at least 16 (delete the file to have one made)` }]);
  return { hash: linkPasswordHash(password), created };
}
