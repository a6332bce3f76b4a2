#!/usr/bin/env node
/**
 * Captures the screens of the real agent CLIs as the state detector's fixtures.
 *
 *   npm run agents:capture                 # every CLI
 *   npm run agents:capture -- codex gemini # some
 *
 * Each CLI runs at its pinned version (scripts/agents-capture/versions.mjs; installed on first use into
 * $SHOAL_AGENT_CLIS or ~/.cache/shoal/agent-clis, never into the repo), offline (`unshare -n`, needs
 * root), with a scratch HOME, fake API keys and a scratch git repo, in a private tmux server at
 * 200x50, driven by the scenarios of scripts/agents-capture/scenarios.mjs. Screens are scrubbed
 * (paths, host, dates, UUIDs) and written to apps/node-agent/src/presets/fixtures/<preset>/ with a
 * CAPTURED.json (version, date, size, steps, memory); a preset's old fixtures are replaced
 * (its README.md and by-hand/, screens captured by hand, stay).
 * Then run the detector tests: they say whether the presets still read the new screens.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CapturePane, scratch } from './agents-capture/driver.mjs';
import { SCENARIOS } from './agents-capture/scenarios.mjs';
import { scrubScreen } from './agents-capture/scrub.mjs';
import { AGENT_CLIS } from './agents-capture/versions.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'apps/node-agent/src/presets/fixtures');
/** What a re-capture leaves in a preset's fixtures: its README and the screens captured by hand (screens the scenarios do not reach). */
const KEPT = ['README.md', 'by-hand'];
const CACHE = process.env.SHOAL_AGENT_CLIS ?? join(homedir(), '.cache/shoal/agent-clis');
const WORK = process.env.SHOAL_CAPTURE_WORK ?? join(homedir(), '.cache/shoal/agent-captures');
const SIZE = { width: 200, height: 50 };
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** Installs a pinned CLI into the cache when missing; returns its bin dir and install dir. */
function ensureInstalled(name) {
  const cli = AGENT_CLIS[name];
  const prefix = join(CACHE, name);
  const pkgJson = join(prefix, 'node_modules', cli.pkg, 'package.json');
  const installed = existsSync(pkgJson) && JSON.parse(readFileSync(pkgJson, 'utf8')).version === cli.version;
  if (!installed) {
    console.log(`installing ${cli.pkg}@${cli.version} into ${prefix} ...`);
    mkdirSync(prefix, { recursive: true });
    execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--save-exact', `${cli.pkg}@${cli.version}`], { stdio: 'inherit' });
    // npm 11 skips install scripts not in allowScripts: run the one that links the native binary
    if (cli.postinstall) execFileSync(process.execPath, [cli.postinstall], { cwd: join(prefix, 'node_modules', cli.pkg), stdio: 'inherit' });
  }
  return { binDir: join(prefix, 'node_modules', '.bin'), install: prefix };
}

/** A minimal environment: nothing of the caller's (no credentials, no $TMUX), plus the scenario's fake keys. */
function paneEnv(binDir, home, extra) {
  return { PATH: [binDir, dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'), HOME: home, LANG: 'C.UTF-8', USER: 'capture', ...extra };
}

const matches = (re, s) => re.test(s);

/** Runs one scenario; returns the saved screens and the notes. */
async function runScenario(name, sc, cli, where, out) {
  const dir = join(WORK, `${name}-${sc.scenario}`);
  const { home, repo } = scratch(dir);
  sc.seed?.(home, cli.version);
  const { binDir, install } = where;
  const pane = new CapturePane({ socket: `shoal-capture-${process.pid}-${name}`, bin: AGENT_CLIS[name].bin, args: sc.args ?? [], env: paneEnv(binDir, home, sc.env ?? {}), cwd: repo, scratch: dir, ...SIZE });
  const scrub = (screen) => scrubScreen(screen, { repo, home, userHome: homedir(), install, host: hostname() });
  const record = { scenario: sc.scenario, env: Object.keys(sc.env ?? {}), steps: [], saved: [], missed: [], memory: [] };
  const save = (file, screen) => {
    const rel = `${file}.txt`;
    const path = join(out, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, scrub(screen));
    record.saved.push(rel);
    console.log(`  ${name.padEnd(8)} ${sc.scenario.padEnd(16)} -> fixtures/${name}/${rel}`);
  };
  await pane.start();
  try {
    for (const step of sc.steps) {
      record.steps.push(describe(step));
      if (step.type !== undefined) {
        await pane.type(step.type);
      } else if (step.press) {
        // press a key until a screen shows (save it) or the pane dies, at most `max` times
        let shown = false;
        for (let i = 0; i < (step.max ?? 3) && !shown && !(await pane.dead()); i++) {
          await pane.keys(step.press);
          const screen = await pane.waitFor((s) => matches(step.until, s), { deadlineMs: 3_000 });
          if (screen !== undefined && !(await pane.dead())) {
            save(step.save, screen);
            shown = true;
          }
        }
        if (!shown) record.missed.push(step.save);
      } else if (step.measure) {
        await pane.waitSettled({ deadlineMs: 30_000 });
        record.memory.push({ at: step.measure, ...(await pane.rssMb()) });
      } else if (step.sequence) {
        if (step.until && !(await pane.waitFor((s) => matches(step.until, s), { deadlineMs: step.deadlineMs ?? 30_000 }))) {
          record.missed.push(`sequences/${step.sequence}`);
          continue;
        }
        for (let i = 0; i < step.count; i++) {
          save(`sequences/${step.sequence}/${String(i + 1).padStart(2, '0')}`, await pane.screen());
          if (i < step.count - 1) await pause(step.everyMs); // a sample interval of a recording, not a wait for a condition
        }
      } else if (step.dead) {
        if (await pane.waitDead(step.deadlineMs ?? 30_000)) save(step.save, await pane.screen());
        else if (!step.optional) throw missed(step, await pane.screen());
        else record.missed.push(step.save);
      } else if (step.save) {
        const test = (s) => matches(step.until, s) && !(step.not && matches(step.not, s));
        const skip = (s) => step.unless && matches(step.unless, s);
        const screen = await waitStep(pane, step, test, skip);
        // a dead pane keeps its last screen: never save it under a live state's name
        if (screen === undefined || !test(screen) || (await pane.dead())) {
          if (step.optional) {
            record.missed.push(step.save);
            continue;
          }
          throw missed(step, await pane.screen());
        }
        save(step.save, screen);
        if (step.keys) await pane.keys(...step.keys);
      } else if (step.keys) {
        if (!(await pane.dead())) await pane.keys(...step.keys);
      }
    }
  } catch (e) {
    record.error = e.message;
    console.log(`  ${name.padEnd(8)} ${sc.scenario.padEnd(16)} !! ${e.message}`);
    writeFileSync(join(dir, 'unmatched.txt'), e.screen ?? '');
  } finally {
    await pane.stop();
  }
  return record;
}

/** Waits for a save step: its match (settled, or held for holdMs), or its `unless` (skip). */
async function waitStep(pane, step, test, skip) {
  const deadlineMs = step.deadlineMs ?? 60_000;
  if (step.settle === false) {
    let heldSince;
    return pane.waitFor(
      (s) => {
        if (skip(s)) return true;
        if (!test(s)) return (heldSince = undefined), false;
        heldSince ??= Date.now();
        return Date.now() - heldSince >= (step.holdMs ?? 0);
      },
      { deadlineMs },
    );
  }
  return pane.waitFor((s) => test(s) || skip(s), { deadlineMs, settle: true });
}

function missed(step, screen) {
  const e = new Error(`step "${step.save}" not reached (waiting for ${step.until})`);
  e.screen = screen;
  return e;
}

function describe(step) {
  if (step.type !== undefined) return `type "${step.type}"`;
  if (step.measure) return `measure RSS (${step.measure})`;
  if (step.press) return `press ${step.press} (at most ${step.max ?? 3} times) until ${step.until} -> ${step.save}`;
  if (step.sequence) return `record ${step.count} screens ${step.everyMs} ms apart -> sequences/${step.sequence}/`;
  if (step.dead) return `wait for the pane to be dead -> ${step.save}`;
  if (step.save) return `wait for ${step.until}${step.not ? ` without ${step.not}` : ''}${step.settle === false ? '' : ' (settled 2 s)'} -> ${step.save}${step.keys ? `; keys ${step.keys.join(' ')}` : ''}${step.optional ? ' (optional)' : ''}`;
  return `keys ${step.keys.join(' ')}`;
}

async function capture(name) {
  const cli = AGENT_CLIS[name];
  const where = ensureInstalled(name);
  const out = join(FIXTURES, name);
  const tmp = join(WORK, `${name}-fixtures`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const records = [];
  for (const sc of SCENARIOS[name]) records.push(await runScenario(name, sc, cli, where, tmp));
  // replace the preset's fixtures with the new set (a README and the screens captured by hand, by-hand/, stay)
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out, { withFileTypes: true })) if (!KEPT.includes(f.name)) rmSync(join(out, f.name), { recursive: true, force: true });
  execFileSync('cp', ['-r', `${tmp}/.`, out]);
  const captured = {
    cli: `${cli.pkg}@${cli.version}`,
    capturedAt: new Date().toISOString().slice(0, 10),
    tmux: `${SIZE.width}x${SIZE.height}, capture-pane -p, offline (unshare -n), scratch HOME and repo, fake API keys`,
    node: process.version,
    scenarios: records,
  };
  writeFileSync(join(out, 'CAPTURED.json'), `${JSON.stringify(captured, null, 2)}\n`);
  return records;
}

const args = process.argv.slice(2);
const unknownFlags = args.filter((a) => a.startsWith('-') && a !== '--help' && a !== '-h');
if (args.includes('--help') || args.includes('-h') || unknownFlags.length > 0) {
  if (unknownFlags.length > 0) console.error(`unknown option(s): ${unknownFlags.join(' ')}`);
  console.log(`usage: npm run agents:capture [-- <cli>...]   (CLIs: ${Object.keys(AGENT_CLIS).join(', ')}; none = all)`);
  console.log('Runs each CLI offline at its pinned version and rewrites its fixtures; needs root (unshare -n).');
  process.exit(unknownFlags.length > 0 ? 2 : 0);
}
const names = args;
const wanted = names.length > 0 ? names : Object.keys(AGENT_CLIS);
for (const n of wanted) if (!AGENT_CLIS[n]) throw new Error(`unknown CLI "${n}" (known: ${Object.keys(AGENT_CLIS).join(', ')})`);
const summary = [];
for (const n of wanted) {
  console.log(`== ${n} ${AGENT_CLIS[n].pkg}@${AGENT_CLIS[n].version}`);
  for (const r of await capture(n)) summary.push({ cli: n, ...r });
}
console.log('\nscreen -> file');
for (const r of summary) {
  for (const f of r.saved) console.log(`${r.cli.padEnd(9)} ${r.scenario.padEnd(16)} fixtures/${r.cli}/${f}`);
  for (const m of r.missed) console.log(`${r.cli.padEnd(9)} ${r.scenario.padEnd(16)} (not shown: ${m})`);
  if (r.error) console.log(`${r.cli.padEnd(9)} ${r.scenario.padEnd(16)} FAILED: ${r.error}`);
  for (const m of r.memory) console.log(`${r.cli.padEnd(9)} ${r.scenario.padEnd(16)} RSS ${m.mb} MB in ${m.processes} processes (${m.at})`);
}
if (summary.some((r) => r.error)) process.exitCode = 1;
