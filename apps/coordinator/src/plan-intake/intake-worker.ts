// Worker-thread entry of the plan intake pool: checks one plan per message (see intake-job.ts).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { PlanLimits } from '@shoal/protocol';
import { type IntakeInput, checkPlan } from './intake-job.js';

/** A request to the worker. */
export interface IntakeRequest {
  input: IntakeInput;
  limits: PlanLimits;
}

/** Nice value of intake threads: the event loop (heartbeats, status, API) preempts plan checking. */
const INTAKE_NICE = 10;

// Linux: /proc/thread-self names this thread's id, and setpriority on a thread id renices only
// that thread. Elsewhere (or without /proc) the worker keeps the process's priority.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) setPriority(tid, INTAKE_NICE);
} catch {
  /* best effort */
}

parentPort?.on('message', (req: IntakeRequest) => {
  parentPort!.postMessage(checkPlan(req.input, req.limits));
});
