/** Failure kinds raised by the test harness. */
export type HarnessErrorCode =
  | 'BINARY_NOT_FOUND'
  | 'START_FAILED'
  | 'TIMEOUT'
  | 'PROCESS_EXITED'
  | 'COMMAND_FAILED';

/** The one error class thrown by `@shoal/testing`; `code` says what went wrong. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  readonly code: HarnessErrorCode;
  readonly retryable: boolean;

  constructor(code: HarnessErrorCode, message: string, opts: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retryable = opts.retryable ?? false;
  }
}

/** Type guard for {@link HarnessError}, optionally narrowed to one code. */
export function isHarnessError(err: unknown, code?: HarnessErrorCode): err is HarnessError {
  return err instanceof HarnessError && (code === undefined || err.code === code);
}
