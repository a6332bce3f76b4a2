import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcOwner, processesByUid } from './proc-uids.js';

const status = (state: string, uids: string) => `Name:\tsleep\nUmask:\t0022\nState:\t${state}\nTgid:\t7\nUid:\t${uids}\nGid:\t65534\t65534\t65534\t65534\n`;

describe('process owners from /proc/<pid>/status', () => {
  it('reads state and the four uids', () => {
    expect(parseProcOwner(7, status('S (sleeping)', '2000001\t2000001\t2000001\t2000001'))).toEqual({ pid: 7, uids: [2000001, 2000001, 2000001, 2000001], state: 'S' });
    expect(parseProcOwner(7, 'Name:\tx\n')).toBeNull();
  });

  it('groups live processes by the wanted uid (any of real, effective, saved, fs), zombies left out', async () => {
    const root = mkdtempSync(join(tmpdir(), 'shoal-proc-'));
    try {
      const proc = (pid: number, text: string) => {
        mkdirSync(join(root, String(pid)));
        writeFileSync(join(root, String(pid), 'status'), text);
      };
      proc(10, status('S (sleeping)', '2000001\t2000001\t2000001\t2000001'));
      proc(11, status('R (running)', '0\t2000001\t0\t0'));
      proc(12, status('Z (zombie)', '2000001\t2000001\t2000001\t2000001'));
      proc(13, status('S (sleeping)', '2000002\t2000002\t2000002\t2000002'));
      proc(14, status('S (sleeping)', '0\t0\t0\t0'));
      mkdirSync(join(root, 'self'));
      const found = await processesByUid(root, (u) => u >= 2000000);
      expect(new Map([...found].map(([uid, pids]) => [uid, pids.sort()]))).toEqual(new Map([[2000001, [10, 11]], [2000002, [13]]]));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
