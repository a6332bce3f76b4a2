import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const LEDGER_TASK = join(resolve(process.cwd()), 'test/fixtures/ledger-task.mjs');
/** The team of every chaos plan: its tmux session is `Task-chaos`, each window is named after its task. */
export const TEAM = 'chaos';

/** A task of a ledger plan: works `seconds`, then ends. */
export interface LedgerTaskSpec {
  id: string;
  seconds: number;
  retries?: number;
  dependsOn?: string[];
}

/**
 * A plan of ledger tasks (team `chaos`, each task's role = its id, so its window is named after it).
 * `phases` splits the tasks into sequential phases (default one phase).
 */
export function ledgerPlan(name: string, ledger: string, phases: LedgerTaskSpec[][]): string {
  const phaseText = phases.map((tasks, i) => {
    const lines = tasks.map((t) => {
      const command = JSON.stringify([process.execPath, LEDGER_TASK, String(t.seconds)]);
      const deps = t.dependsOn?.length ? `, depends_on: [${t.dependsOn.join(', ')}]` : '';
      return `      - { id: ${t.id}, team: ${TEAM}, role: ${t.id}, command: ${command}, env: { SHOAL_LEDGER: ${JSON.stringify(ledger)} }, retries: ${t.retries ?? 2}, timeout: 10m, resources: { cpu: 5, memory: 64 }${deps} }`;
    });
    return [`  - id: p${i + 1}`, ...(i > 0 ? [`    depends_on: [p${i}]`] : []), '    tasks:', ...lines].join('\n');
  });
  return [`name: ${name}`, `teams: [{ name: ${TEAM} }]`, 'phases:', ...phaseText, ''].join('\n');
}

/** True while `pid` runs (a zombie does not count). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}
