import { type SubjectPermissions, type Topology, nodePermissions } from '@shoal/protocol';
import { type NatsIdentity, type NatsPasswordUser, renderNatsAuthorization } from '@shoal/runtime';

/**
 * A remote site attached to the control host's NATS (the hub) through a NATS leaf node
 * (docs/multi-cluster.md). Its node-agents connect to the site's own nats-server with their own
 * nkeys; that server links to the hub as one user whose rights cover only the site's nodes.
 */

/** JetStream domain `shoal up` gives the hub when leaf sites are enabled. */
export const HUB_JS_DOMAIN = 'shoal-hub';

/** The prefix of the JetStream API a leaf-side client reaches on the hub (`$JS.<domain>.API`). */
export function domainApiPrefix(jsDomain: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(jsDomain)) throw new Error(`JetStream domain must be 1-32 letters, digits, '-' or '_': ${jsDomain}`);
  return `$JS.${jsDomain}.API`;
}

/** Rewrites `$JS.API.…` rights to the hub's domain (the leaf maps node requests there before checking them). */
function inDomain(subjects: string[], jsDomain: string): string[] {
  const prefix = domainApiPrefix(jsDomain);
  return subjects.map((s) => (s.startsWith('$JS.API.') ? `${prefix}.${s.slice('$JS.API.'.length)}` : s));
}

/**
 * A node's rights at its site's leaf server: exactly {@link nodePermissions}, with its JetStream
 * API calls addressed to the hub's domain. The leaf server maps `$JS.API.>` to
 * `$JS.<domain>.API.>` before it checks permissions, so the node-agent runs unchanged.
 */
export function leafNodePermissions(topo: Topology, nodeId: string, jsDomain: string): SubjectPermissions {
  const own = nodePermissions(topo, nodeId);
  return { ...own, publish: inDomain(own.publish, jsDomain) };
}

/**
 * The rights of a site's leaf link at the hub, from the site's side (what it may send to the hub,
 * what the hub forwards to it): the union of its nodes' rights, plus `_INBOX.>` to publish,
 * because nats-server 2.9 does not carry `allow_responses` over a leaf link and a node's answer
 * to a control request goes to the coordinator's `_INBOX.…` (the nodes themselves keep
 * `allow_responses` only, at the leaf).
 */
export function siteLinkPermissions(topo: Topology, nodeIds: string[], jsDomain: string): SubjectPermissions {
  const each = nodeIds.map((id) => leafNodePermissions(topo, id, jsDomain));
  const union = (xs: string[][]) => [...new Set(xs.flat())];
  return {
    publish: union([...each.map((p) => p.publish), ['_INBOX.>']]),
    subscribe: union(each.map((p) => p.subscribe)),
    allowResponses: true,
  };
}

/** The hub-side user of a site's leaf link (goes into the hub's `authorization {}` next to the nkey users). */
export function siteLinkUser(topo: Topology, site: { name: string; passwordHash: string; nodeIds: string[] }, jsDomain: string): NatsPasswordUser {
  return { user: siteLinkUserName(site.name), password: site.passwordHash, permissions: siteLinkPermissions(topo, site.nodeIds, jsDomain) };
}

/** User name of a site's leaf link at the hub. */
export function siteLinkUserName(site: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(site)) throw new Error(`site name must be lower-case letters, digits and '-' (at most 31): ${site}`);
  return `leaf-${site}`;
}

/** The leaf server's own `authorization {}`: the site's nodes, each with {@link leafNodePermissions}; nothing anonymous. */
export function renderLeafAuthorization(topo: Topology, nodes: { id: string; publicKey: string }[], jsDomain: string): string {
  const identities: NatsIdentity[] = nodes.map((n) => ({ publicKey: n.publicKey, permissions: leafNodePermissions(topo, n.id, jsDomain) }));
  return renderNatsAuthorization(identities);
}

/** What the config of a site's leaf server holds. */
export interface LeafServerConfigOptions {
  /** `server_name` of the leaf server (must differ from the hub's). */
  serverName: string;
  /** Client listen address of the leaf (where the site's node-agents connect). */
  host: string;
  port: number;
  /** Leafnode URLs of the hub (`nats-leaf://host:7422`, or `tls://…`), without credentials. */
  hubUrls: string[];
  /** The link's user at the hub ({@link siteLinkUserName}) and its password in plain text (kept in this 0600 file). */
  user: string;
  password: string;
  /** JetStream domain of the hub ({@link HUB_JS_DOMAIN}). */
  jsDomain: string;
  /** File name (next to the config) of the leaf's authorization ({@link renderLeafAuthorization}). */
  authFile: string;
  pidFile?: string;
  /** CA to verify the hub's leafnode certificate with (when the hub's leafnode listener has TLS). */
  hubCaFile?: string;
}

const quote = (s: string) => JSON.stringify(s);

/**
 * Renders the nats-server config of a site's leaf server: no JetStream of its own, the node-agents'
 * `$JS.API.>` mapped onto the hub's domain (nats-server denies the plain API across a leaf link),
 * one remote to the hub authenticated as the site's link user, and the included authorization.
 */
export function renderLeafServerConfig(o: LeafServerConfigOptions): string {
  if (o.authFile.includes('/')) throw new Error(`authFile must be a file name next to the config, not a path: ${o.authFile}`);
  if (!o.hubUrls.length) throw new Error('a leaf server needs at least one hub leafnode URL');
  const urls = o.hubUrls.map((raw) => {
    const u = new URL(raw);
    if (u.username || u.password) throw new Error(`hub URL must not carry credentials (they come from the site's user): ${raw}`);
    u.username = encodeURIComponent(o.user);
    u.password = encodeURIComponent(o.password);
    return u.toString().replace(/\/$/, '');
  });
  const tls = o.hubCaFile ? `\n      tls { ca_file: ${quote(o.hubCaFile)} }` : '';
  return [
    '# generated by Shoal (leaf site): holds the link password, keep it 0600',
    `server_name: ${quote(o.serverName)}`,
    `listen: ${quote(`${o.host}:${o.port}`)}`,
    ...(o.pidFile ? [`pid_file: ${quote(o.pidFile)}`] : []),
    'max_payload: 1048576',
    `mappings { "$JS.API.>": ${quote(`${domainApiPrefix(o.jsDomain)}.>`)} }`,
    'leafnodes {',
    '  remotes [',
    `    { urls: [${urls.map(quote).join(', ')}]${tls} }`,
    '  ]',
    '}',
    `include ${quote(o.authFile)}`,
    '',
  ].join('\n');
}
