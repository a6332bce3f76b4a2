import { parseDocument } from 'yaml';
import { z } from 'zod';
import { type FieldIssue, ValidationError } from './errors.js';
import { DEFAULT_PLAN_LIMITS, type Plan, type PlanLimits, planSchema } from './plan.js';

/** Largest plan file accepted, in bytes. */
export const MAX_PLAN_BYTES = 1024 * 1024;
const MAX_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Result of decoding without throwing. */
export type Result<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

/**
 * Parses plan text (YAML or JSON; JSON is YAML) and checks its structure.
 * Rejects duplicate keys, `__proto__`-like keys, deep nesting, oversized input and unknown fields,
 * listing every problem with its field path.
 */
export function parsePlanText(text: string, limits: PlanLimits = DEFAULT_PLAN_LIMITS): Result<Plan> {
  if (Buffer.byteLength(text, 'utf8') > MAX_PLAN_BYTES) {
    return { ok: false, issues: [{ path: '', message: `plan is larger than ${MAX_PLAN_BYTES} bytes` }] };
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({ path: '', message: `not valid YAML or JSON: ${e.message.split('\n')[0]}` })),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, issues: [{ path: '', message: `not a usable plan document: ${e instanceof Error ? e.message : String(e)}` }] };
  }
  return validatePlanObject(data, limits);
}

/** Checks an already-parsed value against the plan schema. */
export function validatePlanObject(data: unknown, limits: PlanLimits = DEFAULT_PLAN_LIMITS): Result<Plan> {
  const shapeIssues = checkShape(data);
  if (shapeIssues.length) return { ok: false, issues: shapeIssues };
  const parsed = planSchema(limits).safeParse(data, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  return { ok: true, value: parsed.data };
}

/** Like parsePlanText but throws a ValidationError. */
export function loadPlan(text: string, limits?: PlanLimits): Plan {
  const r = parsePlanText(text, limits);
  if (!r.ok) throw new ValidationError(r.issues);
  return r.value;
}

/** Converts zod issues into field issues with dotted paths (`phases[0].tasks[1].command`). */
export function zodIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return { path, message: `unknown field(s): ${issue.keys.join(', ')}` };
    }
    if (issue.code === 'invalid_key') {
      const key = issue.path[issue.path.length - 1];
      return { path, message: `invalid key "${String(key)}": ${issue.issues.map((i) => i.message).join('; ')}` };
    }
    if (issue.code === 'invalid_type' && ('input' in issue ? issue.input === undefined : /received undefined$/.test(issue.message))) {
      return { path, message: `is required (${issue.expected})` };
    }
    return { path, message: issue.message };
  });
}

/** Formats a path like `phases[0].tasks[1].id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

function checkShape(data: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const walk = (v: unknown, path: PropertyKey[], depth: number): void => {
    if (depth > MAX_DEPTH) {
      issues.push({ path: formatPath(path), message: `nested deeper than ${MAX_DEPTH} levels` });
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i], depth + 1));
    else if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        if (FORBIDDEN_KEYS.has(k)) issues.push({ path: formatPath([...path, k]), message: 'forbidden key' });
        else walk((v as Record<string, unknown>)[k], [...path, k], depth + 1);
      }
    }
  };
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return [{ path: '', message: 'a plan must be a mapping (object) with name, teams and phases' }];
  }
  walk(data, [], 0);
  return issues;
}
