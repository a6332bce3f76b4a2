import type { RegisterCommand } from '../commands/task-api.js';
import { monitor, monitorJson } from './monitor.js';

/** `shoal monitor [--once] [--refresh <ms>]`; `--json`: the fleet's events as JSON lines (see {@link monitorJson}). */
export const registerMonitorCommand: RegisterCommand = (program, { api, act, output }) => {
  program
    .command('monitor')
    .description('live terminal view of nodes, agents ("needs you" first), queue and events; q or Ctrl-C quits (--json: the live events as JSON lines until Ctrl-C)')
    .option('--once', 'print one frame (80x24 unless on a terminal) and exit, for scripts')
    .option('--refresh <ms>', 'refresh period in milliseconds (default 1500)')
    .action(
      act(async (o: { once?: boolean; refresh?: string }) => {
        if (output.json) {
          if (o.once) output.refuseJson('monitor --once', 'prints a frame for people; for its data use `shoal status --json`, `shoal nodes --json` and `shoal status --needs-me --json`');
          return monitorJson(api(), (m) => output.line(m));
        }
        return monitor(api(), { once: o.once, refreshMs: o.refresh ? Math.max(250, Number(o.refresh) || 1500) : undefined });
      }),
    );
};
