import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';

/** What the task commands need from main.ts. */
export interface TaskCommandDeps {
  api: () => ApiClient;
  out: (s: string) => void;
  /** Wraps an action: sets the exit code, explains errors. */
  act: <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;
}

/** Registers one command on the program. */
export type RegisterCommand = (program: Command, deps: TaskCommandDeps) => void;

/** Calls the coordinator API; non-2xx answers become `ApiError`s. */
export function apiJson<T>(api: ApiClient, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return api.json<T>(method, path, body);
}

/** `/runs/<run>/tasks/<task>` with both ids encoded. */
export function taskPath(run: string, task: string): string {
  return `/runs/${encodeURIComponent(run)}/tasks/${encodeURIComponent(task)}`;
}
