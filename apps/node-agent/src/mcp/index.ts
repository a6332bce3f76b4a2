/**
 * MCP servers for agents: the plan's servers plus Shoal's own, written per attempt in the form the
 * agent CLI reads (pure renderers in formats.ts, the preset's delivery in launch.ts, files in
 * mcp-config-writer.ts). See docs/agents.md "MCP servers for agents".
 */
export { McpConfigWriter, type McpOwner, type McpPrepared } from './mcp-config-writer.js';
export { attemptMcpServers, commandWithMcp, mcpLaunch, type McpFile, type McpLaunch } from './launch.js';
export { CODEX_STDIO_STARTUP_S, codexSettings, renderClaude, renderCodexOverrides, renderCodexToml, renderGeminiSettings, renderMcp, renderOpencode, renderQwenSettings, type RenderedMcp } from './formats.js';
export { tomlKey, tomlString, tomlValue, type TomlValue } from './toml.js';
