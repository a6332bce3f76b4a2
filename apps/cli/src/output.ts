import { InvalidArgumentError } from 'commander';
import { type ApiErrorBody, isShoalError, ValidationError } from '@shoal/protocol';
import { ApiError } from './api-client.js';

/** Where an {@link Output} writes (process.stdout / process.stderr, or a test's buffers). */
export interface OutputStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * How every command prints, in one place: for people (text) or, with the global `--json`, for
 * scripts. With `--json`:
 * - stdout carries exactly one JSON document ({@link Output.show}: the API's reply as the
 *   coordinator sent it, pretty-printed), or for a stream one JSON value per line
 *   ({@link Output.line}) — nothing else;
 * - every line meant for people ({@link Output.text}) goes to stderr instead;
 * - an error is one JSON object on stderr, `{error, message, retryable?, issues?}`
 *   ({@link errorBody}, the shape of the API's own error answers); exit codes do not change.
 */
export class Output {
  constructor(
    /** Whether `--json` was given (asked when printing: commander parses the flag first). */
    private readonly jsonMode: () => boolean,
    private readonly streams: OutputStreams = process,
  ) {}

  /** True with `--json`. */
  get json(): boolean {
    return this.jsonMode();
  }

  /** A line for people: stdout, or stderr with `--json` (stdout then carries only JSON). */
  readonly text = (line: string): void => {
    (this.json ? this.streams.stderr : this.streams.stdout).write(`${line}\n`);
  };

  /** A command's data: the value as one JSON document with `--json`, else `human(value)` as text. */
  show<T>(value: T, human: (v: T) => string): void {
    if (this.json) this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else this.streams.stdout.write(`${human(value)}\n`);
  }

  /** One value of a JSON-lines stream (`--json` on a command that follows something live). */
  line(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Prints an error: the JSON error object with `--json`, else `explain(e)`; both on stderr. */
  error(e: unknown, explain: (e: unknown) => string): void {
    this.streams.stderr.write(`${this.json ? JSON.stringify(errorBody(e)) : explain(e)}\n`);
  }

  /**
   * Refuses `--json` on a command that prints no data (`up`, `join`, `attach`, the live
   * `monitor` frame): throws a validation error that says why and what to use instead.
   */
  refuseJson(command: string, why: string): void {
    if (this.json) throw new ValidationError([{ path: '--json', message: `\`shoal ${command}\` ${why}` }]);
  }
}

/**
 * An error as the JSON object `--json` prints on stderr, in the shape of the API's error answers
 * ({@link ApiErrorBody}): the API's own body for an HTTP error; the code of the closed set for a
 * Shoal error (`E_VALIDATION` with `issues`, `E_TRANSPORT` when the API is out of reach, ...);
 * `E_VALIDATION` for a refused command-line argument; `E_INTERNAL` for anything else.
 */
export function errorBody(e: unknown): ApiErrorBody {
  if (e instanceof ApiError) {
    const { error, retryable, issues } = e.body;
    return { error: error ?? 'E_HTTP', message: e.message, ...(retryable !== undefined ? { retryable } : {}), ...(issues?.length ? { issues } : {}) };
  }
  if (isShoalError(e)) {
    const issues = 'issues' in e && Array.isArray(e.issues) && e.issues.length ? { issues: e.issues as ApiErrorBody['issues'] } : {};
    return { error: e.code, message: e.message, retryable: e.retryable, ...issues };
  }
  if (e instanceof InvalidArgumentError) return { error: 'E_VALIDATION', message: e.message };
  return { error: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/**
 * Commander's own usage errors (unknown option, missing argument) with `--json`: the same JSON
 * error object on stderr (`E_VALIDATION`); commander keeps its exit code (1).
 */
export function usageError(text: string, json: boolean): string {
  if (!json) return text;
  return `${JSON.stringify({ error: 'E_VALIDATION', message: text.replace(/^error:\s*/, '').trim() } satisfies ApiErrorBody)}\n`;
}

/** True when the command line asks for `--json` (before a `--`): for errors raised while parsing. */
export function argvAsksJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}
