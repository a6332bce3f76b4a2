import type { FastifyBodyParser, FastifyInstance } from 'fastify';

/** JSON bodies larger than this reach the handler as text (a plan: parsed on the intake's worker threads). */
export const LARGE_JSON_BYTES = 64 * 1024;

/**
 * The coordinator's JSON body parser (give it to `app.useBodyParser('application/json', …)`):
 * small bodies are parsed as by Fastify's own parser (same `__proto__` and `constructor` refusal),
 * larger ones are handed over as the raw string. `JSON.parse` of a 1 MB plan blocks the event loop
 * ~50 ms and copying the parsed object to a worker as long again; plan endpoints read text (YAML
 * or JSON) anyway, any other endpoint refuses a string body.
 */
export function jsonBodyParser(fastify: FastifyInstance): FastifyBodyParser<Buffer> {
  const parseSmall = fastify.getDefaultJsonParser('error', 'error');
  return (req, body, done) => {
    if (body.length > LARGE_JSON_BYTES) {
      done(null, body.toString('utf8'));
      return;
    }
    parseSmall(req, body.toString('utf8'), done);
  };
}
