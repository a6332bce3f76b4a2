import { HarnessError } from './errors.js';
import { spawnProcess, type SpawnedProcess } from './spawn-process.js';

const CLIENT_LINE = /Listening for client connections on (\S+):(\d+)/;
const MONITOR_LINE = /Starting http monitor on (\S+):(\d+)/;
const ROUTE_LINE = /Listening for route connections on (\S+):(\d+)/;
const READY_LINE = /Server is ready/;

/** Ports a started nats-server reported in its log. */
export interface NatsListenInfo {
  port: number;
  monitorPort: number | undefined;
  routePort: number | undefined;
}

/**
 * One local nats-server process that can be crashed and restarted on the same ports.
 * `buildArgs(previous)` returns the argv tail; `previous` holds the ports of the last run
 * (undefined on the first start) so a restart can reuse them.
 */
export class LocalNatsProcess {
  private proc: SpawnedProcess | undefined;
  private info: NatsListenInfo | undefined;
  private readonly history: string[] = [];

  constructor(
    private readonly bin: string,
    private readonly name: string,
    private readonly buildArgs: (previous: NatsListenInfo | undefined) => string[],
    private readonly startTimeoutMs: number,
  ) {}

  get pid(): number | undefined {
    return this.proc && this.proc.exitStatus() === undefined ? this.proc.pid : undefined;
  }

  get listen(): NatsListenInfo {
    if (!this.info) throw new HarnessError('START_FAILED', `${this.name} has not started`);
    return this.info;
  }

  /** Starts the server (with `buildArgs(previous ports)`) and waits for "Server is ready". */
  async start(): Promise<NatsListenInfo> {
    if (this.pid !== undefined) return this.listen;
    const argv = [this.bin, ...this.buildArgs(this.info)];
    const proc = spawnProcess(argv, { name: this.name });
    this.proc = proc;
    try {
      const client = await proc.waitForLine(CLIENT_LINE, this.startTimeoutMs, 'stderr');
      await proc.waitForLine(READY_LINE, this.startTimeoutMs, 'stderr');
      const monitor = proc.stderr.map((l) => l.match(MONITOR_LINE)).find(Boolean);
      const route = proc.stderr.map((l) => l.match(ROUTE_LINE)).find(Boolean);
      this.info = {
        port: Number(client[2]),
        monitorPort: monitor ? Number(monitor[2]) : undefined,
        routePort: route ? Number(route[2]) : undefined,
      };
      return this.info;
    } catch (err) {
      await this.stop('SIGKILL', 5000);
      throw new HarnessError(
        'START_FAILED',
        `${this.name} did not become ready (${argv.join(' ')}): ${(err as Error).message}`,
        { cause: err, retryable: true },
      );
    }
  }

  /** Sends `signal` and waits for exit (SIGKILL after `timeoutMs`). No-op if not running. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    await proc.stop(signal, timeoutMs);
    this.history.push(...proc.stdout, ...proc.stderr);
    this.proc = undefined;
  }

  /** Log lines of previous runs and the current one. */
  logs(): string {
    const current = this.proc ? [...this.proc.stdout, ...this.proc.stderr] : [];
    return [...this.history, ...current].join('\n');
  }
}
