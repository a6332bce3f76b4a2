import { Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createShoalMcpServer } from '@shoal/runtime';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { injectPort, parseJson } from './inject-port.js';

/**
 * Shoal's MCP server over streamable HTTP, stateless: each `POST /mcp` gets a new server and
 * transport (no session id, JSON answers rather than an SSE stream), whose tools call this
 * coordinator's API in-process with the request's own bearer token.
 */
@Injectable()
export class McpService {
  private readonly log = new Logger('mcp');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** Answers one MCP request (takes the reply over from Fastify). */
  async handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const server = createShoalMcpServer(injectPort(fastify, req.headers.authorization));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      // a JSON body over 64 KiB reaches handlers as text (plan-intake/json-body.ts)
      await transport.handleRequest(req.raw, reply.raw, typeof req.body === 'string' ? parseJson(req.body) : req.body);
    } catch (e) {
      this.log.error(`MCP request failed: ${(e as Error).stack ?? String(e)}`);
      if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(jsonRpcError(-32603, 'internal error')));
    }
  }
}

/** A JSON-RPC error answer without an id (the MCP SDK's examples answer so outside a request). */
export function jsonRpcError(code: number, message: string): { jsonrpc: '2.0'; error: { code: number; message: string }; id: null } {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}
