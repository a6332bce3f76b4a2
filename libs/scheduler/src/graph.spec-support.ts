import type { FieldIssue, Result } from '@shoal/protocol';
import type { CompiledPlan } from './graph.js';

/** The issues of a plan compilePlan refused; throws when it compiled. */
export function issuesOf(r: Result<CompiledPlan>): FieldIssue[] {
  if (r.ok) throw new Error('expected compilePlan to refuse the plan');
  return r.issues;
}

/** The compiled plan; throws with the issues when it was refused. */
export function compiled(r: Result<CompiledPlan>): CompiledPlan {
  if (!r.ok) throw new Error(`expected the plan to compile: ${JSON.stringify(r.issues)}`);
  return r.value;
}
