export { AttemptRecord, AttemptRecords, decodeRecord, encodeRecord, recordFileName, recordOf, type RecordableAttempt } from './attempt-record.js';
export { type FoundPane, type ReadoptDecision, planReadoption } from './plan.js';
export { type ReadoptDeps, type ReadoptSummary, budgetOf, readoptAttempts } from './readopt.js';
