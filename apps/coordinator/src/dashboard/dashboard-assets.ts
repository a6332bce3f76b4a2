import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@shoal/protocol';

/** Where `npm run build` writes the bundled dashboard (apps/dashboard/dist), seen from apps/coordinator/dist/dashboard. */
const DEFAULT_DIR = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** An asset's bytes and content type. */
export interface DashboardAsset {
  body: Buffer;
  type: string;
}

/**
 * The dashboard's files as built by scripts/build-dashboard.mjs: `index.html` and a flat
 * `assets/` directory. Names are checked against a strict pattern, so no path leaves the directory.
 */
@Injectable()
export class DashboardAssets {
  private readonly dir = process.env.SHOAL_DASHBOARD_DIR || DEFAULT_DIR;

  /** The page itself. */
  index(): Promise<DashboardAsset> {
    return this.read('index.html');
  }

  /** One file of `assets/` (`main.js`, `main.css`, …). */
  asset(name: string): Promise<DashboardAsset> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(name) || name.includes('..')) throw new NotFoundError(`no dashboard asset ${JSON.stringify(name)}`);
    return this.read(join('assets', name));
  }

  private async read(rel: string): Promise<DashboardAsset> {
    const type = TYPES[extname(rel)];
    if (!type) throw new NotFoundError(`no dashboard asset ${JSON.stringify(rel)}`);
    try {
      return { body: await readFile(join(this.dir, rel)), type };
    } catch {
      throw new NotFoundError(`dashboard file ${rel} not found in ${this.dir} (build it with \`npm run build\`)`);
    }
  }
}
