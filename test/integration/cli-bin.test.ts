import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = process.cwd();

describe('the shoal bin', () => {
  // npx links the bin once and caches the link: a later clone or build at the same path runs the
  // file as it is, so the build itself must leave it executable ("sh: shoal: Permission denied")
  it('is built executable, a node script', () => {
    const bin = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin.shoal!;
    const file = join(ROOT, bin);
    expect(statSync(file).mode & 0o111).toBe(0o111);
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });
});
