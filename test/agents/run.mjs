#!/usr/bin/env node
/**
 * `npm run test:agents`: the real-agent suite (not in CI, not in `npm test`: the CLIs are large).
 *
 * 1. Finds each pinned CLI (scripts/agents-capture/versions.mjs) at its pinned version in
 *    $SHOAL_AGENT_CLIS, ~/.cache/shoal/agent-clis or /root/agent-clis; installs a missing one into
 *    the first of those (network needed only then: with every CLI cached the suite runs offline).
 * 2. Runs test/agents/real-agents.agents.ts with its own jest config inside a network namespace
 *    (`unshare -n`, only `lo` up: the coordinator, NATS and the node-agent reach each other over
 *    127.0.0.1, the agents reach nothing else), with a root-owned TMPDIR (gemini reads system
 *    files only under directories no one else may write). Needs root, tmux, `ip`, a build
 *    (`npm run build`, which the npm script runs first).
 *
 * The table goes to stdout and to $SHOAL_AGENTS_OUT (default ~/.cache/shoal/agents-suite)/results.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_CLIS } from '../../scripts/agents-capture/versions.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const ROOTS = [process.env.SHOAL_AGENT_CLIS, join(homedir(), '.cache/shoal/agent-clis'), '/root/agent-clis'].filter(Boolean);

/** The install dir holding `name` at its pinned version, or undefined. */
function findInstalled(name) {
  const cli = AGENT_CLIS[name];
  return ROOTS.map((r) => join(r, name)).find((prefix) => {
    const pkgJson = join(prefix, 'node_modules', cli.pkg, 'package.json');
    return existsSync(pkgJson) && existsSync(join(prefix, 'node_modules/.bin', cli.bin)) && JSON.parse(readFileSync(pkgJson, 'utf8')).version === cli.version;
  });
}

/** Installs `name` at its pinned version into the first root (as scripts/agents-capture.mjs does). */
function install(name) {
  const cli = AGENT_CLIS[name];
  const prefix = join(ROOTS[0], name);
  console.log(`installing ${cli.pkg}@${cli.version} into ${prefix} ...`);
  mkdirSync(prefix, { recursive: true });
  execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--save-exact', `${cli.pkg}@${cli.version}`], { stdio: 'inherit' });
  // npm 11 skips install scripts not in allowScripts: run the one that links the native binary
  if (cli.postinstall) execFileSync(process.execPath, [cli.postinstall], { cwd: join(prefix, 'node_modules', cli.pkg), stdio: 'inherit' });
  return prefix;
}

const clis = {};
for (const name of Object.keys(AGENT_CLIS)) {
  clis[name] = findInstalled(name) ?? install(name);
  console.log(`${name.padEnd(9)} ${AGENT_CLIS[name].version.padEnd(9)} ${clis[name]}`);
}

const out = process.env.SHOAL_AGENTS_OUT ?? join(homedir(), '.cache/shoal/agents-suite');
const tmp = join(out, 'tmp');
mkdirSync(tmp, { recursive: true, mode: 0o700 });
const jest = [process.execPath, '--experimental-vm-modules', join(ROOT, 'node_modules/jest/bin/jest.js'), '-c', join(ROOT, 'test/agents/jest.config.mjs'), '--runInBand', ...process.argv.slice(2)];
const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', '_', ...jest], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, TMPDIR: tmp, SHOAL_AGENTS_OUT: out, SHOAL_AGENT_CLI_DIRS: JSON.stringify(clis) },
});
process.exit(r.status ?? 1);
