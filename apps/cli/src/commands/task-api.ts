import type { Command } from 'commander';
import { type ApiClient, ApiError } from '../api-client.js';

/** What the task commands need from main.ts. */
export interface TaskCommandDeps {
  api: () => ApiClient;
  out: (s: string) => void;
  /** Wraps an action: sets the exit code, explains errors. */
  act: <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;
}

/** Registers one command on the program. */
export type RegisterCommand = (program: Command, deps: TaskCommandDeps) => void;

/** Calls the coordinator API; non-2xx answers become {@link ApiError}s. */
export async function apiJson<T>(api: ApiClient, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${api.base}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });
  } catch (e) {
    throw new Error(`cannot reach the Shoal API at ${api.base} (${(e as Error).cause ?? (e as Error).message}). Is \`shoal up\` running? Set --api or SHOAL_API.`);
  }
  const json = (await res.json().catch(() => ({}))) as unknown;
  if (!res.ok) throw new ApiError(res.status, json as ApiError['body']);
  return json as T;
}

/** `/runs/<run>/tasks/<task>` with both ids encoded. */
export function taskPath(run: string, task: string): string {
  return `/runs/${encodeURIComponent(run)}/tasks/${encodeURIComponent(task)}`;
}
