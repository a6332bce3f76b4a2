/**
 * Prepared agent homes: per preset, the files each agent CLI reads at start (onboarding, folder
 * trust, API-key approval) written into a scratch HOME per attempt (or a given directory), so the
 * agent starts straight into its input box. See docs/agents.md "Prepared homes" and VERIFIED.md.
 */
export { AgentHomes, type HomeOwner, type PreparedHome } from './home-writer.js';
export { UnreadableHomeFile, claudeKeySuffix, codexTrustTable, homeEdits, type HomeContext, type HomeEdit } from './formats.js';
