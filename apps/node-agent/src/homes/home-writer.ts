import { existsSync, readdirSync, rmSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type AgentHome, type TaskDispatched, attemptKey } from '@shoal/protocol';
import type { McpOwner } from '../mcp/index.js';
import { PRESETS } from '../presets/index.js';
import { UnreadableHomeFile, homeEdits } from './formats.js';

/** The agent's uid/gid when agents run unprivileged (SHOAL_RUN_AS), with the per-attempt home RunAs already made. */
export interface HomeOwner extends McpOwner {
  /** The attempt's own home (`<data>/homes/<uid>`, 0700, removed when the uid is released). */
  home: string;
}

/** What an attempt starts with once its home is ready. */
export interface PreparedHome {
  /** The directory (absent for `shared`: the node user's HOME is left as it is). */
  home?: string;
  /** HOME and what points the CLI into it (e.g. CODEX_HOME); empty for `shared`. */
  env: Record<string, string>;
  /** Files written or changed, relative to the home. */
  written: string[];
  /** Removed when the process ends (a scratch home of this writer). */
  scratch: boolean;
}

/** Where the XDG base directories of a prepared home point (the node-agent's own must not leak into an agent). */
const XDG = { XDG_CONFIG_HOME: '.config', XDG_DATA_HOME: '.local/share', XDG_STATE_HOME: '.local/state', XDG_CACHE_HOME: '.cache' } as const;

/**
 * Prepares an agent's HOME per its preset (`home:` of the task, `scratch` by default for agent
 * presets): a scratch home is `<dataDir>/homes/<run>.<task>.<attempt>` (0700), or the attempt's
 * own home under SHOAL_RUN_AS (RunAs made it, chowned, and removes it with the uid); a given
 * directory is prepared the same way and kept; `shared` writes nothing. Files are written 0600 in
 * 0700 directories, owned by the agent's uid when agents run unprivileged (as the MCP configs).
 */
export class AgentHomes {
  readonly root: string;

  constructor(
    dataDir: string,
    private readonly warn: (message: string) => void,
  ) {
    this.root = join(dataDir, 'homes');
  }

  /**
   * Removes scratch homes earlier node-agents left (their attempts ended while none ran), keeping
   * those of attempts that still have a record in `recordsDir` (`<run>.<task>.<attempt>.json`: they
   * may be re-adopted and still use their home) and the uid homes of SHOAL_RUN_AS (all digits).
   */
  clearLeftovers(recordsDir: string): string[] {
    const removed: string[] = [];
    for (const name of existsSync(this.root) ? readdirSync(this.root) : []) {
      if (/^\d+$/.test(name) || existsSync(join(recordsDir, `${name}.json`))) continue;
      rmSync(join(this.root, name), { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }

  /** The scratch home of an attempt when agents run as the node-agent's user. */
  scratchOf(task: Pick<TaskDispatched, 'runId' | 'taskId' | 'attempt'>): string {
    return join(this.root, attemptKey(task.runId, task.taskId, task.attempt));
  }

  /** Which home a task gets: its `home`, else `scratch` for an agent preset; undefined (HOME untouched) for other tasks. */
  static modeOf(task: Pick<TaskDispatched, 'agent' | 'home' | 'env'>): AgentHome | undefined {
    if (task.env?.HOME !== undefined) return undefined; // the plan set HOME itself
    return task.home ?? (task.agent && task.agent !== 'shell' ? 'scratch' : undefined);
  }

  /**
   * Makes the task's home ready before its process starts. `cwd` is where the agent starts (its
   * worktree), `env` its environment with secrets resolved (a key to approve is read from it).
   * @throws Error for `shared` under SHOAL_RUN_AS (the agent's uid cannot use the node user's HOME).
   */
  async prepare(task: TaskDispatched, cwd: string | undefined, env: Readonly<Record<string, string>>, owner?: HomeOwner): Promise<PreparedHome | undefined> {
    const mode = AgentHomes.modeOf(task);
    if (mode === undefined) return undefined;
    if (mode === 'shared') {
      if (owner) throw new Error(`home: shared needs SHOAL_RUN_AS=off on node-agents: agents run under their own uid and cannot use the node user's HOME (use home: scratch or a directory)`);
      return { env: {}, written: [], scratch: false };
    }
    const scratch = mode === 'scratch';
    const home = scratch ? (owner?.home ?? this.scratchOf(task)) : mode;
    if (scratch && !owner) {
      await mkdir(this.root, { recursive: true, mode: 0o711 });
      await mkdir(home, { recursive: true, mode: 0o700 });
    } else if (!scratch) {
      await mkdir(home, { recursive: true, mode: 0o700 });
      if (owner) await chown(home, owner.uid, owner.gid);
    }
    const spec = task.agent ? PRESETS[task.agent].home : undefined;
    const written: string[] = [];
    if (spec) {
      // the CLIs key trust by the physical path they start in (getcwd); no cwd: the agent starts in its home
      const where = cwd ?? home;
      const trusted = await realpath(where).catch(() => where);
      for (const edit of homeEdits(spec.format, { cwd: trusted, env })) {
        const file = join(home, edit.path);
        try {
          if (await this.apply(home, file, edit.edit, owner)) written.push(edit.path);
        } catch (e) {
          if (!(e instanceof UnreadableHomeFile)) throw e;
          this.warn(`${attemptKey(task.runId, task.taskId, task.attempt)} home ${home}: ${edit.path} left as it is: ${e.message}`);
        }
      }
    }
    const expand = (v: string) => v.replaceAll('{home}', home);
    const xdg = Object.fromEntries(Object.entries(XDG).filter(([k]) => task.env?.[k] === undefined).map(([k, rel]) => [k, join(home, rel)]));
    const presetEnv = Object.fromEntries(Object.entries(spec?.env ?? {}).filter(([k]) => task.env?.[k] === undefined).map(([k, v]) => [k, expand(v)]));
    return { home, env: { HOME: home, ...xdg, ...presetEnv }, written, scratch: scratch && !owner };
  }

  /** Writes one edit (0600, its directories 0700, owned by the agent under SHOAL_RUN_AS); false when nothing changed. */
  private async apply(home: string, file: string, edit: (current: string | undefined) => string | undefined, owner?: McpOwner): Promise<boolean> {
    const st = await lstat(file).catch(() => undefined);
    if (st && !st.isFile()) throw new UnreadableHomeFile('not a regular file');
    const next = edit(st ? await readFile(file, 'utf8') : undefined);
    if (next === undefined) return false;
    for (let d = dirname(file), made: string[] = []; ; d = dirname(d)) {
      if (d === home || !d.startsWith(`${home}/`) || (await lstat(d).catch(() => undefined))) {
        for (const m of made.reverse()) {
          await mkdir(m, { mode: 0o700 });
          if (owner) await chown(m, owner.uid, owner.gid);
        }
        break;
      }
      made.push(d);
    }
    // a new file renamed over the old one: a CLI reading it meanwhile sees either, never half
    const tmp = `${file}.shoal-${process.pid}`;
    await writeFile(tmp, next, { mode: 0o600, flag: 'w' });
    await chmod(tmp, 0o600);
    if (owner) await chown(tmp, owner.uid, owner.gid);
    await rename(tmp, file);
    return true;
  }

  /** Removes an attempt's scratch home (nothing if it has none here), at once: before the end is reported. */
  removeNow(task: Pick<TaskDispatched, 'runId' | 'taskId' | 'attempt'>): void {
    rmSync(this.scratchOf(task), { recursive: true, force: true });
  }

  /** {@link removeNow}, asynchronously (a start that failed). */
  async remove(task: Pick<TaskDispatched, 'runId' | 'taskId' | 'attempt'>): Promise<void> {
    await rm(this.scratchOf(task), { recursive: true, force: true });
  }
}
