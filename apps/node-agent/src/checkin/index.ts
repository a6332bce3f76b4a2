/** Check-ins: the team's prompt sent to idle interactive agents on an interval, replies captured. */
export { CheckinLoop, isIdle, type CheckinLoopOptions, type CheckinReport } from './checkin-loop.js';
export { paneDead, replyAfter, typeLine, withPaneInput, type PaneTmux } from './pane-input.js';
export { TaskCheckins, paneControl, type PaneControlResult, type RunningTask, type TaskCheckinsDeps } from './task-checkins.js';
