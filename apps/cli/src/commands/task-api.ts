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
