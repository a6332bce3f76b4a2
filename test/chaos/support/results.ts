import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Result of one chaos row. NOT RUN: the host cannot stage the fault (never counted as a pass). */
export type RowResult = 'PASS' | 'FAIL' | 'NOT RUN';

/** One line of the results table. */
export interface RowRecord {
  row: string;
  result: RowResult;
  /** From the end of the fault until I2-I4 held (the view matches reality, no orphans). */
  consistentMs?: number;
  /** From the end of the fault until every run was finished and I1-I4 held. */
  convergedMs?: number;
  /** Wall time of the whole row. */
  durationMs: number;
  note: string;
}

const DIR = join(process.cwd(), 'test', 'chaos');
/** Raw records of this run (cleared by the chaos project's global setup). */
export const RESULTS_JSONL = join(DIR, 'results.jsonl');
/** When this run started (written by the chaos project's global setup). */
const RESULTS_STARTED = join(DIR, 'results.started');
/** The rendered table. */
export const RESULTS_MD = join(DIR, 'results.md');

const secs = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Appends a row's record and re-renders results.md from every record of this run. */
export function recordRow(r: RowRecord): void {
  appendFileSync(RESULTS_JSONL, `${JSON.stringify(r)}\n`);
  const rows = existsSync(RESULTS_JSONL)
    ? readFileSync(RESULTS_JSONL, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as RowRecord)
    : [];
  writeFileSync(RESULTS_MD, renderTable(rows));
}

/** The markdown table of `rows` with a header line naming the date and totals. */
export function renderTable(rows: RowRecord[]): string {
  const count = (r: RowResult) => rows.filter((x) => x.result === r).length;
  const started = existsSync(RESULTS_STARTED) ? Number(readFileSync(RESULTS_STARTED, 'utf8')) : undefined;
  const since = started ? `started ${new Date(started).toISOString()}, ${Math.round((Date.now() - started) / 1000)} s to the last row` : new Date().toISOString();
  return [
    `Chaos suite (\`npm run test:chaos\`), ${since}: ${count('PASS')} PASS, ${count('FAIL')} FAIL, ${count('NOT RUN')} NOT RUN.`,
    '',
    '| row | result | consistent after | converged after | row time | note |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${cell(r.row)} | ${r.result} | ${secs(r.consistentMs)} | ${secs(r.convergedMs)} | ${secs(r.durationMs)} | ${cell(r.note)} |`),
    '',
  ].join('\n');
}

/** What a row's body returns when it passed. */
export interface RowOutcome {
  consistentMs?: number;
  convergedMs?: number;
  note?: string;
}

/**
 * Runs a row: records PASS with its figures when `body` resolves, FAIL with the error's first
 * lines when it throws (and rethrows, so jest fails the test too).
 */
export async function runRow(row: string, body: () => Promise<RowOutcome>): Promise<void> {
  const started = Date.now();
  try {
    const out = await body();
    recordRow({ row, result: 'PASS', consistentMs: out.consistentMs, convergedMs: out.convergedMs, durationMs: Date.now() - started, note: out.note ?? '' });
  } catch (e) {
    const msg = ((e as Error).message ?? String(e)).split('\n').slice(0, 6).join(' ').slice(0, 1200);
    recordRow({ row, result: 'FAIL', durationMs: Date.now() - started, note: msg });
    throw e;
  }
}

/** Records a row the host cannot stage (the reason says why); it is never a pass. */
export function recordNotRun(row: string, reason: string): void {
  recordRow({ row, result: 'NOT RUN', durationMs: 0, note: reason });
}
