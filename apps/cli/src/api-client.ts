import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type {
  AnalyticsReport,
  ApiErrorBody,
  CacheDeleteReply,
  CacheEntryView,
  CacheListReply,
  PutCacheRequest,
  ApiTokenView,
  CreateJoinTokenRequest,
  CreateTokenRequest,
  EstimatesReply,
  LeafSiteRemovedReply,
  LeafSiteView,
  MintedApiToken,
  MintedJoinToken,
  NodeActionName,
  NodeActionReply,
  NodeRemovedReply,
  NodeRow,
  RevokedTokenReply,
  RunStreamMessage,
  RunSummary,
  RunView,
  ScalingReply,
  StopEverywhereReply,
  TaskCaptureReply,
  TaskLogReply,
  LogRender,
  TaskSendReply,
  TaskKeysReply,
  TaskChooseReply,
  MenuChoice,
} from '@shoal/protocol';
import { IDEMPOTENCY_KEY_HEADER, TransportError, ValidationError } from '@shoal/protocol';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { type HttpAnswer, httpFetch } from './http.js';
import { splitSse } from './sse.js';

/** Where `shoal up` records the local cluster, so other commands find its API. */
export function clusterFile(dataDir = join(homedir(), '.shoal')): string {
  return join(dataDir, 'cluster.json');
}

/** What `shoal up` writes to its cluster file (mode 0600: it holds the admin token). */
export interface ClusterInfo {
  /** The API as this host reaches it. */
  api: string;
  /** The API as other hosts reach it. */
  publicUrl?: string;
  nats: string;
  tmuxSocket: string;
  pid: number;
  /** The control host's admin token (absent with --insecure). */
  token?: string;
  /** CA file that signed the API's certificate (with --tls-*). */
  ca?: string;
}

/** The cluster file of a running `shoal up` (SHOAL_HOME or ~/.shoal), if there is one. */
export function readCluster(env = process.env): { path: string; info: ClusterInfo } | undefined {
  const path = clusterFile(env.SHOAL_HOME || undefined);
  if (!existsSync(path)) return undefined;
  try {
    return { path, info: JSON.parse(readFileSync(path, 'utf8')) as ClusterInfo };
  } catch {
    return undefined;
  }
}

/** Picks the API URL: flag, then SHOAL_API, then a running `shoal up`, then localhost:8080. */
export function resolveApi(flag?: string, env = process.env): string {
  if (flag) return flag.replace(/\/$/, '');
  if (env.SHOAL_API) return env.SHOAL_API.replace(/\/$/, '');
  return readCluster(env)?.info.api.replace(/\/$/, '') ?? 'http://127.0.0.1:8080';
}

/** How the CLI talks to the API: where, with which token (and where that came from), trusting which CA. */
export interface Connection {
  base: string;
  token?: string;
  /** Where the token came from, for error messages ("no token" when none). */
  tokenSource: string;
  /** PEM of a private CA. */
  ca?: string;
  caFile?: string;
}

/** The global options every API command takes. */
export interface ConnectionFlags {
  api?: string;
  token?: string;
  tlsCa?: string;
}

/**
 * Resolves the connection: the token from `--token`, then SHOAL_TOKEN, then the cluster file of
 * a local `shoal up` — the latter only when talking to that very cluster, so its admin token never
 * travels to another server. The CA from `--tls-ca`, SHOAL_CA_FILE, or the cluster file.
 */
export function resolveConnection(flags: ConnectionFlags = {}, env = process.env): Connection {
  const base = resolveApi(flags.api, env);
  const cluster = readCluster(env);
  const sameCluster = !!cluster && [cluster.info.api, cluster.info.publicUrl].some((u) => u && u.replace(/\/$/, '') === base);
  let token: string | undefined;
  let tokenSource = `no token (pass --token, set SHOAL_TOKEN, or run on the control host where \`shoal up\` keeps one in ${cluster?.path ?? clusterFile(env.SHOAL_HOME || undefined)})`;
  if (flags.token) [token, tokenSource] = [flags.token, 'the --token option'];
  else if (env.SHOAL_TOKEN) [token, tokenSource] = [env.SHOAL_TOKEN, 'SHOAL_TOKEN'];
  else if (sameCluster && cluster.info.token) [token, tokenSource] = [cluster.info.token, `the cluster file ${cluster.path}`];
  const caFile = flags.tlsCa ?? (env.SHOAL_CA_FILE || undefined) ?? (sameCluster ? cluster.info.ca : undefined);
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (e) {
      throw new ValidationError([{ path: '--tls-ca', message: `cannot read the CA file ${caFile}: ${(e as Error).message}` }]);
    }
  }
  return { base, token, tokenSource, ca, caFile };
}

/** How `shoal run` submits: its own key (else a new UUID), and how long it retries. */
export interface SubmitOptions {
  idempotencyKey?: string;
  /** Retry a 503 or a lost connection this long (0: one try). */
  retryForMs?: number;
}

/** An error answer of the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The server's error body (empty when the answer was not JSON). */
    readonly body: Partial<ApiErrorBody>,
    /** Where the token of the request came from (for 401/403 explanations). */
    readonly tokenSource?: string,
  ) {
    super(body.message ?? `HTTP ${status}`);
  }
}

/** Thin client of the coordinator's HTTP API. */
export class ApiClient {
  readonly conn: Connection;

  constructor(base: string | Connection) {
    this.conn = typeof base === 'string' ? { base: base.replace(/\/$/, ''), tokenSource: 'no token' } : base;
  }

  get base(): string {
    return this.conn.base;
  }

  /**
   * Submits a plan, safe to retry: every try carries the same `Idempotency-Key` (a new UUID unless
   * given), so a retry after a lost answer or a coordinator failover answers the run the first try
   * started instead of starting a second one. A 503 (a standby, a store outage) or a connection
   * lost mid-request is retried with backoff for `retryForMs` (default 30 s); an API that refuses
   * the first connection fails at once (nothing is running there).
   */
  submit(planText: string, opts: SubmitOptions = {}): Promise<RunView> {
    const key = opts.idempotencyKey ?? randomUUID();
    const deadline = Date.now() + (opts.retryForMs ?? 30_000);
    let tries = 0;
    const retriable = (e: unknown) =>
      Date.now() < deadline &&
      ((e instanceof ApiError && e.status === 503) || (e instanceof TransportError && !(tries === 1 && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED')));
    const policy = retry(handleWhen(retriable), { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: new ExponentialBackoff({ initialDelay: 500, maxDelay: 5_000 }) });
    return policy.execute(() => {
      tries += 1;
      return this.call<RunView>('POST', '/runs', planText, 'application/yaml', { [IDEMPOTENCY_KEY_HEADER]: key });
    });
  }
  run(id: string): Promise<RunView> {
    return this.call('GET', `/runs/${encodeURIComponent(id)}`);
  }
  runs(): Promise<RunSummary[]> {
    return this.call('GET', '/runs');
  }
  nodes(): Promise<NodeRow[]> {
    return this.call('GET', '/nodes');
  }
  cancel(id: string): Promise<RunView> {
    return this.call('POST', `/runs/${encodeURIComponent(id)}/cancel`);
  }
  operator(id: string, task: string, action: 'retry' | 'skip' | 'cancel'): Promise<RunView> {
    return this.call('POST', `${taskPath(id, task)}/${action}`);
  }
  /** Types one line into a running task's pane, then Enter. */
  send(run: string, task: string, text: string): Promise<TaskSendReply> {
    return this.json('POST', `${taskPath(run, task)}/send`, { text });
  }
  /** Presses allowed key names (MENU_KEYS) in a running task's pane. */
  keys(run: string, task: string, keys: string[]): Promise<TaskKeysReply> {
    return this.json('POST', `${taskPath(run, task)}/keys`, { keys });
  }
  /** Picks an option (number or label) of the menu a running task's agent shows. */
  choose(run: string, task: string, option: MenuChoice): Promise<TaskChooseReply> {
    return this.json('POST', `${taskPath(run, task)}/choose`, { option });
  }
  /** A running task's pane text, with `lines` of history above the screen. */
  capture(run: string, task: string, lines?: number): Promise<TaskCaptureReply> {
    return this.json('GET', `${taskPath(run, task)}/capture${lines === undefined ? '' : `?lines=${lines}`}`);
  }
  /** A task's output: the coordinator's streamed tail, or (`nodeFile`) the tail of the log file on its node, as text or (`render: 'raw'`, node file only) as recorded. */
  taskLogs(run: string, task: string, o: { nodeFile?: boolean; bytes?: number; render?: LogRender } = {}): Promise<TaskLogReply> {
    const query = o.nodeFile ? `?source=node${o.bytes ? `&bytes=${o.bytes}` : ''}${o.render ? `&render=${o.render}` : ''}` : '';
    return this.json('GET', `${taskPath(run, task)}/logs${query}`);
  }
  nodeAction(nodeId: string, action: NodeActionName): Promise<NodeActionReply> {
    return this.json('POST', `/nodes/${encodeURIComponent(nodeId)}/${action}`);
  }
  stopEverywhere(): Promise<StopEverywhereReply> {
    return this.json('POST', '/emergency/stop-all');
  }
  removeNode(nodeId: string): Promise<NodeRemovedReply> {
    return this.json('DELETE', `/nodes/${encodeURIComponent(nodeId)}`);
  }
  createToken(req: CreateTokenRequest): Promise<MintedApiToken> {
    return this.json('POST', '/tokens', req);
  }
  tokens(): Promise<ApiTokenView[]> {
    return this.json('GET', '/tokens');
  }
  revokeToken(id: string): Promise<RevokedTokenReply> {
    return this.json('DELETE', `/tokens/${encodeURIComponent(id)}`);
  }
  joinToken(req: CreateJoinTokenRequest = {}): Promise<MintedJoinToken> {
    return this.json('POST', '/tokens/join', req);
  }
  leafSites(): Promise<LeafSiteView[]> {
    return this.json('GET', '/leaf-sites');
  }
  putLeafSite(name: string, passwordHash: string): Promise<LeafSiteView> {
    return this.json('PUT', `/leaf-sites/${encodeURIComponent(name)}`, { passwordHash });
  }
  removeLeafSite(name: string): Promise<LeafSiteRemovedReply> {
    return this.json('DELETE', `/leaf-sites/${encodeURIComponent(name)}`);
  }
  scaling(): Promise<ScalingReply> {
    return this.json('GET', '/scaling');
  }
  /** Learned run times by task kind. */
  estimates(): Promise<EstimatesReply> {
    return this.json('GET', '/estimates');
  }
  /** The analytics report of the window ending now (`since`: e.g. `7d`). */
  analytics(since: string): Promise<AnalyticsReport> {
    return this.json('GET', `/analytics?since=${encodeURIComponent(since)}`);
  }

  /** One entry of the shared cache (`ns`: `global`, `run:<id>`, `team:<name>`). */
  cacheGet(ns: string, key: string): Promise<CacheEntryView> {
    return this.json('GET', cachePath(ns, key));
  }
  cachePut(ns: string, key: string, req: PutCacheRequest): Promise<CacheEntryView> {
    return this.json('PUT', cachePath(ns, key), req);
  }
  cacheDelete(ns: string, key: string): Promise<CacheDeleteReply> {
    return this.json('DELETE', cachePath(ns, key));
  }
  cacheList(ns: string): Promise<CacheListReply> {
    return this.json('GET', `/cache/${encodeURIComponent(ns)}`);
  }

  /** Any JSON call: the body (if any) is sent as JSON; non-2xx answers become {@link ApiError}s. */
  json<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.call(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? undefined : 'application/json');
  }

  /** Follows a run's server-sent events until the stream ends; yields each event. */
  async *follow(id: string): AsyncGenerator<RunStreamMessage> {
    const res = await this.fetch(`/runs/${encodeURIComponent(id)}/events`, 'GET', { accept: 'text/event-stream' });
    if (!res.ok) throw new ApiError(res.status, parse(await res.text()) as ApiError['body'], this.conn.tokenSource);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk, { stream: true });
      const { events, rest } = splitSse(buf);
      buf = rest;
      for (const e of events) yield { event: e.event, data: JSON.parse(e.data) as unknown } as RunStreamMessage;
    }
  }

  /**
   * Opens any server-sent-event stream of the API (`/events`, `/runs/:id/events`); `events` yields
   * each event with its JSON data until the stream ends or `close` is called. `M`: the messages
   * the stream sends (RunStreamMessage, FleetStreamMessage), taken on trust.
   */
  async stream<M extends { event: string; data: unknown } = { event: string; data: unknown }>(path: string): Promise<{ events: AsyncGenerator<M>; close(): void }> {
    const res = await this.fetch(path, 'GET', { accept: 'text/event-stream' });
    if (!res.ok) throw new ApiError(res.status, parse(await res.text()) as ApiError['body'], this.conn.tokenSource);
    async function* events(): AsyncGenerator<M> {
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for await (const chunk of res.body) {
          buf += decoder.decode(chunk, { stream: true });
          const { events: complete, rest } = splitSse(buf);
          buf = rest;
          for (const e of complete) yield { event: e.event, data: JSON.parse(e.data) as unknown } as M;
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE' && (e as Error).name !== 'AbortError') throw e;
      }
    }
    return { events: events(), close: () => res.close() };
  }

  private async call<T>(method: string, path: string, body?: string, contentType?: string, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.fetch(path, method, { ...headers, ...(contentType ? { 'content-type': contentType } : {}) }, body);
    const json = parse(await res.text());
    if (!res.ok) throw new ApiError(res.status, json as ApiError['body'], this.conn.tokenSource);
    return json as T;
  }

  private async fetch(path: string, method: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
    const auth: Record<string, string> = this.conn.token ? { authorization: `Bearer ${this.conn.token}` } : {};
    try {
      return await httpFetch(`${this.base}${path}`, { method, body, headers: { ...headers, ...auth }, ca: this.conn.ca });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const tls = /certificate|self.signed|CERT|SSL|TLS|VERIFY/i.test(`${err.code} ${err.message}`);
      const hint = tls
        ? `The server's certificate is not trusted: pass --tls-ca <ca.pem> or set SHOAL_CA_FILE${this.conn.caFile ? ` (used: ${this.conn.caFile})` : ''}.`
        : 'Is `shoal up` running? Set --api or SHOAL_API.';
      throw new TransportError(`cannot reach the Shoal API at ${this.base} (${tls ? err.message : (err.code ?? err.message)}). ${hint}`, { cause: err });
    }
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

/** `/cache/<ns>/<key>` with both encoded. */
export function cachePath(ns: string, key: string): string {
  return `/cache/${encodeURIComponent(ns)}/${encodeURIComponent(key)}`;
}

/** `/runs/<run>/tasks/<task>` with both ids encoded. */
export function taskPath(run: string, task: string): string {
  return `/runs/${encodeURIComponent(run)}/tasks/${encodeURIComponent(task)}`;
}
