import { join } from 'node:path';
import { type McpServer, type TaskDispatched, shoalMcpServer } from '@shoal/protocol';
import type { PresetMcp } from '../presets/index.js';
import { renderMcp } from './formats.js';

/** A file to write for an attempt. */
export interface McpFile {
  path: string;
  content: string;
  mode: number;
}

/** How an attempt's agent receives its MCP servers: a file (or none), argv elements after the program, environment. */
export interface McpLaunch {
  file?: McpFile;
  argv: string[];
  env: Record<string, string>;
}

/**
 * The servers of an attempt: the plan's (team's overlaid by the task's), plus Shoal's own when the
 * task has a cache grant and the plan did not write `shoal: false`.
 */
export function attemptMcpServers(task: Pick<TaskDispatched, 'mcp' | 'cache'>): McpServer[] {
  const servers = [...(task.mcp?.servers ?? [])];
  if (task.cache && task.mcp?.shoal !== false) servers.push(shoalMcpServer(task.cache.url));
  return servers;
}

/** What to write and pass for `servers` in the preset's way, the file going into `dir` (mode 0600). */
export function mcpLaunch(delivery: PresetMcp, servers: readonly McpServer[], dir: string): McpLaunch {
  const rendered = renderMcp(delivery.format, servers);
  const file = rendered.kind === 'file' ? { path: join(dir, delivery.file ?? 'mcp.json'), content: rendered.content, mode: 0o600 } : undefined;
  const expand = (s: string) => s.replaceAll('{file}', file?.path ?? '');
  const argv = (delivery.argv ?? []).flatMap((a) => (a === '{overrides}' ? (rendered.kind === 'overrides' ? rendered.overrides : []) : [expand(a)]));
  const env = Object.fromEntries(Object.entries(delivery.env ?? {}).map(([k, v]) => [k, expand(v)]));
  return { file, argv, env };
}

/** The task's argv with `extra` right after the program (global options of every CLI go there). */
export function commandWithMcp(command: readonly string[], extra: readonly string[]): string[] {
  return [command[0], ...extra, ...command.slice(1)];
}
