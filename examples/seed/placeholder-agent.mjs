#!/usr/bin/env node
// A stand-in for an agent CLI in the seed's PM and Dev windows, for hosts where no agent CLI
// (claude, codex, gemini, ...) is installed: an interactive prompt that reads one line at a time
// and says what it got, so `shoal send`, `shoal capture`, check-ins and `shoal status --needs-me`
// can be tried without an API key. Replace the command in shoal.yaml with `agent: claude` (etc.)
// to run a real agent.
//   node examples/seed/placeholder-agent.mjs <role>
import { createInterface } from 'node:readline';

const role = process.argv[2] ?? 'Agent';
console.log(`${role}: placeholder agent (no agent CLI). Type a line; "exit" ends it.`);
const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
rl.prompt();
rl.on('line', (line) => {
  const text = line.trim();
  if (text === 'exit') return rl.close();
  if (text) console.log(`${role}: noted "${text}"`);
  rl.prompt();
});
rl.on('close', () => process.exit(0));
for (const signal of ['SIGTERM']) process.on(signal, () => process.exit(0));
