import { type ShoalHttpPort, encodePortBody } from '@shoal/runtime';
import type { FastifyInstance } from 'fastify';

/**
 * The MCP tools' way into the coordinator's own API: Fastify's in-process `inject()` (no socket),
 * with the caller's `Authorization` header, so each tool call passes the same hooks, guard,
 * validation and error filter as an HTTP request would (a standby still forwards writes).
 */
export function injectPort(fastify: FastifyInstance, authorization: string | undefined): ShoalHttpPort {
  return {
    request: async (method, path, body) => {
      const { headers, payload } = encodePortBody(body);
      if (authorization) headers.authorization = authorization;
      const res = await fastify.inject({ method, url: path, headers, ...(payload === undefined ? {} : { payload }) });
      return { status: res.statusCode, body: parseJson(res.body) };
    },
  };
}

/** The body as JSON, or the text itself when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
