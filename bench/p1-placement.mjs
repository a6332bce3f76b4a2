// Benchmark 1: runs the existing bench/placement.mjs (P1, scheduler library alone) and parses its figures.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ratio } from './lib.mjs';

const ROOT = new URL('..', import.meta.url).pathname;

/** Benchmark 1. */
export async function run({ quick, log }) {
  const args = quick ? ['--nodes', '200', '--tasks', '10000', '--reps', '1'] : ['--nodes', '1000', '--tasks', '100000', '--reps', '3'];
  log(`  node bench/placement.mjs ${args.join(' ')}`);
  const stdout = await new Promise((resolve, reject) =>
    execFile(process.execPath, [join(ROOT, 'bench/placement.mjs'), ...args], { maxBuffer: 16 << 20, timeout: 15 * 60_000 }, (err, out, errOut) =>
      err ? reject(new Error(`placement.mjs failed: ${err.message}\n${errOut}`)) : resolve(out),
    ),
  );
  const rows = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const shoal = rows.find((r) => r.name === 'shoal Placer (spread)');
  const naive = rows.find((r) => r.name.startsWith('baseline'));
  return {
    args: args.join(' '),
    variants: rows,
    placementsPerSec: shoal?.placementsPerSec,
    baselinePlacementsPerSec: naive?.placementsPerSec,
    ratio: ratio(shoal?.placementsPerSec, naive?.placementsPerSec),
    goal: { placementsPerSecMin: 10_000, met: (shoal?.placementsPerSec ?? 0) >= 10_000 },
  };
}
