import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ShoalError, ValidationError } from '@shoal/protocol';
import type { FastifyReply } from 'fastify';

const STATUS: Record<string, number> = {
  E_VALIDATION: 400,
  E_DECODE: 400,
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
  E_TRANSPORT: 503,
  E_TIMEOUT: 504,
  E_EXECUTION: 500,
  E_DEPENDENCY: 500,
  E_UNAUTHENTICATED: 401,
  E_FORBIDDEN: 403,
  E_NOT_LEADER: 503,
};

/** Maps Shoal errors to HTTP: `{ error: code, message, issues? }` with a fitting status. */
@Catch()
export class ShoalExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('http');

  catch(e: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (e instanceof ShoalError) {
      const body: Record<string, unknown> = { error: e.code, message: e.message, retryable: e.retryable };
      if (e instanceof ValidationError) body.issues = e.issues;
      if (e.code === 'E_UNAUTHENTICATED') void reply.header('www-authenticate', 'Bearer realm="shoal"');
      // the bus or its state store is unavailable (e.g. JetStream without quorum): say when to try again
      if (e.code === 'E_TRANSPORT') void reply.header('retry-after', '5');
      void reply.status(STATUS[e.code] ?? 500).send(body);
      return;
    }
    if (e instanceof HttpException) {
      void reply.status(e.getStatus()).send({ error: 'E_HTTP', message: e.message });
      return;
    }
    const err = e as { statusCode?: number; message?: string };
    if (typeof err?.statusCode === 'number' && err.statusCode < 500) {
      void reply.status(err.statusCode).send({ error: 'E_HTTP', message: err.message });
      return;
    }
    this.log.error((e as Error)?.stack ?? String(e));
    void reply.status(500).send({ error: 'E_INTERNAL', message: 'internal error' });
  }
}
