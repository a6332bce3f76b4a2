import type { FieldIssue } from '../errors.js';
import type { AnalyticsReport } from '../observe.js';
import type { RunView } from '../run-view.js';
import type { CreateJoinTokenRequest, CreateTokenRequest, EnrolReply, EnrolRequest } from '../security.js';
import type { BreakersReply, EstimatesReply, HealthReply, LeaderStatus, ScalingReply } from './cluster.js';
import type { NodeActionName, NodeActionReply, NodeRemovedReply, NodeRow, StopEverywhereReply } from './nodes.js';
import type { FleetStreamMessage, RunStreamMessage, RunSummary, SendTextRequest, LogRender, TaskCaptureReply, TaskLogReply, TaskSendReply } from './runs.js';
import type { CacheDeleteReply, CacheEntryView, CacheListReply, PutCacheRequest } from './cache.js';
import type { ScheduleRemovedReply, ScheduleView } from './schedules.js';
import type { ApiTokenView, MintedApiToken, MintedJoinToken, RevokedTokenReply } from './tokens.js';
import type { LeafSiteRemovedReply, LeafSiteView, PutLeafSiteRequest } from './leaf-sites.js';
import type { ChooseOptionRequest, SendKeysRequest, TaskChooseReply, TaskKeysReply } from '../menus.js';

/** The body of every non-2xx answer of the API (`issues` on 400 validation errors). */
export interface ApiErrorBody {
  /** A code of the closed set in errors.ts (`E_VALIDATION`, `E_NOT_FOUND`, ...), or `E_HTTP`/`E_INTERNAL`. */
  error: string;
  message: string;
  retryable?: boolean;
  issues?: FieldIssue[];
}

/** A plan as `POST /runs` and `POST /schedules` take it: YAML or JSON text, or parsed JSON. */
export type PlanBody = string | Record<string, unknown>;

/**
 * Every HTTP endpoint of the coordinator: `'<METHOD> <path>'` to its request `body` (a zod
 * schema of this package where the coordinator validates one), `query` and `reply`. Streams
 * (`text/event-stream`) give the messages they send as `stream`. Scopes: `read` for GETs,
 * `operate` for runs, tasks, schedules and node actions, `admin` for tokens, leaf sites and node removal;
 * `/healthz`, `/enrol` and the dashboard's page and assets are public.
 */
export interface HttpApi {
  'GET /healthz': { reply: HealthReply };
  /** Prometheus text exposition. */
  'GET /metrics': { reply: string };
  'GET /leader': { reply: LeaderStatus };

  'POST /runs': { body: PlanBody; reply: RunView };
  'GET /runs': { reply: RunSummary[] };
  'GET /runs/:id': { reply: RunView };
  'POST /runs/:id/cancel': { reply: RunView };
  /** Operator decision on a task awaiting one. */
  'POST /runs/:id/tasks/:task/:decision': { params: { decision: 'retry' | 'skip' | 'cancel' }; reply: RunView };
  'POST /runs/:id/tasks/:task/send': { body: SendTextRequest; reply: TaskSendReply };
  /** Allowed tmux key names (MENU_KEYS) pressed in the running task's pane. */
  'POST /runs/:id/tasks/:task/keys': { body: SendKeysRequest; reply: TaskKeysReply };
  /** Picks an option of the menu the running task's agent shows (number or label). */
  'POST /runs/:id/tasks/:task/choose': { body: ChooseOptionRequest; reply: TaskChooseReply };
  'GET /runs/:id/tasks/:task/capture': { query: { lines?: number }; reply: TaskCaptureReply };
  'GET /runs/:id/tasks/:task/logs': { query: { source?: 'node'; bytes?: number; attempt?: number; render?: LogRender }; reply: TaskLogReply };
  'GET /runs/:id/events': { stream: RunStreamMessage };
  'GET /events': { stream: FleetStreamMessage };

  'GET /nodes': { reply: NodeRow[] };
  'POST /nodes/:id/:action': { params: { action: NodeActionName }; reply: NodeActionReply };
  'POST /emergency/stop-all': { reply: StopEverywhereReply };
  'DELETE /nodes/:id': { reply: NodeRemovedReply };
  'POST /enrol': { body: EnrolRequest; reply: EnrolReply };

  'POST /tokens': { body: CreateTokenRequest; reply: MintedApiToken };
  'GET /tokens': { reply: ApiTokenView[] };
  'DELETE /tokens/:id': { reply: RevokedTokenReply };
  'POST /tokens/join': { body: CreateJoinTokenRequest; reply: MintedJoinToken };

  /** Remote sites linked as NATS leaf nodes (docs/multi-cluster.md). */
  'GET /leaf-sites': { reply: LeafSiteView[] };
  'PUT /leaf-sites/:name': { body: PutLeafSiteRequest; reply: LeafSiteView };
  'DELETE /leaf-sites/:name': { reply: LeafSiteRemovedReply };

  'GET /scaling': { reply: ScalingReply };
  'GET /breakers': { reply: BreakersReply };
  'GET /estimates': { reply: EstimatesReply };

  'POST /schedules': { body: PlanBody; reply: ScheduleView };
  'GET /schedules': { reply: ScheduleView[] };
  'DELETE /schedules/:name': { reply: ScheduleRemovedReply };

  'GET /analytics': { query: { since?: string }; reply: AnalyticsReport };

  /** The shared cache (docs/cache.md): `:ns` is `global`, `run:<id>` or `team:<name>`. */
  'GET /cache/:ns': { reply: CacheListReply };
  'GET /cache/:ns/:key': { reply: CacheEntryView };
  'PUT /cache/:ns/:key': { body: PutCacheRequest; reply: CacheEntryView };
  'DELETE /cache/:ns/:key': { reply: CacheDeleteReply };

  /**
   * Shoal as an MCP server (docs/mcp.md): one JSON-RPC message (or batch) per POST, stateless
   * streamable HTTP; any API token, or an agent's task token. GET and DELETE answer 405.
   */
  'POST /mcp': { body: unknown; reply: unknown };
  'GET /mcp': { reply: never };
  'DELETE /mcp': { reply: never };
}

/** The endpoints of {@link HttpApi} as a list (a spec checks it against the coordinator's controllers). */
export const HTTP_ENDPOINTS = [
  'GET /healthz', 'GET /metrics', 'GET /leader',
  'POST /runs', 'GET /runs', 'GET /runs/:id', 'POST /runs/:id/cancel', 'POST /runs/:id/tasks/:task/:decision',
  'POST /runs/:id/tasks/:task/send', 'POST /runs/:id/tasks/:task/keys', 'POST /runs/:id/tasks/:task/choose', 'GET /runs/:id/tasks/:task/capture', 'GET /runs/:id/tasks/:task/logs', 'GET /runs/:id/events', 'GET /events',
  'GET /nodes', 'POST /nodes/:id/:action', 'POST /emergency/stop-all', 'DELETE /nodes/:id', 'POST /enrol',
  'POST /tokens', 'GET /tokens', 'DELETE /tokens/:id', 'POST /tokens/join',
  'GET /leaf-sites', 'PUT /leaf-sites/:name', 'DELETE /leaf-sites/:name',
  'GET /scaling', 'GET /breakers', 'GET /estimates',
  'POST /schedules', 'GET /schedules', 'DELETE /schedules/:name',
  'GET /analytics',
  'GET /cache/:ns', 'GET /cache/:ns/:key', 'PUT /cache/:ns/:key', 'DELETE /cache/:ns/:key',
  'POST /mcp', 'GET /mcp', 'DELETE /mcp',
] as const satisfies readonly (keyof HttpApi)[];

/** Compile-time proof that {@link HTTP_ENDPOINTS} lists every endpoint of {@link HttpApi}. */
type Unlisted = Exclude<keyof HttpApi, (typeof HTTP_ENDPOINTS)[number]>;
const everyEndpointListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyEndpointListed;

/** The JSON answer of an endpoint of {@link HttpApi}. */
export type HttpReply<E extends keyof HttpApi> = HttpApi[E] extends { reply: infer R } ? R : never;
