import { type ApiErrorBody, type HttpApi, type HttpReply, IDEMPOTENCY_KEY_HEADER } from '@shoal/protocol';

/**
 * A request body for Shoal's API: JSON, or a plan's text (sent as `application/yaml`; JSON text is
 * YAML too) with an optional `Idempotency-Key`.
 */
export type PortBody = { json: unknown } | { yaml: string; idempotencyKey?: string };

/** The headers and payload of a {@link PortBody} (one encoding for every port). */
export function encodePortBody(body: PortBody | undefined): { headers: Record<string, string>; payload?: string } {
  if (!body) return { headers: {} };
  if ('json' in body) return { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body.json) };
  const key: Record<string, string> = body.idempotencyKey ? { [IDEMPOTENCY_KEY_HEADER.toLowerCase()]: body.idempotencyKey } : {};
  return { headers: { 'content-type': 'application/yaml', ...key }, payload: body.yaml };
}

/** What the API answered: its status and its body as parsed JSON (the text itself when it was not JSON). */
export interface PortAnswer {
  status: number;
  body: unknown;
}

/**
 * How the MCP tools reach Shoal: one HTTP request of its API (libs/protocol HttpApi), sent with
 * the caller's own credentials so every tool is authorised exactly like the HTTP API. The
 * coordinator implements it with Fastify's in-process `inject()`, `shoal mcp` with HTTP(S)
 * against SHOAL_API. A port throws only when the API cannot be reached at all.
 */
export interface ShoalHttpPort {
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: PortBody): Promise<PortAnswer>;
}

/** An answer of the API: the endpoint's reply, or its error (any non-2xx). */
export type ApiOutcome<T> = { ok: true; value: T } | { ok: false; status: number; error: ApiErrorBody };

/** The HTTP method of an endpoint key (`'GET /runs'` -> `'GET'`). */
type MethodOf<E extends string> = E extends `${infer M extends 'GET' | 'POST' | 'PUT' | 'DELETE'} ${string}` ? M : never;

/**
 * Calls endpoint `E` of {@link HttpApi} at `path` (the endpoint's path with its parameters filled
 * in and encoded): its typed reply, or the API's error body. A non-JSON error answer becomes
 * `{ error: 'E_HTTP', message: <text or status> }`.
 */
export async function callApi<E extends keyof HttpApi>(port: ShoalHttpPort, endpoint: E, path: string, body?: PortBody): Promise<ApiOutcome<HttpReply<E>>> {
  const method = endpoint.slice(0, endpoint.indexOf(' ')) as MethodOf<E>;
  const answer = await port.request(method, path, body);
  if (answer.status >= 200 && answer.status < 300) return { ok: true, value: answer.body as HttpReply<E> };
  return { ok: false, status: answer.status, error: errorBody(answer) };
}

function errorBody(answer: PortAnswer): ApiErrorBody {
  const b = answer.body as Partial<ApiErrorBody> | string | undefined;
  if (b && typeof b === 'object' && typeof b.error === 'string' && typeof b.message === 'string') return b as ApiErrorBody;
  const text = typeof b === 'string' && b.trim() ? b.trim().slice(0, 500) : `HTTP ${answer.status}`;
  return { error: 'E_HTTP', message: text };
}

/** `/runs/<run>` with the id encoded. */
export function runPath(run: string): string {
  return `/runs/${encodeURIComponent(run)}`;
}

/** `/runs/<run>/tasks/<task>` with both ids encoded. */
export function taskPath(run: string, task: string): string {
  return `${runPath(run)}/tasks/${encodeURIComponent(task)}`;
}

/** `/cache/<ns>[/<key>]` with both encoded. */
export function cachePath(ns: string, key?: string): string {
  return `/cache/${encodeURIComponent(ns)}${key === undefined ? '' : `/${encodeURIComponent(key)}`}`;
}
