import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import type { Output } from '../output.js';

/** What the task commands need from main.ts. */
export interface TaskCommandDeps {
  api: () => ApiClient;
  /** A line for people (stdout; stderr with `--json`): `output.text`. */
  out: (s: string) => void;
  /** Wraps an action: sets the exit code, explains errors (as JSON with `--json`). */
  act: <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;
  /** Text or `--json` output (output.ts). */
  output: Output;
}

/** Registers one command on the program. */
export type RegisterCommand = (program: Command, deps: TaskCommandDeps) => void;
