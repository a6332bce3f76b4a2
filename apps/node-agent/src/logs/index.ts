export { LogIndex, taskLogPath } from './log-index.js';
export { DEFAULT_ROTATION, type RotationPolicy, readLogTail, rotateIfNeeded } from './log-rotation.js';
export { logSize } from './log-size.js';
export { cleanStart, readLogEnd } from './log-tail.js';
