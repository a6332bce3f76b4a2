import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { stringify, parse } from 'yaml';
import { PlanFileError } from '../commands.js';
import type { RegisterCommand } from './task-api.js';
import { type DeployFlags, applyDeployDefaults, resolveDeployOptions } from './deploy-options.js';

/**
 * `shoal deploy [--plan FILE] [--cpu-limit N] [--memory SIZE]` (`--json`: the RunView): submits the project's
 * agent plan (`shoal.yaml` in the current directory by default) with the given budgets as the
 * defaults of its tasks. `npm run agents:deploy` runs it; npm's `--cpu-limit=40` spelling arrives
 * as `npm_config_cpu_limit` and is read the same way (see deploy-options.ts).
 */
export const registerDeployCommand: RegisterCommand = (program, { api, out, act, output }) => {
  program
    .command('deploy')
    .description("submit the project's agent plan (shoal.yaml) with per-agent budgets as defaults")
    .option('--plan <file>', 'the plan (default: shoal.yaml, or npm_config_plan)')
    .option('--cpu-limit <percent>', 'CPU % of one core for each agent whose task sets none: 40-60 (default: the plan, or npm_config_cpu_limit)')
    .option('--memory <size>', 'memory per agent whose task sets none: 256MB-768MB (default: the plan, or npm_config_memory)')
    .action(
      act(async (flags: DeployFlags) => {
        const o = resolveDeployOptions(flags, process.env);
        const file = resolve(o.plan);
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (e) {
          const message = `cannot read the plan ${file}: ${(e as Error).message} (write a shoal.yaml or pass --plan FILE)`;
          throw new PlanFileError(message, [{ path: '--plan', message }]);
        }
        const plan = applyDeployDefaults(parse(text), { ...o, cwd: dirname(file) });
        const run = await api().submit(stringify(plan));
        const budgets = [o.cpuPercent !== undefined ? `cpu ${o.cpuPercent}%` : '', o.memoryMb !== undefined ? `memory ${o.memoryMb} MB` : ''].filter(Boolean).join(', ');
        output.show(run, () => `run ${run.id} submitted from ${file}${budgets ? ` (per agent unless a task sets its own: ${budgets})` : ''}`);
        out(`follow it: shoal status ${run.id} | shoal monitor | stop it: shoal cancel ${run.id}`);
        return 0;
      }),
    );
};
