import { ValidationError, type FieldIssue } from '@shoal/protocol';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a string cannot travel as one word of a control-mode command line, or undefined if it can.
 * Control mode reads newline-terminated lines, so `\n` can never be carried; NUL ends C strings;
 * lone UTF-16 surrogates have no UTF-8 form.
 */
export function commandArgProblem(value: string): string | undefined {
  if (value.includes('\0')) return 'contains a NUL character, which tmux cannot carry';
  if (value.includes('\n')) return 'contains a newline, which a control-mode command line cannot carry';
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate (not valid UTF-8)';
  return undefined;
}

/**
 * Quotes one word for tmux's command parser: single quotes, inside which tmux expands nothing
 * (`$`, `~`, `#{}`, `#()`, `;`, backslashes stay literal). A `'` closes the quote, is written as
 * `"'"`, and the quote reopens. Throws {@link ValidationError} for words tmux cannot carry.
 */
export function quoteTmuxArg(value: string, path = 'arg'): string {
  const problem = commandArgProblem(value);
  if (problem) throw new ValidationError([{ path, message: problem }]);
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

/** A tmux command verb (`new-window`, `send-keys`): lower-case words joined by dashes. */
const VERB = /^[a-z]+(?:-[a-z]+)*$/;

/**
 * Builds one control-mode command line: the verb as is, every other word quoted with
 * {@link quoteTmuxArg}, so no word can end the command (`;`) or start another.
 */
export function buildTmuxCommand(verb: string, args: readonly string[]): string {
  if (!VERB.test(verb)) throw new ValidationError([{ path: 'verb', message: `not a tmux command verb: ${JSON.stringify(verb)}` }]);
  return [verb, ...args.map((a, i) => quoteTmuxArg(a, `args[${i}]`))].join(' ');
}

/** Escapes tmux format syntax (`#{}`, `#()`, `#[]`) for options tmux expands as formats (`-n`, `-c`, pipe-pane). */
export function escapeTmuxFormat(value: string): string {
  return value.replaceAll('#', '##');
}

/** POSIX `sh` single-quoting of one word (`'` becomes `'\''`). */
export function quoteShellWord(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Checks an argv for new-window / respawn-pane; returns every problem found. */
export function argvIssues(argv: readonly string[], path = 'argv'): FieldIssue[] {
  if (argv.length === 0) return [{ path, message: 'must not be empty' }];
  const issues: FieldIssue[] = [];
  argv.forEach((a, i) => {
    if (typeof a !== 'string') issues.push({ path: `${path}[${i}]`, message: 'must be a string' });
    else {
      const problem = commandArgProblem(a);
      if (problem) issues.push({ path: `${path}[${i}]`, message: problem });
    }
  });
  if (typeof argv[0] === 'string' && argv[0] === '') issues.push({ path: `${path}[0]`, message: 'program must not be empty' });
  return issues;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks environment entries passed with `-e NAME=VALUE`. */
export function envIssues(env: Readonly<Record<string, string>>, path = 'env'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) issues.push({ path: `${path}.${name}`, message: 'name must match ^[A-Za-z_][A-Za-z0-9_]*$' });
    else if (typeof value !== 'string') issues.push({ path: `${path}.${name}`, message: 'value must be a string' });
    else {
      const problem = commandArgProblem(value);
      if (problem) issues.push({ path: `${path}.${name}`, message: problem });
    }
  }
  return issues;
}

/** Session names we create: letters, digits, `_` and `-` (tmux forbids `.` and `:`; `#` would be a format). */
const SESSION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** Throws {@link ValidationError} unless `name` is a safe tmux session name. */
export function assertSessionName(name: string): void {
  if (!SESSION_NAME.test(name)) {
    throw new ValidationError([{ path: 'session', message: `must match ${SESSION_NAME.source}, got ${JSON.stringify(name)}` }]);
  }
}

/** Throws {@link ValidationError} unless `name` is a usable window name (1-100 chars, no control characters). */
export function assertWindowName(name: string): void {
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > 100 || /[\x00-\x1f\x7f]/.test(name) || LONE_SURROGATE.test(name)) {
    throw new ValidationError([{ path: 'window', message: `must be 1-100 printable characters, got ${JSON.stringify(name)}` }]);
  }
}

/** Key names accepted by {@link TmuxDriver.sendKeys}: `C-c`, `M-x`, `Enter`, `Escape`, `F1`, `Up`, or one printable ASCII char. */
const KEY_NAME = /^(?:(?:[CMS]-)*(?:[A-Za-z][A-Za-z0-9]*|[!-~])|[!-~])$/;

/** Throws {@link ValidationError} unless every entry is a plausible tmux key name. */
export function assertKeyNames(keys: readonly string[]): void {
  const issues = keys.flatMap((k, i) => (typeof k === 'string' && KEY_NAME.test(k) ? [] : [{ path: `keys[${i}]`, message: `not a key name: ${JSON.stringify(k)}` }]));
  if (keys.length === 0) issues.push({ path: 'keys', message: 'must not be empty' });
  if (issues.length) throw new ValidationError(issues);
}
