import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
/**
 * The agent CLIs that `npm run agents:capture` runs, pinned: the one home of their tested versions.
 * Bump a version here, re-capture, and the detector tests say whether the presets still read it.
 */
export const AGENT_CLIS = {
  claude: { pkg: '@anthropic-ai/claude-code', version: '2.1.332', bin: 'claude', postinstall: 'install.cjs' },
  codex: { pkg: '@openai/codex', version: '0.169.0', bin: 'codex' },
  gemini: { pkg: '@google/gemini-cli', version: '0.61.0', bin: 'gemini' },
  qwen: { pkg: '@qwen-code/qwen-code', version: '0.24.4', bin: 'qwen' },
  opencode: { pkg: 'opencode-ai', version: '1.18.33', bin: 'opencode', postinstall: 'postinstall.mjs' },
};

/** Where installed agent CLIs are looked for, in order: $SHOAL_AGENT_CLIS, ~/.cache/shoal/agent-clis, /root/agent-clis. */
export const AGENT_CLI_ROOTS = [process.env.SHOAL_AGENT_CLIS, join(homedir(), '.cache/shoal/agent-clis'), '/root/agent-clis'].filter(Boolean);

/** The pinned version of CLI `name` where it is installed ({binDir, bin, version}), or undefined. */
export function findInstalledCli(name) {
  const { bin, pkg, version } = AGENT_CLIS[name];
  for (const d of AGENT_CLI_ROOTS) {
    const pj = join(d, name, 'node_modules', pkg, 'package.json');
    if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).version === version) return { binDir: join(d, name, 'node_modules', '.bin'), bin, version };
  }
  return undefined;
}
