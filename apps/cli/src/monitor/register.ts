import type { RegisterCommand } from '../commands/task-api.js';
import { monitor } from './monitor.js';

/** `shoal monitor [--once] [--refresh <ms>]`. */
export const registerMonitorCommand: RegisterCommand = (program, { api, act }) => {
  program
    .command('monitor')
    .description('live terminal view of nodes, agents ("needs you" first), queue and events; q or Ctrl-C quits')
    .option('--once', 'print one frame (80x24 unless on a terminal) and exit, for scripts')
    .option('--refresh <ms>', 'refresh period in milliseconds (default 1500)')
    .action(act((o: { once?: boolean; refresh?: string }) => monitor(api(), { once: o.once, refreshMs: o.refresh ? Math.max(250, Number(o.refresh) || 1500) : undefined })));
};
