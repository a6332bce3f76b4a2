#!/usr/bin/env node
/**
 * Builds the web dashboard (apps/dashboard) into apps/dashboard/dist: index.html and assets/
 * main.js + main.css (preact, uPlot and its stylesheet bundled in; no CDN, works offline).
 * Type-checks the sources first (their own tsconfig, with the DOM library). Run by `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, 'apps/dashboard');
const out = join(app, 'dist');
const require = createRequire(import.meta.url);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')], { stdio: 'inherit' });

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
await build({
  entryPoints: { main: join(app, 'src/main.tsx') },
  outdir: join(out, 'assets'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(join(app, 'index.html'), join(out, 'index.html'));
const kb = (f) => `${(statSync(join(out, 'assets', f)).size / 1024).toFixed(1)} KiB`;
process.stdout.write(`dashboard built in apps/dashboard/dist (main.js ${kb('main.js')}, main.css ${kb('main.css')})\n`);
