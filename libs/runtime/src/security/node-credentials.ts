import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { z } from 'zod';
import { Id, UserPublicKey, ValidationError } from '@shoal/protocol';
import { writeSecretFile } from './security-store.js';

/** What a node keeps after enrolling (file mode 0600 in its data dir): its own seed and where the bus is. */
export const NodeCredentials = z.strictObject({
  nodeId: Id,
  namespace: z.string().max(31),
  servers: z.array(z.string()).min(1),
  /** The node's nkey seed (generated on the node, never sent anywhere). */
  seed: z.string().regex(/^SU[A-Z2-7]{56}$/, 'must be a NATS user nkey seed'),
  publicKey: UserPublicKey,
  inboxPrefix: z.string().max(128),
  caPem: z.string().optional(),
  /** The coordinator API the node enrolled with. */
  coordinator: z.string().max(512),
});
export type NodeCredentials = z.infer<typeof NodeCredentials>;

/** A fresh nkey user pair generated on this host. */
export function newUserKeys(): { seed: string; publicKey: string } {
  const kp = createUser();
  return { seed: new TextDecoder().decode(kp.getSeed()), publicKey: kp.getPublicKey() };
}

/** Reads a node's credentials file, or undefined when it does not exist; throws when it is malformed. */
export function readNodeCredentials(path: string): NodeCredentials | undefined {
  if (!existsSync(path)) return undefined;
  const parsed = NodeCredentials.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: `${path}: ${i.path.join('.')}`, message: i.message })));
  return parsed.data;
}

/** Writes a node's credentials (0600; its directory 0700 when created here). */
export function writeNodeCredentials(path: string, c: NodeCredentials): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeSecretFile(path, `${JSON.stringify(c, null, 2)}\n`);
}
