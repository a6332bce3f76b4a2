import type { ApiErrorBody } from '@shoal/protocol';

/**
 * The dashboard's only door to the coordinator: same-origin fetch with `Authorization: Bearer`.
 * The token comes from the URL fragment (`/#token=…`, which browsers never send) or the sign-in
 * form, and is kept in sessionStorage (gone when the tab closes).
 */
const TOKEN_KEY = 'shoal.token';

/** Listeners told when the API refuses the token (401), so the app can ask for another. */
const unauthorizedListeners = new Set<(message: string) => void>();

/** Moves a `#token=…` fragment into sessionStorage and out of the address bar and history. */
export function adoptTokenFromFragment(): boolean {
  const m = /^#(?:.*&)?token=([^&]+)/.exec(location.hash);
  if (!m) return false;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]!));
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  return true;
}

export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export function onUnauthorized(listener: (message: string) => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** An API answer other than 2xx, with the server's `{ error, message }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function headers(extra?: HeadersInit): Headers {
  const h = new Headers(extra);
  const token = storedToken();
  if (token) h.set('authorization', `Bearer ${token}`);
  return h;
}

async function failure(res: Response): Promise<ApiError> {
  let code = 'E_HTTP';
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as Partial<ApiErrorBody>;
    code = body.error ?? code;
    message = body.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 401) for (const l of unauthorizedListeners) l(message);
  return new ApiError(res.status, code, message);
}

/** GET (or `init.method`) a JSON answer; throws {@link ApiError} on a non-2xx answer. */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, { ...init, headers: headers(init.headers) });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** POST a JSON body (or none) and return the JSON answer. */
export function post<T>(path: string, body?: unknown): Promise<T> {
  return api<T>(path, body === undefined ? { method: 'POST' } : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Splits complete events off an SSE buffer; returns them and the incomplete rest. */
export function splitSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

/**
 * Follows a server-sent event stream over fetch (EventSource cannot send the bearer header).
 * Resolves when the server ends the stream; rejects on an HTTP error or a broken connection.
 */
export async function followEvents(path: string, onEvent: (e: SseEvent) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal });
  if (!res.ok) throw await failure(res);
  if (!res.body) throw new Error(`${path}: no response body`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    const { events, rest } = splitSse(buffer);
    buffer = rest;
    for (const e of events) onEvent(e);
  }
}
