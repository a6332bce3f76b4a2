import { type SubjectPermissions, type Topology, nodePermissions } from '@shoal/protocol';
import type { NatsPasswordUser } from './nats-auth.js';
import type { SecurityState } from './security-store.js';

/**
 * Remote sites attached to the control host's NATS (the hub) through a NATS leaf node
 * (docs/multi-cluster.md). A site's node-agents connect to the site's own nats-server with their
 * own nkeys; that server links to the hub as one user whose rights cover only the site's nodes.
 */

/** JetStream domain of the hub when leaf sites attach: leaf-side clients reach it as `$JS.<domain>.API`. */
export const HUB_JS_DOMAIN = 'shoal-hub';

/** The node label (declared at enrolment) that puts a node behind a site's leaf link. */
export const SITE_LABEL = 'site';

/** A subject nobody uses: the only right of a link whose site has no node yet (an empty allow list would allow everything). */
const NOTHING = '_SHOAL_SITE_WITHOUT_NODES';

/** The prefix of the JetStream API a leaf-side client reaches on the hub (`$JS.<domain>.API`). */
export function domainApiPrefix(jsDomain: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(jsDomain)) throw new Error(`JetStream domain must be 1-32 letters, digits, '-' or '_': ${jsDomain}`);
  return `$JS.${jsDomain}.API`;
}

/**
 * A node's rights at its site's leaf server: exactly `nodePermissions`, with its JetStream API
 * calls addressed to the hub's domain. The leaf server maps `$JS.API.>` to `$JS.<domain>.API.>`
 * before it checks permissions, so the node-agent runs unchanged.
 */
export function leafNodePermissions(topo: Topology, nodeId: string, jsDomain: string): SubjectPermissions {
  const own = nodePermissions(topo, nodeId);
  const prefix = domainApiPrefix(jsDomain);
  return { ...own, publish: own.publish.map((s) => (s.startsWith('$JS.API.') ? `${prefix}.${s.slice('$JS.API.'.length)}` : s)) };
}

/**
 * The rights of a site's leaf link at the hub, from the site's side (what it may send to the hub,
 * what the hub forwards to it): the union of its nodes' rights, plus `_INBOX.>` to publish,
 * because nats-server 2.9 does not carry `allow_responses` over a leaf link and a node's answer to
 * a control request goes to the coordinator's `_INBOX.…` (the nodes keep `allow_responses` only).
 */
export function siteLinkPermissions(topo: Topology, nodeIds: string[], jsDomain: string): SubjectPermissions {
  const each = nodeIds.map((id) => leafNodePermissions(topo, id, jsDomain));
  const subscribe = [...new Set(each.flatMap((p) => p.subscribe))];
  return {
    publish: [...new Set([...each.flatMap((p) => p.publish), '_INBOX.>'])],
    subscribe: subscribe.length ? subscribe : [NOTHING],
    allowResponses: true,
  };
}

/** User name of a site's leaf link at the hub; throws on a name that is not `[a-z0-9-]`, at most 31. */
export function siteLinkUserName(site: string): string {
  if (!isSiteName(site)) throw new Error(`site name must be lower-case letters, digits and '-' (at most 31): ${site}`);
  return `leaf-${site}`;
}

/** True for a usable site name (lower-case letters, digits, '-'; at most 31). */
export function isSiteName(site: string): boolean {
  return /^[a-z0-9][a-z0-9-]{0,30}$/.test(site);
}

/** The hub-side user of a site's leaf link (goes into the hub's `authorization {}` next to the nkey users). */
export function siteLinkUser(topo: Topology, site: { name: string; passwordHash: string; nodeIds: string[] }, jsDomain = HUB_JS_DOMAIN): NatsPasswordUser {
  return { user: siteLinkUserName(site.name), password: site.passwordHash, permissions: siteLinkPermissions(topo, site.nodeIds, jsDomain) };
}

/**
 * The link users of every leaf site in the store, each with the rights of the enrolled nodes that
 * declared `site=<name>` at enrolment (a node opts in to being relayed by that site's server).
 */
export function leafLinkUsersOf(state: SecurityState, topo: Topology): NatsPasswordUser[] {
  return (state.leafSites ?? []).map((site) =>
    siteLinkUser(topo, { name: site.name, passwordHash: site.passwordHash, nodeIds: state.nodes.filter((n) => n.labels?.[SITE_LABEL] === site.name).map((n) => n.id) }),
  );
}
