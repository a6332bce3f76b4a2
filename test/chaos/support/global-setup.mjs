// Chaos project setup: a run starts a fresh results table (test/chaos/results.jsonl -> results.md)
// and a fresh log directory (test/chaos/logs/).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export default function globalSetup() {
  for (const f of ['results.jsonl', 'results.md', 'logs']) rmSync(join(process.cwd(), 'test', 'chaos', f), { force: true, recursive: true });
  writeFileSync(join(process.cwd(), 'test', 'chaos', 'results.started'), String(Date.now()));
}
