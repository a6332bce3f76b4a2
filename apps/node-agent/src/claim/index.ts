export { AttemptClaims, CLAIM_KEEP_MS, claimKey } from './attempt-claims.js';
export { type IntervalTimers, type WorkingMsg, keepWorking } from './in-progress.js';
export { DurableAttempts, type DurableAttemptsDeps, finishedRef } from './durable-attempts.js';
