import { spawn } from 'node:child_process';
import { DependencyError, ExecutionError, TimeoutError } from '@shoal/protocol';
import type { ScaleActuator, ScaleRequest, ScaleResult } from './actuator.js';

/** Output kept of the command (stdout and stderr together), for the log and `GET /scaling`. */
const TAIL_CHARS = 2000;

/**
 * Runs an operator's program with the desired node count, for plain hosts (a cloud CLI, an
 * Ansible play, a script that powers machines on and off). The argv is used as given, never through
 * a shell; `{desired}` and `{current}` in it are replaced, and the environment carries
 * `SHOAL_DESIRED_NODES`, `SHOAL_CURRENT_NODES` and `SHOAL_SCALE_DIRECTION`. Exit 0 is success;
 * the command is killed (its process group) after the timeout.
 */
export class CommandScaler implements ScaleActuator {
  readonly kind = 'command' as const;

  constructor(
    private readonly argv: readonly string[],
    private readonly timeoutMs: number,
  ) {}

  apply(req: ScaleRequest): Promise<ScaleResult> {
    const fill = (a: string) => a.replaceAll('{desired}', String(req.target)).replaceAll('{current}', String(req.current));
    const [file, ...args] = this.argv.map(fill);
    const env = { ...process.env, SHOAL_DESIRED_NODES: String(req.target), SHOAL_CURRENT_NODES: String(req.current), SHOAL_SCALE_DIRECTION: req.direction };
    return new Promise((resolve, reject) => {
      let tail = '';
      const keep = (b: Buffer) => {
        tail = (tail + b.toString('utf8')).slice(-TAIL_CHARS);
      };
      const child = spawn(file!, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, this.timeoutMs);
      const shown = () => (tail.trim() ? `; output: ${tail.trim()}` : '; no output');
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new DependencyError(`could not start the scale command ${file}: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) reject(new TimeoutError(`the scale command ${file} ran longer than ${this.timeoutMs} ms and was killed${shown()}`));
        else if (code === 0) resolve({ outcome: 'applied', before: req.current, detail: `${file} ${req.direction} to ${req.target}: exit 0${shown()}` });
        else reject(new ExecutionError(`the scale command ${file} failed (${signal ? `signal ${signal}` : `exit ${code}`})${shown()}`, true));
      });
    });
  }
}
