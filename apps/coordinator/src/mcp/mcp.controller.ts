import { Controller, Delete, Get, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, RequireScope, TaskTokenMay } from '../security/access.js';
import { McpService, jsonRpcError } from './mcp.service.js';

const STATELESS = 'Method not allowed: this MCP server is stateless (streamable HTTP without sessions); send JSON-RPC requests with POST /mcp';

/**
 * `/mcp`: Shoal as an MCP server (docs/mcp.md). POST needs a token: any API token (each tool then
 * needs the scope of the endpoint it calls) or an agent's task token (its own run and cache
 * namespaces). GET and DELETE (SSE stream, session end) answer 405, as the SDK's stateless
 * examples do.
 */
@Controller('mcp')
export class McpController {
  constructor(private readonly mcp: McpService) {}

  @Post()
  @RequireScope('read')
  @TaskTokenMay('entry')
  handle(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.mcp.handle(req, reply);
  }

  @Get()
  @Public()
  stream(@Res() reply: FastifyReply): void {
    void reply.status(405).header('allow', 'POST').send(jsonRpcError(-32000, STATELESS));
  }

  @Delete()
  @Public()
  endSession(@Res() reply: FastifyReply): void {
    void reply.status(405).header('allow', 'POST').send(jsonRpcError(-32000, STATELESS));
  }
}
