import { InvalidArgumentError } from 'commander';
import type { RegisterCommand } from './task-api.js';

/** `shoal capture <run> <task> [--lines N]`: prints a running task's pane text. */
export const registerCaptureCommand: RegisterCommand = (program, { api, act, output }) => {
  program
    .command('capture <run> <task>')
    .description("print a running task's screen (its tmux pane)")
    .option('--lines <n>', 'history lines above the screen', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new InvalidArgumentError('must be an integer from 0 to 10000');
      return n;
    })
    .action(
      act(async (run: string, task: string, o: { lines?: number }) => {
        output.show(await api().capture(run, task, o.lines), (r) => r.text);
        return 0;
      }),
    );
};
