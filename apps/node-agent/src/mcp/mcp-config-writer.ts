import { rmSync } from 'node:fs';
import { chmod, chown, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type TaskDispatched, attemptKey } from '@shoal/protocol';
import { PRESETS } from '../presets/index.js';
import { attemptMcpServers, commandWithMcp, mcpLaunch } from './launch.js';

/** Who runs the agent when it is not the node-agent's own user (SHOAL_RUN_AS). */
export interface McpOwner {
  uid: number;
  gid: number;
}

/** What an attempt starts with once its MCP config is written. */
export interface McpPrepared {
  command: string[];
  env: Record<string, string>;
  /** The file written (absent for Codex, whose servers travel as `-c` overrides). */
  file?: string;
}

/**
 * Writes an attempt's MCP config into `<dataDir>/mcp/<run>.<task>.<attempt>/` (directory 0700,
 * file 0600, owned by the agent's uid under SHOAL_RUN_AS) and removes it when the attempt ends.
 * Gemini reads its system-defaults file only when root owns it: there the owner stays root, and
 * the agent's group may read it (0750/0640) when agents run unprivileged. No file holds a token.
 */
export class McpConfigWriter {
  readonly root: string;

  constructor(
    dataDir: string,
    private readonly warn: (message: string) => void,
    private readonly selfUid: number | undefined = process.getuid?.(),
  ) {
    this.root = join(dataDir, 'mcp');
  }

  /**
   * Removes what earlier node-agents left (attempts that ended while none ran). Safe for re-adopted
   * agents too: every CLI reads its MCP config when it starts, and a restart writes it again.
   */
  clearLeftovers(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  /** The attempt's directory. */
  dirOf(task: Pick<TaskDispatched, 'runId' | 'taskId' | 'attempt'>): string {
    return join(this.root, attemptKey(task.runId, task.taskId, task.attempt));
  }

  /**
   * Writes the config of an agent task that has MCP servers; undefined when it has none or its
   * preset takes none. The file's path is also in `SHOAL_MCP_CONFIG`; argv elements are added only
   * when the command's program is the preset's CLI (`claude`, `codex`), never to a wrapper.
   */
  async prepare(task: TaskDispatched, owner?: McpOwner): Promise<McpPrepared | undefined> {
    const delivery = task.agent ? PRESETS[task.agent].mcp : undefined;
    const servers = attemptMcpServers(task);
    if (!delivery || servers.length === 0) return undefined;
    const dir = this.dirOf(task);
    const launch = mcpLaunch(delivery, servers, dir);
    // flags only when the command starts the CLI itself: a wrapper (`sh -c ...`, `node script`) would
    // take them as its own; it finds the file in SHOAL_MCP_CONFIG instead
    const program = PRESETS[task.agent!].argv[0];
    if (launch.argv.length && basename(task.command[0]) !== program) {
      this.warn(`${attemptKey(task.runId, task.taskId, task.attempt)}: its command starts ${task.command[0]}, not ${program}: MCP servers not passed as arguments${launch.file ? ' (the config is in $SHOAL_MCP_CONFIG)' : ''}`);
      launch.argv = [];
    }
    if (launch.file) launch.env.SHOAL_MCP_CONFIG = launch.file.path;
    if (launch.file) {
      await mkdir(this.root, { recursive: true, mode: 0o711 });
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { mode: 0o700 });
      await writeFile(launch.file.path, launch.file.content, { mode: launch.file.mode, flag: 'wx' });
      await chmod(launch.file.path, launch.file.mode);
      if (delivery.rootOwned) {
        if (owner) await this.groupReadable(dir, launch.file.path, owner.gid);
        await this.checkRootOwned(task, launch.file.path);
      } else if (owner) {
        for (const p of [dir, launch.file.path]) await chown(p, owner.uid, owner.gid);
      }
    }
    return { command: commandWithMcp(task.command, launch.argv), env: launch.env, file: launch.file?.path };
  }

  /** Removes the attempt's directory (nothing if none was written). */
  async remove(task: Pick<TaskDispatched, 'runId' | 'taskId' | 'attempt'>): Promise<void> {
    await rm(this.dirOf(task), { recursive: true, force: true });
  }

  /** {@link remove}, at once: used when the process ended, before the attempt is reported (one small directory). */
  removeNow(task: Pick<TaskDispatched, 'runId' | 'taskId' | 'attempt'>): void {
    rmSync(this.dirOf(task), { recursive: true, force: true });
  }

  private async groupReadable(dir: string, file: string, gid: number): Promise<void> {
    await chown(dir, 0, gid);
    await chmod(dir, 0o750);
    await chown(file, 0, gid);
    await chmod(file, 0o640);
  }

  /** Gemini skips a system file that root does not own or whose directories group/others may write: say so once per attempt. */
  private async checkRootOwned(task: TaskDispatched, file: string): Promise<void> {
    const what = `${attemptKey(task.runId, task.taskId, task.attempt)} MCP config for ${task.agent}`;
    if (this.selfUid !== 0) {
      this.warn(`${what}: ${task.agent} reads ${file} only when root owns it, and this node-agent runs as uid ${this.selfUid}: the agent will not see its MCP servers`);
      return;
    }
    for (let p = dirname(file); ; p = dirname(p)) {
      const s = await stat(p);
      if (s.uid !== 0 || (s.mode & 0o022) !== 0) {
        this.warn(`${what}: ${p} is ${s.uid !== 0 ? `owned by uid ${s.uid}` : 'writable by group or others'}, so ${task.agent} will skip ${file}; put SHOAL_DATA_DIR under root-owned directories`);
        return;
      }
      if (p === dirname(p)) return;
    }
  }
}
