/**
 * The closed set of errors Shoal raises. Each carries a stable `code`, an optional `cause`,
 * and whether retrying the same operation may succeed.
 */
export type ShoalErrorCode =
  | 'E_VALIDATION'
  | 'E_DECODE'
  | 'E_NOT_FOUND'
  | 'E_CONFLICT'
  | 'E_TRANSPORT'
  | 'E_EXECUTION'
  | 'E_TIMEOUT'
  | 'E_DEPENDENCY'
  | 'E_UNAUTHENTICATED'
  | 'E_FORBIDDEN'
  | 'E_NOT_LEADER';

/** One problem found in an input: where (a dotted field path) and why. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Base class: never thrown directly. */
export abstract class ShoalError extends Error {
  abstract readonly code: ShoalErrorCode;
  abstract readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input (plan, request, message) that breaks the rules; `issues` lists every problem found. */
export class ValidationError extends ShoalError {
  readonly code = 'E_VALIDATION' as const;
  readonly retryable = false;
  constructor(
    readonly issues: FieldIssue[],
    options?: { cause?: unknown },
  ) {
    super(formatIssues(issues), options);
  }
}

/** A wire message that could not be decoded (bad JSON, wrong schema, wrong version, too large). */
export class DecodeError extends ShoalError {
  readonly code = 'E_DECODE' as const;
  readonly retryable = false;
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(issues.length ? `${message}: ${formatIssues(issues)}` : message, options);
  }
}

/** A run, task or node that does not exist. */
export class NotFoundError extends ShoalError {
  readonly code = 'E_NOT_FOUND' as const;
  readonly retryable = false;
}

/** An operation that conflicts with the current state (e.g. cancelling a finished run, stale revision). */
export class ConflictError extends ShoalError {
  readonly code = 'E_CONFLICT' as const;
  readonly retryable = false;
}

/** NATS or network trouble; retrying later may succeed. */
export class TransportError extends ShoalError {
  readonly code = 'E_TRANSPORT' as const;
  readonly retryable = true;
}

/** A task could not be started or run on a node. */
export class ExecutionError extends ShoalError {
  readonly code = 'E_EXECUTION' as const;
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Something did not happen within its deadline. */
export class TimeoutError extends ShoalError {
  readonly code = 'E_TIMEOUT' as const;
  readonly retryable = true;
}

/** A required external program or service is missing (nats-server, tmux). */
export class DependencyError extends ShoalError {
  readonly code = 'E_DEPENDENCY' as const;
  readonly retryable = false;
}

/** A request without valid credentials (missing, unknown, expired or already used token). */
export class AuthenticationError extends ShoalError {
  readonly code = 'E_UNAUTHENTICATED' as const;
  readonly retryable = false;
}

/** Valid credentials that do not allow the operation (wrong scope, foreign origin). */
export class PermissionError extends ShoalError {
  readonly code = 'E_FORBIDDEN' as const;
  readonly retryable = false;
}

/**
 * A write reached a coordinator replica that is not the leader and could not be forwarded to
 * one (none known, election in progress, or the leader unreachable); retry shortly.
 */
export class NotLeaderError extends ShoalError {
  readonly code = 'E_NOT_LEADER' as const;
  readonly retryable = true;
}

/** True for any Shoal error. */
export function isShoalError(e: unknown): e is ShoalError {
  return e instanceof ShoalError;
}

/** Renders issues one per line as `path: message`. */
export function formatIssues(issues: FieldIssue[]): string {
  return issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('\n');
}
