import { ValidationError, zodIssues } from '@shoal/protocol';
import type { z } from 'zod';

/**
 * Decodes a JSON request body with its protocol schema; throws a ValidationError listing every
 * problem by field path. An empty body counts as `{}` (all fields optional ones then apply).
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {}, { reportInput: true });
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error));
  return parsed.data;
}

/** Decodes a request header with its protocol schema; a ValidationError names the header and the rule. */
export function parseHeader<S extends z.ZodType>(name: string, schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: `${name} header`, message: i.message })));
  return parsed.data;
}
