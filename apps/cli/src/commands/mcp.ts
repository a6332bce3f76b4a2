import type { Readable, Writable } from 'node:stream';
import type { ShoalHttpPort } from '@shoal/runtime';
import { type Connection, type ConnectionFlags, resolveConnection } from '../api-client.js';
import { httpFetch } from '../http.js';
import type { RegisterCommand } from './task-api.js';

/**
 * Registers `shoal mcp`: Shoal's MCP tools (libs/runtime createShoalMcpServer) over stdio, for an
 * MCP client that starts it (Claude Code, Codex, ...). Every tool is one request of the API at
 * SHOAL_API with SHOAL_TOKEN (the usual `--api`/`--token`/`--tls-ca` resolution). Inside an agent
 * of Shoal, without those, it uses the agent's own SHOAL_CACHE_URL and SHOAL_CACHE_TOKEN. Only MCP
 * frames go to stdout; problems go to stderr. Ends when stdin ends.
 */
export const registerMcpCommand: RegisterCommand = (program, { act, output }) => {
  program
    .command('mcp')
    .description("serve Shoal's MCP tools on stdin/stdout (for Claude Code, Codex or any MCP client): plans, runs, agents' screens, the shared cache")
    .action(
      act(async () => {
        output.refuseJson('mcp', 'speaks MCP (JSON-RPC frames) on stdout already; drop --json');
        await serveMcpOverStdio(httpPort(mcpConnection(program.opts<ConnectionFlags>())), process.stdin, process.stdout);
        return 0;
      }),
    );
};

/**
 * The connection of `shoal mcp`: as every command's, except that an agent's environment fills
 * what is missing: the coordinator from SHOAL_CACHE_URL (its `/cache` stripped) when neither
 * `--api` nor SHOAL_API is set, and its task token SHOAL_CACHE_TOKEN when no token is found.
 */
export function mcpConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const agentApi = !flags.api && !env.SHOAL_API && env.SHOAL_CACHE_URL ? env.SHOAL_CACHE_URL.replace(/\/cache\/?$/, '') : undefined;
  const conn = resolveConnection({ ...flags, ...(agentApi ? { api: agentApi } : {}) }, env);
  if (!conn.token && env.SHOAL_CACHE_TOKEN) return { ...conn, token: env.SHOAL_CACHE_TOKEN, tokenSource: 'SHOAL_CACHE_TOKEN' };
  return conn;
}

/** The tools' way to the API over HTTP(S) (node:http, so a private CA works), with the connection's token. */
export function httpPort(conn: Connection): ShoalHttpPort {
  return {
    request: async (method, path, body) => {
      const { encodePortBody } = await import('@shoal/runtime'); // loaded with the SDK, not at CLI start
      const { headers, payload } = encodePortBody(body);
      if (conn.token) headers.authorization = `Bearer ${conn.token}`;
      let text: string;
      let status: number;
      try {
        const res = await httpFetch(`${conn.base}${path}`, { method, headers, ca: conn.ca, ...(payload === undefined ? {} : { body: payload }) });
        [status, text] = [res.status, await res.text()];
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new Error(`${conn.base} (${err.code ?? err.message})`);
      }
      try {
        return { status, body: JSON.parse(text) as unknown };
      } catch {
        return { status, body: text };
      }
    },
  };
}

/** Serves the MCP tools on `stdin`/`stdout` until `stdin` ends (the SDK is loaded here: other commands start without it). */
export async function serveMcpOverStdio(port: ShoalHttpPort, stdin: Readable, stdout: Writable): Promise<void> {
  const [{ StdioServerTransport }, { createShoalMcpServer }] = await Promise.all([import('@modelcontextprotocol/sdk/server/stdio.js'), import('@shoal/runtime')]);
  const server = createShoalMcpServer(port);
  const ended = new Promise<void>((resolve) => {
    stdin.once('end', resolve);
    stdin.once('close', resolve);
  });
  await server.connect(new StdioServerTransport(stdin, stdout));
  await ended;
  await server.close();
}
