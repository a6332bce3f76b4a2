import { z } from 'zod';

/**
 * HTTP shapes of leaf sites (admin scope; docs/multi-cluster.md): remote sites whose nats-server
 * links to the control host's as a leaf node, as user `leaf-<name>` with a password.
 */

/** A site name: lower-case letters, digits and '-', at most 31 (its link's user is `leaf-<name>`). */
export const LeafSiteName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "lower-case letters, digits and '-' (at most 31)");

/** `PUT /leaf-sites/:name {passwordHash}`: records a site (or replaces its hash); the control host never sees the password. */
export const PutLeafSiteRequest = z.strictObject({
  /** bcrypt hash of the link's password (`$2a$`, `$2b$` or `$2y$`). */
  passwordHash: z.string().regex(/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/, 'must be a bcrypt hash ($2a$, $2b$ or $2y$)'),
});
export type PutLeafSiteRequest = z.infer<typeof PutLeafSiteRequest>;

/** A leaf site and the nodes its link may act as (those enrolled with label `site=<name>`). */
export interface LeafSiteView {
  name: string;
  /** The link's user at the hub. */
  user: string;
  createdAt: number;
  nodes: string[];
}

/** `DELETE /leaf-sites/:name`: the site's link is refused from now on. */
export interface LeafSiteRemovedReply {
  ok: true;
  removed: string;
}
