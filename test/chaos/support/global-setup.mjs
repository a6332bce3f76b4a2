// Chaos project setup: a run starts a fresh results table (test/chaos/results.jsonl -> results.md).
import { rmSync } from 'node:fs';
import { join } from 'node:path';

export default function globalSetup() {
  for (const f of ['results.jsonl', 'results.md']) rmSync(join(process.cwd(), 'test', 'chaos', f), { force: true });
}
