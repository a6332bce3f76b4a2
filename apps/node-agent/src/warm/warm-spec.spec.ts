import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@shoal/protocol';
import { waitFor } from '@shoal/testing';
import { encodeWarmSpec, WARM_FAILED_STATUS, warmArgv } from './warm-spec.js';

/** Runs the real warm script: it creates its FIFO, we write `go` into it once it waits there. */
async function runWarm(go: string, spec: string): Promise<{ status: number; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'warm-spec-'));
  try {
    const fifo = join(dir, 'go');
    writeFileSync(join(dir, 'spec'), spec);
    const [sh, ...args] = warmArgv(fifo, join(dir, 'spec'));
    const child = spawn(sh!, args, { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const status = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    await waitFor(() => existsSync(fifo), { what: 'the FIFO' });
    await writeFile(fifo, go);
    return { status: await status, out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PRINT = [process.execPath, '-e', 'process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), cwd: process.cwd(), a: process.env.A ?? null, b: process.env.B ?? null }))'];

describe('warm shell spec', () => {
  it('execs the argv literally with its environment and directory', async () => {
    const hostile = ['$(touch /tmp/x)', '`id`', "'", '"', ' lead and trail ', '', '\\n', '-e', '#{pane_id}', 'a\tb', 'é😀'];
    const cwd = mkdtempSync(join(tmpdir(), "warm cwd $(x) '"));
    try {
      const r = await runWarm('go\n', encodeWarmSpec({ argv: [...PRINT, ...hostile], cwd, env: { A: '$(touch /tmp/y) `x` \'', B: '' } }));
      expect(r.status).toBe(0);
      expect(JSON.parse(r.out)).toEqual({ argv: hostile, cwd, a: '$(touch /tmp/y) `x` \'', b: '' });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('keeps the start directory when the spec has none', async () => {
    const r = await runWarm('go\n', encodeWarmSpec({ argv: PRINT, env: {} }));
    expect(JSON.parse(r.out).cwd).toBe(process.cwd());
  });

  it('runs nothing without the go word, or with a broken spec', async () => {
    expect(await runWarm('', encodeWarmSpec({ argv: PRINT, env: {} }))).toEqual({ status: WARM_FAILED_STATUS, out: '' });
    expect(await runWarm('nope\n', encodeWarmSpec({ argv: PRINT, env: {} }))).toEqual({ status: WARM_FAILED_STATUS, out: '' });
    expect(await runWarm('go\n', '\nnot-a-number\n')).toEqual({ status: WARM_FAILED_STATUS, out: '' });
    expect(await runWarm('go\n', '\n3\nonly-one\n')).toEqual({ status: WARM_FAILED_STATUS, out: '' });
    expect((await runWarm('go\n', '/does/not/exist\n1\ntrue\n')).status).toBe(WARM_FAILED_STATUS);
  });

  it('refuses words a line-based spec cannot carry, naming each field', () => {
    const thrown = (() => {
      try {
        return encodeWarmSpec({ argv: ['echo', 'a\nb'], cwd: 'x\0', env: { 'A-B': 'v', C: 'l1\nl2' } });
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).issues.map((i) => i.path)).toEqual(['argv[1]', 'cwd', 'env.A-B', 'env.C']);
    expect(() => encodeWarmSpec({ argv: [], env: {} })).toThrow(/argv/);
  });
});
