// A bare tmux control-mode client (`tmux -L <socket> -C attach`): the B3t baseline and the
// windows/s ceiling. Commands are written as lines; replies are the %begin/%end blocks of this client.
import { execFileSync, spawn } from 'node:child_process';
import { killTmux } from './lib.mjs';

/** Quotes one argument for the tmux command parser (single quotes; our args hold none). */
const q = (a) => `'${String(a).replaceAll("'", "'\\''")}'`;

/** Starts a tmux server on `socket` with session `base` and attaches a control client to it. */
export async function controlClient(socket) {
  execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'base', '-x', '200', '-y', '50', 'cat'], { stdio: 'ignore' });
  const env = { ...process.env };
  delete env.TMUX;
  const child = spawn('tmux', ['-L', socket, '-C', 'attach', '-t', 'base'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const pending = [];
  const notifyListeners = new Set();
  let block;
  let buf = '';
  child.stdout.on('data', (chunk) => {
    buf += chunk.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (block) {
        if (/^%(end|error) \d+ \d+ \d+$/.test(line)) {
          const done = block;
          block = undefined;
          if (done.mine) {
            const p = pending.shift();
            if (line.startsWith('%error')) p?.reject(new Error(`tmux: ${done.lines.join(' ')}`));
            else p?.resolve(done.lines);
          }
        } else block.lines.push(line);
      } else if (line.startsWith('%begin ')) {
        block = { mine: line.endsWith(' 1'), lines: [] };
      } else if (line.startsWith('%')) {
        for (const l of notifyListeners) l(line);
      }
    }
  });
  const exited = new Promise((r) => child.on('exit', r));
  const run = (cmd, args = []) =>
    new Promise((resolve, reject) => {
      pending.push({ resolve, reject });
      child.stdin.write(`${[cmd, ...args.map(q)].join(' ')}\n`);
    });
  await run('set-option', ['-g', 'remain-on-exit', 'off']);
  return {
    run,
    /** Writes many commands at once without waiting; resolves when all replied. */
    runMany(cmds) {
      const ps = [];
      let text = '';
      for (const [cmd, args = []] of cmds) {
        ps.push(new Promise((resolve, reject) => pending.push({ resolve, reject })));
        text += `${[cmd, ...args.map(q)].join(' ')}\n`;
      }
      child.stdin.write(text);
      return Promise.all(ps);
    },
    /** Writes commands as one command list (`a ; b`): tmux runs them back to back. Resolves when all replied. */
    runList(cmds) {
      const ps = cmds.map(() => new Promise((resolve, reject) => pending.push({ resolve, reject })));
      child.stdin.write(`${cmds.map(([cmd, args = []]) => [cmd, ...args.map(q)].join(' ')).join(' ; ')}\n`);
      return Promise.all(ps);
    },
    /** Resolves at the next notification matching `re` (or after `timeoutMs`, with undefined). */
    nextNotification(re, timeoutMs = 1000) {
      return new Promise((resolve) => {
        const t = setTimeout(() => {
          notifyListeners.delete(l);
          resolve(undefined);
        }, timeoutMs);
        const l = (line) => {
          if (re.test(line)) {
            clearTimeout(t);
            notifyListeners.delete(l);
            resolve(line);
          }
        };
        notifyListeners.add(l);
      });
    },
    async close() {
      killTmux(socket);
      child.kill('SIGKILL');
      await exited;
    },
  };
}
