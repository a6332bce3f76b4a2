import type { RegisterCommand } from './task-api.js';

/** `shoal send <run> <task> <text...>`: types one line into a running agent's pane, then Enter (verified). */
export const registerSendCommand: RegisterCommand = (program, { api, act, output }) => {
  program
    .command('send <run> <task> <text...>')
    .description('type one line into a running task (its agent) and press Enter; the text is verified on screen first')
    .action(
      act(async (run: string, task: string, words: string[]) => {
        output.show(await api().send(run, task, words.join(' ')), (r) => `${task}#${r.attempt} on ${r.nodeId}: ${r.message}`);
        return 0;
      }),
    );
};
