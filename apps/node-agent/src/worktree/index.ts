export { AutoCommitter, type AutoCommitterEvents } from './auto-committer.js';
export { type ChangedFile, type CommitContext, MAX_LISTED_FILES, commitMessage, parseNameStatus } from './commit-message.js';
export { SHOAL_AUTHOR, git } from './git.js';
export { type AutoCommit, TaskWorktree, worktreeBranch } from './task-worktree.js';
export { type WorktreeOwner, chownTree, lockTop } from './ownership.js';
