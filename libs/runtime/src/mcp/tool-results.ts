import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ApiOutcome } from './http-port.js';

/**
 * A successful tool answer: the data as JSON text (what every client shows the model) and as
 * `structuredContent` (an object: lists are wrapped by the caller, e.g. `{ runs: [...] }`).
 */
export function toolData(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data, null, 2) }], structuredContent: data };
}

/**
 * An API error as a tool answer (`isError`, never a throw, so the model reads it and can
 * correct itself): `HTTP 403 E_FORBIDDEN: needs scope read; ...`, with the field issues of a
 * 400 listed, and the same facts as `structuredContent`.
 */
export function toolApiError(outcome: Extract<ApiOutcome<unknown>, { ok: false }>): CallToolResult {
  const { status, error } = outcome;
  const issues = error.issues?.length ? `\n${error.issues.map((i) => `- ${i.path || '(plan)'}: ${i.message}`).join('\n')}` : '';
  const text = `HTTP ${status} ${error.error}: ${error.message}${issues}`;
  return { content: [{ type: 'text', text }], structuredContent: { status, ...error }, isError: true };
}

/** A failure before any answer (the API unreachable): `isError` with what happened. */
export function toolFailure(e: unknown): CallToolResult {
  return { content: [{ type: 'text', text: `cannot reach the Shoal API: ${e instanceof Error ? e.message : String(e)}` }], isError: true };
}

/** `map` of the reply on success, the API's error otherwise. */
export function toolAnswer<T>(outcome: ApiOutcome<T>, map: (value: T) => Record<string, unknown>): CallToolResult {
  return outcome.ok ? toolData(map(outcome.value)) : toolApiError(outcome);
}
