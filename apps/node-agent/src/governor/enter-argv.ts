import { ValidationError } from '@shoal/protocol';

/** Environment variable that marks every process of a governed task with `<prefix>/<taskKey>`. */
export const GROUP_ENV = 'SHOAL_GOVERNOR_GROUP';

/** Exit status of the entry script when it cannot join a group (the command never runs). */
export const ENTER_FAILED_STATUS = 125;

/** Exit statuses above this are a shell's report of a child killed by signal `status - 128`. */
const SIGNALLED = 128;

/** How long, in 10 ms naps, an entry shell waits for tmux to read its pane's last output (~1 s). */
const DRAIN_NAPS = 100;

/**
 * The end of both entry scripts: runs the command as a child, waits until tmux has read all the
 * pane printed, then ends as the command did. tmux 3.3a throws away a pane's unread output when
 * its process exits first: on SIGCHLD it checks FIONREAD, which misses bytes the kernel has not
 * yet moved to the pty's master (measured here: up to 9 in 400 quick commands started 20 at once
 * lost all their output; a CI run lost a task's last line). So the shell, once the
 * command ended, closes its end of the pty and naps until tmux, having read to the end, closes
 * the master: the kernel then sends the session leader (this shell) SIGHUP. It gives up after
 * about a second (a background process still holds the pty), and does not wait when its output
 * is not a terminal. Ctrl-C and Ctrl-\ reach the command but not this shell (an agent may ignore
 * one), and a command killed by a signal is re-raised on the shell, so tmux reports that signal.
 */
export const RUN_AND_DRAIN = [
  'trap : INT QUIT',
  '"$@"',
  's=$?',
  `if [ -t 1 ]; then h=; trap 'h=1' HUP; exec </dev/null >/dev/null 2>&1; i=0; while [ -z "$h" ] && [ "$i" -lt ${DRAIN_NAPS} ]; do sleep 0.01; i=$((i + 1)); done; fi`,
  'trap - INT QUIT HUP',
  `if [ "$s" -gt ${SIGNALLED} ] && [ "$s" -lt ${SIGNALLED + 65} ]; then kill -$((s - ${SIGNALLED})) $$; fi`,
  'exit "$s"',
].join('; ');

/**
 * Constant entry script. Positional arguments: group marker, number of `cgroup.procs` files,
 * the files, then the command argv. It writes its own pid into each file, then runs the command
 * ({@link RUN_AND_DRAIN}), so the command starts inside its groups. No user data is ever part of
 * the script text, and the text is one line: tmux control mode cannot carry a newline inside a command.
 */
export const ENTER_SCRIPT = [
  `${GROUP_ENV}=$1; export ${GROUP_ENV}; shift`,
  'n=$1; shift',
  `while [ "$n" -gt 0 ]; do printf '%s\\n' "$$" > "$1" || exit ${ENTER_FAILED_STATUS}; n=$((n - 1)); shift; done`,
  RUN_AND_DRAIN,
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
 * Constant fallback entry script: marks the environment, then runs the command as a child
 * ({@link RUN_AND_DRAIN}). The shell stays as an idle parent so the supervisor can SIGSTOP the
 * command without tmux noticing a stopped pane process (tmux would SIGCONT the pane's group).
 */
export const FALLBACK_SCRIPT = [`${GROUP_ENV}=$1; export ${GROUP_ENV}; shift`, RUN_AND_DRAIN].join('; ');

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
