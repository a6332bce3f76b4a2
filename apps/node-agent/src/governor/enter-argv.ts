import { ValidationError } from '@shoal/protocol';

/** Environment variable that marks every process of a governed task with `<prefix>/<taskKey>`. */
export const GROUP_ENV = 'SHOAL_GOVERNOR_GROUP';

/** Exit status of the entry script when it cannot join a group (the command never runs). */
export const ENTER_FAILED_STATUS = 125;

/**
 * Constant entry script. Positional arguments: group marker, number of `cgroup.procs` files,
 * the files, then the command argv. It writes its own pid into each file, then exec's the command,
 * so the command starts inside its groups. No user data is ever part of the script text, and the
 * text is one line: tmux control mode cannot carry a newline inside a command.
 */
export const ENTER_SCRIPT = [
  `${GROUP_ENV}=$1; export ${GROUP_ENV}; shift`,
  'n=$1; shift',
  `while [ "$n" -gt 0 ]; do printf '%s\\n' "$$" > "$1" || exit ${ENTER_FAILED_STATUS}; n=$((n - 1)); shift; done`,
  'exec "$@"',
].join('; ');

/** `$0` of the entry shell, visible in `ps`. */
export const ENTER_NAME = 'shoal-enter';

/**
 * Builds `/bin/sh -c ENTER_SCRIPT shoal-enter <marker> <n> <procsFiles...> <argv...>`.
 * @throws ValidationError when argv is empty or holds a NUL byte.
 */
export function buildEnterArgv(marker: string, procsFiles: string[], argv: string[]): string[] {
  assertArgv(argv);
  return ['/bin/sh', '-c', ENTER_SCRIPT, ENTER_NAME, marker, String(procsFiles.length), ...procsFiles, ...argv];
}

/**
 * Constant fallback entry script: marks the environment, then runs the command as a child and
 * exits with its status. The shell stays as an idle parent so the supervisor can SIGSTOP the
 * command without tmux noticing a stopped pane process (tmux would SIGCONT the pane's group).
 */
export const FALLBACK_SCRIPT = [`${GROUP_ENV}=$1; export ${GROUP_ENV}; shift`, '"$@"', 'status=$?', 'exit "$status"'].join('; ');

/**
 * Builds `/bin/sh -c FALLBACK_SCRIPT shoal-enter <marker> <argv...>`.
 * @throws ValidationError when argv is empty or holds a NUL byte.
 */
export function buildFallbackArgv(marker: string, argv: string[]): string[] {
  assertArgv(argv);
  return ['/bin/sh', '-c', FALLBACK_SCRIPT, ENTER_NAME, marker, ...argv];
}

function assertArgv(argv: string[]): void {
  if (!Array.isArray(argv) || argv.length === 0) {
    throw new ValidationError([{ path: 'argv', message: 'must not be empty' }]);
  }
  argv.forEach((arg, i) => {
    if (typeof arg !== 'string' || arg.includes('\0')) {
      throw new ValidationError([{ path: `argv.${i}`, message: 'must be a string without NUL bytes' }]);
    }
  });
}
