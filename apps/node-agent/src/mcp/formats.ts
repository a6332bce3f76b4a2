import type { McpServer } from '@shoal/protocol';
import type { McpFormat } from '../presets/index.js';
import { tomlKey, tomlValue, type TomlValue } from './toml.js';

/**
 * Pure renderers: a resolved server list in the form each agent CLI reads. A bearer token is never
 * written: each format refers to the variable that holds it (`bearerTokenEnv`) in the CLI's own
 * syntax, and the CLI reads it from its environment when it connects.
 */

/** What a format produces: a config file's content, or `-c key=value` overrides (Codex). */
export type RenderedMcp = { kind: 'file'; content: string } | { kind: 'overrides'; overrides: string[] };

type Http = Extract<McpServer, { transport: 'http' }>;

/** The headers of an HTTP server with its bearer token as a reference (`ref(NAME)` in the CLI's syntax). */
function headersOf(s: Http, ref: (env: string) => string): Record<string, string> {
  return { ...s.headers, ...(s.bearerTokenEnv ? { Authorization: `Bearer ${ref(s.bearerTokenEnv)}` } : {}) };
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** Claude Code `--mcp-config` file: `{mcpServers: {name: {type: stdio|http, ...}}}`; `${VAR}` is expanded by claude. */
export function renderClaude(servers: readonly McpServer[]): string {
  const mcpServers = Object.fromEntries(
    servers.map((s) => [s.name, s.transport === 'stdio' ? { type: 'stdio', command: s.command, args: s.args, env: s.env } : { type: 'http', url: s.url, headers: headersOf(s, (e) => `\${${e}}`) }]),
  );
  return json({ mcpServers });
}

/** Gemini CLI / Qwen Code settings: `mcpServers` with `httpUrl` for streamable HTTP; `$VAR`/`${VAR}` expanded when settings load. */
export function renderGeminiSettings(servers: readonly McpServer[], extra: Record<string, unknown> = {}): string {
  const mcpServers = Object.fromEntries(
    servers.map((s) => [s.name, s.transport === 'stdio' ? { command: s.command, args: s.args, env: s.env } : { httpUrl: s.url, headers: headersOf(s, (e) => `\${${e}}`) }]),
  );
  return json({ ...extra, mcpServers });
}

/** Qwen Code reads Gemini's format; `$version` (its settings schema, 4 in 0.24) stops it rewriting the file. */
export function renderQwenSettings(servers: readonly McpServer[]): string {
  return renderGeminiSettings(servers, { $version: 4 });
}

/** opencode config: `mcp: {name: {type: local|remote, ...}}`; `{env:VAR}` is substituted by opencode. */
export function renderOpencode(servers: readonly McpServer[]): string {
  const mcp = Object.fromEntries(
    servers.map((s) =>
      s.transport === 'stdio'
        ? [s.name, { type: 'local', command: [s.command, ...s.args], environment: s.env, enabled: true }]
        : [s.name, { type: 'remote', url: s.url, headers: headersOf(s, (e) => `{env:${e}}`), enabled: true }],
    ),
  );
  return json({ $schema: 'https://opencode.ai/config.json', mcp });
}

/** Start-up allowance Codex gives a stdio server (its default is 10 s). */
export const CODEX_STDIO_STARTUP_S = 60;

/** Codex settings of each server as dotted key -> value (`mcp_servers.<name>.<field>`). */
export function codexSettings(servers: readonly McpServer[]): [string, TomlValue][] {
  const out: [string, TomlValue][] = [];
  for (const s of servers) {
    const key = `mcp_servers.${tomlKey(s.name)}`;
    if (s.transport === 'stdio') {
      out.push([`${key}.command`, s.command], [`${key}.args`, s.args]);
      if (Object.keys(s.env).length) out.push([`${key}.env`, s.env]);
      // codex gives a server 10 s to start; a first `npx -y`/`uvx` download takes longer
      out.push([`${key}.startup_timeout_sec`, CODEX_STDIO_STARTUP_S]);
    } else {
      out.push([`${key}.url`, s.url]);
      if (Object.keys(s.headers).length) out.push([`${key}.http_headers`, s.headers]);
      if (s.bearerTokenEnv) out.push([`${key}.bearer_token_env_var`, s.bearerTokenEnv]);
    }
  }
  return out;
}

/** Codex `-c key=value` overrides (values in TOML), one argv element each after its `-c`. */
export function renderCodexOverrides(servers: readonly McpServer[]): string[] {
  return codexSettings(servers).flatMap(([k, v]) => ['-c', `${k}=${tomlValue(v)}`]);
}

/** The same settings as a `config.toml` (`[mcp_servers.<name>]` tables): for checks with `codex mcp list`. */
export function renderCodexToml(servers: readonly McpServer[]): string {
  const lines: string[] = [];
  for (const s of servers) {
    const table = `mcp_servers.${tomlKey(s.name)}`;
    lines.push(`[${table}]`);
    for (const [k, v] of codexSettings([s])) lines.push(`${k.slice(table.length + 1)} = ${tomlValue(v)}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Renders `servers` in `format`. */
export function renderMcp(format: McpFormat, servers: readonly McpServer[]): RenderedMcp {
  switch (format) {
    case 'claude-json':
      return { kind: 'file', content: renderClaude(servers) };
    case 'gemini-settings':
      return { kind: 'file', content: renderGeminiSettings(servers) };
    case 'qwen-settings':
      return { kind: 'file', content: renderQwenSettings(servers) };
    case 'opencode-json':
      return { kind: 'file', content: renderOpencode(servers) };
    case 'codex-overrides':
      return { kind: 'overrides', overrides: renderCodexOverrides(servers) };
  }
}
