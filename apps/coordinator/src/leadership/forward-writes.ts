import { MAX_PLAN_BYTES, NotLeaderError } from '@shoal/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LeadershipService } from './leadership.service.js';

/** Request header a forwarded write carries: the replica that forwarded it (a write is forwarded once at most). */
export const FORWARDED_BY = 'x-shoal-forwarded-by';
/** Response header of a forwarded write: the leader that answered it. */
export const ANSWERED_BY = 'x-shoal-leader';

/** A run's event stream: only the leader's engine produces its events, so a standby relays the leader's stream. */
const EVENT_STREAM = /^\/runs\/[^/?]+\/events(\?|$)/;
/** Methods that change nothing: any replica answers them itself. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Headers that belong to one hop, never copied across. */
const HOP = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length', 'proxy-connection', 'te', 'trailer', 'content-encoding']);
const FORWARD_DEADLINE_MS = 60_000;

/** Where a write goes: handled here, forwarded to the leader, or refused. */
export type WriteRoute = { kind: 'local' } | { kind: 'forward'; url: string; leader: string } | { kind: 'refuse'; message: string };

/** Decides a write's route from this replica's role (pure; see {@link installWriteForwarding}). */
export function routeWrite(
  method: string,
  forwardedBy: string | undefined,
  me: { active: boolean; role: string; coordinatorId: string },
  leader: { coordinatorId: string; url: string; term: number } | undefined,
): WriteRoute {
  if (READS.has(method.toUpperCase()) || me.active) return { kind: 'local' };
  if (me.role === 'leader' || me.role === 'suspended') {
    return { kind: 'refuse', message: `coordinator ${me.coordinatorId} leads but could not renew its lease in time; writes wait until it does (retry in a few seconds)` };
  }
  if (!leader) return { kind: 'refuse', message: `coordinator ${me.coordinatorId} is a standby and no leader is known yet: an election is in progress (retry in a few seconds)` };
  if (forwardedBy) {
    return { kind: 'refuse', message: `coordinator ${me.coordinatorId} is a standby; this write was already forwarded by ${forwardedBy}, the leader is ${leader.coordinatorId} at ${leader.url} (term ${leader.term})` };
  }
  return { kind: 'forward', url: leader.url, leader: leader.coordinatorId };
}

/**
 * Installs the write forwarding of a standby (a Fastify `onRequest` hook, before authentication,
 * so the leader checks the caller's token itself): a POST, PUT, PATCH or DELETE reaching a
 * replica that does not lead is sent on to the leader named in the lease with the same method,
 * path, headers (Authorization included) and body, and the leader's answer is returned as is,
 * with `x-shoal-leader` naming who answered. Without a reachable leader the write is refused:
 * 503 `E_NOT_LEADER`, naming the leader or saying an election is in progress. A run's event
 * stream is relayed from the leader too (only its engine produces the events).
 */
export function installWriteForwarding(fastify: FastifyInstance, leadership: LeadershipService): void {
  fastify.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const by = header(req, FORWARDED_BY);
    if (req.method === 'GET' && EVENT_STREAM.test(req.url) && !by && !leadership.active) {
      const leader = leadership.leaderElsewhere();
      if (leader) return relayStream(req, reply, leader.url, leadership.settings.coordinatorId);
      return; // no leader known: the standby's own stream (the snapshot, from the runs bucket)
    }
    const route = routeWrite(req.method, by, { active: leadership.active, role: leadership.role, coordinatorId: leadership.settings.coordinatorId }, leadership.leaderElsewhere());
    if (route.kind === 'local') return;
    if (route.kind === 'refuse') return refuse(reply, route.message);
    let body: Buffer;
    try {
      body = await readBody(req, MAX_PLAN_BYTES + 64 * 1024);
    } catch (e) {
      return reply.status(413).send({ error: 'E_VALIDATION', message: (e as Error).message, retryable: false });
    }
    const headers = forwardHeaders(req, leadership.settings.coordinatorId);
    let res: Response;
    try {
      res = await fetch(`${route.url}${req.url}`, {
        method: req.method,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(FORWARD_DEADLINE_MS),
        ...(body.length ? { body } : {}),
      });
    } catch (e) {
      const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
      return refuse(reply, `coordinator ${leadership.settings.coordinatorId} is a standby; the leader ${route.leader} at ${route.url} did not answer (${cause}): an election may be in progress (retry in a few seconds)`);
    }
    const out = Buffer.from(await res.arrayBuffer());
    res.headers.forEach((v, k) => {
      if (!HOP.has(k)) void reply.header(k, v);
    });
    return reply.status(res.status).header(ANSWERED_BY, route.url).send(out);
  });
}

/**
 * Relays the leader's event stream of a run (`GET /runs/:id/events`) to a client of a standby,
 * chunk by chunk, until either side closes. Falls back to the standby's own answer when the
 * leader cannot be reached.
 */
async function relayStream(req: FastifyRequest, reply: FastifyReply, leaderUrl: string, me: string): Promise<FastifyReply | undefined> {
  const abort = new AbortController();
  req.raw.on('close', () => abort.abort());
  let res: Response;
  try {
    res = await fetch(`${leaderUrl}${req.url}`, { headers: forwardHeaders(req, me), signal: abort.signal });
  } catch {
    return undefined;
  }
  const out: Record<string, string> = { [ANSWERED_BY]: leaderUrl };
  res.headers.forEach((v, k) => {
    if (!HOP.has(k)) out[k] = v;
  });
  void reply.hijack();
  reply.raw.writeHead(res.status, out);
  try {
    if (res.body) for await (const chunk of res.body) reply.raw.write(chunk);
  } catch {
    // the leader went away or the client left: the stream ends here
  }
  reply.raw.end();
  return reply;
}

function forwardHeaders(req: FastifyRequest, me: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  headers[FORWARDED_BY] = me;
  return headers;
}

function refuse(reply: FastifyReply, message: string): FastifyReply {
  const e = new NotLeaderError(message);
  return reply.status(503).header('retry-after', '2').send({ error: e.code, message: e.message, retryable: e.retryable });
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: FastifyRequest, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.raw) {
    size += (chunk as Buffer).length;
    if (size > max) throw new Error(`request body over ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
