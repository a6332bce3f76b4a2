#!/usr/bin/env node
// Copies the table of the last chaos run (test/chaos/results.md) into docs/reliability.md, between
// the markers `<!-- chaos-results:start -->` and `<!-- chaos-results:end -->`, with the machine it ran on.
// Usage: node test/chaos/support/publish-results.mjs   (after `npm run test:chaos`)
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

const doc = 'docs/reliability.md';
const table = readFileSync('test/chaos/results.md', 'utf8').trim();
const machine = `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}; load average when published ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`;
const text = readFileSync(doc, 'utf8');
const start = '<!-- chaos-results:start -->';
const end = '<!-- chaos-results:end -->';
const i = text.indexOf(start);
const j = text.indexOf(end);
if (i < 0 || j < i) {
  process.stderr.write(`${doc}: markers ${start} / ${end} not found\n`);
  process.exit(1);
}
writeFileSync(doc, `${text.slice(0, i + start.length)}\n${table}\n\n${machine}\n${text.slice(j)}`);
process.stdout.write(`${doc}: results table updated\n`);
