import { z } from 'zod';

/** Environment variables a plan may never set: they change how every program loads. */
export const FORBIDDEN_ENV = ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'BASH_ENV', 'ENV', 'NODE_OPTIONS', 'PYTHONSTARTUP', 'PROMPT_COMMAND'];

/** NUL, newline and other control characters (tab allowed): refused in arguments and paths. */
export const CONTROL_CHARS = /[\u0000-\u0008\u000a-\u001f\u007f]/;
/** Longest argument (or env value) a plan may give. */
export const MAX_ARG_LENGTH = 8192;

/** One argument of an argv array: bounded, no control characters. */
export const Arg = z
  .string()
  .max(MAX_ARG_LENGTH, `must be at most ${MAX_ARG_LENGTH} characters`)
  .refine((s) => !CONTROL_CHARS.test(s), 'must not contain NUL, newline or other control characters');

/** Environment variables of a task (or of an MCP server it declares). */
export const Env = z
  .record(
    z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'env names must match ^[A-Z_][A-Z0-9_]*$')
      .refine((k) => !FORBIDDEN_ENV.includes(k), `must not be one of ${FORBIDDEN_ENV.join(', ')}`),
    z.string().max(MAX_ARG_LENGTH).refine((s) => !s.includes('\u0000'), 'must not contain NUL'),
  )
  .refine((env) => Object.keys(env).length <= 100, 'at most 100 variables');
