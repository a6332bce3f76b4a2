/**
 * Key formats shared by coordinator, node-agent and tools: the one home of each. Ids are `Id`s
 * (lower-case letters, digits and `-`; see `ID_PATTERN`), so neither `/` nor `.` occurs inside one part.
 */

/** One task of one run, across its attempts: `<run>/<task>`. */
export function taskKey(runId: string, taskId: string): string {
  return `${runId}/${taskId}`;
}

/** One phase of one run: `<run>/<phase>`. */
export function phaseKey(runId: string, phaseId: string): string {
  return `${runId}/${phaseId}`;
}

/** One batch of one run: `<run>/<batch>`. */
export function batchKey(runId: string, batch: string): string {
  return `${runId}/${batch}`;
}

/** One attempt of one task of one run: `<run>.<task>.<attempt>` (the work message's JetStream msg id, the queue key). */
export function attemptKey(runId: string, taskId: string, attempt: number): string {
  return `${runId}.${taskId}.${attempt}`;
}
