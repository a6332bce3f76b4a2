import { type FieldIssue, type PlanLimits, capIssues, parsePlanText, validatePlanObject } from '@shoal/protocol';
import { type CompiledPlan, compilePlan } from '@shoal/scheduler';
import { stringify } from 'yaml';

/** What a submitted plan is checked from: its text (YAML or JSON), or a value already parsed from a small JSON body. */
export type IntakeInput = { text: string } | { value: unknown };

/** Outcome of checking a plan: the compiled plan and the text to store, or the (capped) problems. */
export type IntakeOutcome = { ok: true; compiled: CompiledPlan; text: string; schedule?: string } | { ok: false; issues: FieldIssue[] };

/**
 * Parses, validates and compiles a submitted plan: the CPU-heavy part of a submission, free of the
 * framework so a worker thread can run it (see {@link PlanIntake}). Never throws on bad input.
 */
export function checkPlan(input: IntakeInput, limits: PlanLimits): IntakeOutcome {
  const parsed = 'text' in input ? parsePlanText(input.text, limits) : validatePlanObject(input.value, limits);
  // the loader caps its own list (and counts the rest): capping it again would miscount
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  const compiled = compilePlan(parsed.value);
  if (!compiled.ok) return { ok: false, issues: capIssues(compiled.issues) };
  const text = 'text' in input ? input.text : stringify(input.value);
  return { ok: true, compiled: compiled.value, text, ...(parsed.value.schedule ? { schedule: parsed.value.schedule } : {}) };
}
