/** Batches in one session: members of one batch run one after another in one window (one agent process when interactive). */
export { BatchSessions, type BatchSessionsDeps } from './batch-sessions.js';
export { BatchJournal } from './batch-journal.js';
export { BatchSession, type BatchSessionDeps, type PendingMember } from './batch-session.js';
export { BatchMember, QueuedMember } from './batch-member.js';
export { BatchQueue, type BatchQueueState } from './batch-queue.js';
export { TurnTracker, type TurnLook, type TurnTrackerOptions } from './turn-tracker.js';
