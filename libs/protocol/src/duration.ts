import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(\d+)(ms|s|m|h)$/;

/** Parses `250ms`, `30s`, `15m`, `2h` (or a number of seconds) into milliseconds; undefined if malformed. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : undefined;
  const m = DURATION.exec(value.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms > 0 ? ms : undefined;
}

/** A duration field: seconds as a number, or a string like `30s`, `15m`, `2h`; decoded to milliseconds. */
export function durationMs(opts: { min: number; max: number }) {
  return z.union([z.number(), z.string()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a positive duration such as 30 (seconds), "90s", "15m" or "2h"' });
      return z.NEVER;
    }
    if (ms < opts.min || ms > opts.max) {
      ctx.addIssue({ code: 'custom', message: `must be between ${fmt(opts.min)} and ${fmt(opts.max)}` });
      return z.NEVER;
    }
    return ms;
  });
}

function fmt(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
