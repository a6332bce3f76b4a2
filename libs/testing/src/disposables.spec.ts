import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Disposables } from './disposables.js';
import { freePort } from './free-port.js';
import { tempDir } from './temp-dir.js';

describe('Disposables', () => {
  it('runs every action in reverse order even when some throw, then aggregates the failures', async () => {
    const d = new Disposables();
    const order: string[] = [];
    d.add(() => order.push('first'));
    d.add(async () => {
      order.push('second');
      throw new Error('second failed');
    });
    d.add(() => order.push('third'));
    d.add(() => {
      order.push('fourth');
      throw new Error('fourth failed');
    });
    const err = await d.disposeAll().catch((e: unknown) => e);
    expect(order).toEqual(['fourth', 'third', 'second', 'first']);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(['fourth failed', 'second failed']);
    expect(d.size).toBe(0);
    await expect(d.disposeAll()).resolves.toBeUndefined();
  });

  it('use() registers dispose() or stop() and returns the resource', async () => {
    const d = new Disposables();
    const calls: string[] = [];
    const a = d.use({ dispose: () => calls.push('a') });
    d.use({ stop: async () => calls.push('b') });
    expect(typeof a.dispose).toBe('function');
    await d[Symbol.asyncDispose]();
    expect(calls).toEqual(['b', 'a']);
  });
});

describe('tempDir', () => {
  it('creates a unique directory and removes it with its contents', async () => {
    const a = tempDir('shoal-spec-');
    const b = tempDir('shoal-spec-');
    try {
      expect(a.path).not.toBe(b.path);
      expect(a.path).toMatch(/shoal-spec-/);
      writeFileSync(join(a.path, 'f.txt'), 'x');
    } finally {
      await a.dispose();
      await b.dispose();
    }
    expect(existsSync(a.path)).toBe(false);
    expect(existsSync(b.path)).toBe(false);
  });
});

describe('freePort', () => {
  it('returns a port that can then be bound on 127.0.0.1', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
