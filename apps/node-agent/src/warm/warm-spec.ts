import { ValidationError } from '@shoal/protocol';

/** Exit status of a warm shell that got no valid start signal or spec (the command never runs). */
export const WARM_FAILED_STATUS = 125;

/** `$0` of a warm shell, visible in `ps`. */
export const WARM_NAME = 'shoal-warm';

/** The word a warm shell waits for on its FIFO before it reads its spec. */
export const GO = 'go';

/**
 * Constant script of a warm shell. Positional arguments: the FIFO it creates and waits on, the
 * spec file it then reads (see {@link encodeWarmSpec}). It sets the spec's environment and directory and exec's
 * the spec's argv: no word of the spec is ever evaluated by the shell. One line, because tmux
 * control mode cannot carry a newline inside a command.
 */
export const WARM_SCRIPT = [
  `mkfifo -m 600 -- "$1" || exit ${WARM_FAILED_STATUS}`,
  `IFS= read -r go < "$1" && [ "$go" = ${GO} ] || exit ${WARM_FAILED_STATUS}`,
  `exec 3< "$2" || exit ${WARM_FAILED_STATUS}`,
  'IFS= read -r dir <&3; IFS= read -r n <&3',
  'set --',
  `while [ "$n" -gt 0 ] 2>/dev/null; do IFS= read -r a <&3 || exit ${WARM_FAILED_STATUS}; set -- "$@" "$a"; n=$((n - 1)); done`,
  'while IFS= read -r kv <&3; do export "$kv"; done',
  'exec 3<&-',
  `[ "$#" -gt 0 ] || exit ${WARM_FAILED_STATUS}`,
  `[ -z "$dir" ] || cd -- "$dir" || exit ${WARM_FAILED_STATUS}`,
  'exec "$@"',
].join('; ');

/** What a warm shell becomes. */
export interface WarmSpec {
  argv: readonly string[];
  cwd?: string;
  env: Readonly<Record<string, string>>;
}

/** argv of a warm shell waiting on `fifo` for the spec in `specFile`. */
export function warmArgv(fifo: string, specFile: string): string[] {
  return ['/bin/sh', '-c', WARM_SCRIPT, WARM_NAME, fifo, specFile];
}

/**
 * The spec file: the directory (or an empty line), the number of arguments, one argument per line,
 * then one `NAME=value` per line. Words may not hold a newline or NUL (tmux could not carry them
 * either); names must be shell variable names.
 * @throws ValidationError naming every offending field.
 */
export function encodeWarmSpec(spec: WarmSpec): string {
  const issues: { path: string; message: string }[] = [];
  const word = (path: string, value: string) => {
    if (/[\n\0]/.test(value)) issues.push({ path, message: 'must not contain a newline or NUL' });
  };
  if (spec.argv.length === 0) issues.push({ path: 'argv', message: 'must not be empty' });
  spec.argv.forEach((a, i) => word(`argv[${i}]`, a));
  if (spec.cwd !== undefined) word('cwd', spec.cwd);
  for (const [name, value] of Object.entries(spec.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) issues.push({ path: `env.${name}`, message: 'name must match ^[A-Za-z_][A-Za-z0-9_]*$' });
    word(`env.${name}`, value);
  }
  if (issues.length) throw new ValidationError(issues);
  const lines = [spec.cwd ?? '', String(spec.argv.length), ...spec.argv, ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`)];
  return `${lines.join('\n')}\n`;
}
