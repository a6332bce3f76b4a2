import { spawn } from 'node:child_process';
import { FallbackGovernor } from './fallback.js';
import { snapshotProcesses } from './proc-fs.js';
import type { ProcStat } from './proc-fs.js';

describe('fallback supervision', () => {
  it('keeps a process attached after a snapshot began: a stale snapshot without it does not drop it', async () => {
    const governor = new FallbackGovernor({ prefix: `shoal-spec-${process.pid}`, sampleMs: 3_600_000 });
    const task = await governor.create('late-attach', { cpuPercent: 400, memoryMb: 256 });
    const child = spawn(process.execPath, ['-e', 'const a=Buffer.alloc(64*1024*1024,1);setInterval(()=>a.length,1e6)'], { stdio: 'ignore' });
    try {
      const stale = new Map<number, ProcStat>();
      task.attach(child.pid!);
      const supervised = task as unknown as { onSample(p: Map<number, ProcStat>): Promise<void> };
      await supervised.onSample(stale);
      let rss = 0;
      for (let i = 0; i < 100 && rss < 32; i++) {
        await new Promise((r) => setTimeout(r, 50));
        await supervised.onSample(await snapshotProcesses('/proc'));
        rss = (await task.usage()).rssMb;
      }
      expect(rss).toBeGreaterThanOrEqual(32);
    } finally {
      await task.release().catch(() => undefined);
      child.kill('SIGKILL');
    }
  });
});
