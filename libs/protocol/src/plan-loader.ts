import { parseDocument } from 'yaml';
import { z } from 'zod';
import { type FieldIssue, ValidationError } from './errors.js';
import { DEFAULT_PLAN_LIMITS, type Plan, type PlanLimits, planSchema } from './plan.js';

/** Largest plan file accepted, in bytes. */
export const MAX_PLAN_BYTES = 1024 * 1024;
/** Most problems listed for one input; the rest are counted in a last "and N more" issue. */
export const MAX_ISSUES = 50;
/** Longest message of one listed problem (longer ones are cut with an ellipsis). */
const MAX_ISSUE_MESSAGE = 500;
const MAX_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Result of decoding without throwing. */
export type Result<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

/**
 * Parses plan text (YAML or JSON; JSON is YAML) and checks its structure.
 * Rejects duplicate keys, `__proto__`-like keys, deep nesting, oversized input and unknown fields,
 * listing the problems with their field paths (at most {@link MAX_ISSUES}, then how many more).
 * Cost is bounded: size first, then a JSON fast path (a JSON document is read by `JSON.parse` plus
 * a linear duplicate-key scan, ~20x faster than the YAML parser), then the count limits, and only
 * then the schema.
 */
export function parsePlanText(text: string, limits: PlanLimits = DEFAULT_PLAN_LIMITS): Result<Plan> {
  if (Buffer.byteLength(text, 'utf8') > MAX_PLAN_BYTES) {
    return { ok: false, issues: [{ path: '', message: `plan is larger than ${MAX_PLAN_BYTES} bytes` }] };
  }
  if (flowDepth(text) > 2 * MAX_DEPTH) {
    return { ok: false, issues: [{ path: '', message: `nested deeper than ${MAX_DEPTH} levels` }] };
  }
  const json = readJson(text);
  if (json) return json.ok ? validatePlanObject(json.value, limits) : json;
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: capIssues(doc.errors.map((e) => ({ path: '', message: `not valid YAML or JSON: ${e.message.split('\n')[0]}` }))),
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

/**
 * Checks an already-parsed value against the plan schema: forbidden keys and depth first, then
 * the phase and task counts (a plan over a limit is refused before the schema walks its tasks),
 * then the schema. At most {@link MAX_ISSUES} problems are listed.
 */
export function validatePlanObject(data: unknown, limits: PlanLimits = DEFAULT_PLAN_LIMITS): Result<Plan> {
  const shapeIssues = checkShape(data);
  if (shapeIssues.length) return { ok: false, issues: shapeIssues };
  const over = overLimits(data as Record<string, unknown>, limits);
  if (over) return { ok: false, issues: [over] };
  const parsed = planSchema(limits).safeParse(data, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  return { ok: true, value: parsed.data };
}

/**
 * Caps a list of problems: the first {@link MAX_ISSUES} (each message cut to 500 characters),
 * then one issue saying how many more there were.
 */
export function capIssues(issues: FieldIssue[], max = MAX_ISSUES): FieldIssue[] {
  const cut = (i: FieldIssue): FieldIssue => (i.message.length > MAX_ISSUE_MESSAGE ? { path: i.path, message: `${i.message.slice(0, MAX_ISSUE_MESSAGE)}…` } : i);
  if (issues.length <= max) return issues.some((i) => i.message.length > MAX_ISSUE_MESSAGE) ? issues.map(cut) : issues;
  return [...issues.slice(0, max).map(cut), moreIssue(issues.length - max, max)];
}

function moreIssue(more: number, max: number): FieldIssue {
  return { path: '', message: `and ${more} more problem(s): only the first ${max} are listed` };
}

/** Like parsePlanText but throws a ValidationError. */
export function loadPlan(text: string, limits?: PlanLimits): Plan {
  const r = parsePlanText(text, limits);
  if (!r.ok) throw new ValidationError(r.issues);
  return r.value;
}

/**
 * Converts zod issues into field issues with dotted paths (`phases[0].tasks[1].command`), at most
 * `max` of them plus an "and N more" issue (see {@link capIssues}).
 */
export function zodIssues(error: z.ZodError, max = MAX_ISSUES): FieldIssue[] {
  const listed = error.issues.slice(0, max).map((issue): FieldIssue => {
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
  const out = capIssues(listed, max);
  const more = error.issues.length - listed.length;
  if (more > 0) out.push(moreIssue(more, max));
  return out;
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

/** The first count limit the plan breaks (phases, then tasks in all), read from the raw arrays. */
function overLimits(data: Record<string, unknown>, limits: PlanLimits): FieldIssue | undefined {
  const phases = data.phases;
  if (!Array.isArray(phases)) return undefined;
  if (phases.length > limits.maxPhases) return { path: 'phases', message: `at most ${limits.maxPhases} phases` };
  let tasks = 0;
  for (const p of phases) {
    const t = p !== null && typeof p === 'object' ? (p as Record<string, unknown>).tasks : undefined;
    if (Array.isArray(t)) tasks += t.length;
  }
  return tasks > limits.maxTasks ? { path: 'phases', message: `at most ${limits.maxTasks} tasks in all` } : undefined;
}

/** Forbidden keys and nesting depth, walked without recursion; stops after {@link MAX_ISSUES} + 1 problems. */
function checkShape(data: unknown): FieldIssue[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return [{ path: '', message: 'a plan must be a mapping (object) with name, teams and phases' }];
  }
  const issues: FieldIssue[] = [];
  type Frame = { v: unknown; parent: Frame | undefined; key: PropertyKey; depth: number };
  const pathOf = (f: Frame): PropertyKey[] => {
    const out: PropertyKey[] = [];
    for (let x: Frame | undefined = f; x?.parent; x = x.parent) out.push(x.key);
    return out.reverse();
  };
  const stack: Frame[] = [{ v: data, parent: undefined, key: '', depth: 0 }];
  while (stack.length && issues.length <= MAX_ISSUES) {
    const f = stack.pop()!;
    if (f.depth > MAX_DEPTH) {
      issues.push({ path: formatPath(pathOf(f)), message: `nested deeper than ${MAX_DEPTH} levels` });
      continue;
    }
    const v = f.v;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) if (v[i] !== null && typeof v[i] === 'object') stack.push({ v: v[i], parent: f, key: i, depth: f.depth + 1 });
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        const child = (v as Record<string, unknown>)[k];
        if (FORBIDDEN_KEYS.has(k)) issues.push({ path: formatPath([...pathOf(f), k]), message: 'forbidden key' });
        else if (child !== null && typeof child === 'object') stack.push({ v: child, parent: f, key: k, depth: f.depth + 1 });
      }
    }
  }
  if (issues.length <= MAX_ISSUES) return issues;
  return [...issues.slice(0, MAX_ISSUES), { path: '', message: `and more problem(s): the check stopped after the first ${MAX_ISSUES}` }];
}

/**
 * Deepest nesting of `[`/`{` in the text, read in one pass before any parser sees it: parsers
 * spend seconds on (or overflow the stack with) 100,000 nested brackets. Generous (twice the depth
 * limit): in a JSON text strings are skipped; in YAML every bracket counts (a lone quote in a
 * plain scalar must not hide what follows), the exact check follows on the parsed value.
 */
function flowDepth(text: string): number {
  const json = isJsonText(text);
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    } else if (c === 0x22 && json) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    }
  }
  return max;
}

function isJsonText(text: string): boolean {
  return /^\s*\{/.test(text);
}

/**
 * A JSON document (text starting with `{`): parsed by `JSON.parse` and scanned for duplicate keys
 * (which JSON.parse would silently collapse, and the YAML parser refuses). Undefined when the text
 * is not JSON: the YAML parser then reads it (and words any syntax error).
 */
function readJson(text: string): Result<unknown> | undefined {
  if (!isJsonText(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const dup = duplicateKey(text);
  return dup ? { ok: false, issues: [{ path: dup.path, message: `not valid YAML or JSON: duplicate key "${dup.key}"` }] } : { ok: true, value };
}

/**
 * The first key that appears twice in one object of a JSON text already known to be valid
 * (one linear pass; escapes in keys are decoded before comparing).
 */
export function duplicateKey(text: string, from = 0): { key: string; path: string } | undefined {
  type Frame = { keys?: Set<string>; key: PropertyKey; expectKey: boolean };
  const stack: Frame[] = [];
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        j = text.indexOf('"', j);
        let bs = 0;
        for (let k = j - 1; text.charCodeAt(k) === 0x5c; k--) bs++;
        if (bs % 2 === 1) {
          escaped = true;
          j++;
          continue;
        }
        break;
      }
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, j);
        const key = escaped || raw.includes('\\') ? (JSON.parse(text.slice(i, j + 1)) as string) : raw;
        if (top.keys.has(key)) return { key, path: formatPath([...stack.slice(0, -1).map((f) => f.key), key]) };
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      stack.push({ keys: new Set(), key: '', expectKey: true });
    } else if (c === 0x5b /* [ */) {
      stack.push({ key: 0, expectKey: false });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1]!;
      if (top.keys) top.expectKey = true;
      else top.key = (top.key as number) + 1;
    }
  }
  return undefined;
}
