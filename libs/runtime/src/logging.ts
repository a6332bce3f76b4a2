import { type Span, context, isSpanContextValid, trace } from '@opentelemetry/api';
import { type DestinationStream, type Level, type Logger, pino } from 'pino';

/** Levels of `SHOAL_LOG_LEVEL` (pino's). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** `SHOAL_LOG_FORMAT`: `json` (default, one JSON object a line) or `pretty` (one readable line). */
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** `service` field of every line (`shoal-coordinator`, `shoal-node-agent`). */
  service: string;
  /** Extra fields of every line (e.g. `nodeId`). */
  base?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  /** Where lines go (default: stdout, written synchronously so nothing is lost at exit). */
  destination?: DestinationStream;
}

/**
 * The correlation fields of the active OpenTelemetry span: `trace_id` and `span_id`, and, when
 * the span is one of Shoal's (its attributes name them), `runId`, `taskId`, `attempt`. Empty
 * outside any span.
 */
export function logCorrelation(): Record<string, string | number> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return {};
  const out: Record<string, string | number> = { trace_id: sc.traceId, span_id: sc.spanId };
  // an SDK span exposes its attributes (ReadableSpan); the API interface does not promise them
  const attributes = (span as { attributes?: Record<string, unknown> }).attributes;
  if (attributes) {
    const run = attributes['shoal.run_id'];
    const task = attributes['shoal.task_id'];
    const attempt = attributes['shoal.attempt'];
    if (typeof run === 'string') out.runId = run;
    if (typeof task === 'string') out.taskId = task;
    if (typeof attempt === 'number') out.attempt = attempt;
  }
  return out;
}

/**
 * A pino logger: JSON lines (`level` as a name, ISO `time`, `service`, `msg`) carrying the
 * active trace and span ids (see {@link logCorrelation}). Level from `SHOAL_LOG_LEVEL` (default
 * info), format from `SHOAL_LOG_FORMAT`; a malformed value throws naming the variable.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const env = opts.env ?? process.env;
  const level = env.SHOAL_LOG_LEVEL || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`SHOAL_LOG_LEVEL=${level}: must be one of ${LOG_LEVELS.join(', ')}`);
  const format = env.SHOAL_LOG_FORMAT || 'json';
  if (!(LOG_FORMATS as readonly string[]).includes(format)) throw new Error(`SHOAL_LOG_FORMAT=${format}: must be one of ${LOG_FORMATS.join(', ')}`);
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level,
      base: { service: opts.service, ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: logCorrelation,
    },
    format === 'pretty' ? prettyLines(destination) : destination,
  );
}

/** Rewrites each JSON line as `time LEVEL [context] msg key=value ...`. */
function prettyLines(out: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      try {
        const { time, level, msg, context: ctx, service: _service, pid: _pid, hostname: _host, ...rest } = JSON.parse(line) as Record<string, unknown>;
        const fields = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        out.write(`${String(time)} ${String(level).toUpperCase().padEnd(5)} ${ctx ? `[${String(ctx)}] ` : ''}${String(msg ?? '')}${fields ? `  ${fields}` : ''}\n`);
      } catch {
        out.write(line);
      }
    },
  };
}

/** Nest's log levels, as its LoggerService methods name them. */
type NestMethod = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
const PINO_LEVEL: Record<NestMethod, Level> = { log: 'info', error: 'error', warn: 'warn', debug: 'debug', verbose: 'trace', fatal: 'fatal' };

/**
 * A Nest `LoggerService` (structurally: no Nest import here) writing through pino. Nest's
 * context (`new Logger('orchestrator')`) becomes the `context` field; the message text stays
 * as it was, in `msg`. A message given as an object (`{ msg, runId, taskId }`) is logged with
 * its fields; an error's stack goes to `stack`.
 */
export class PinoNestLogger {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(method: NestMethod, message: unknown, params: unknown[]): void {
    const level = PINO_LEVEL[method];
    if (!this.pino.isLevelEnabled(level)) return;
    // Nest appends the logger's context as the last string parameter; `error` may pass a stack before it
    const rest = [...params];
    const ctx = rest.length && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = ctx ? { context: ctx } : {};
    if (method === 'error' && typeof rest[0] === 'string' && rest[0].includes('\n    at ')) fields.stack = rest.shift();
    if (message instanceof Error) {
      fields.stack = message.stack;
      this.pino[level](fields, message.message);
    } else if (message !== null && typeof message === 'object') {
      const { msg, message: text, ...more } = message as Record<string, unknown>;
      this.pino[level]({ ...fields, ...more }, String(msg ?? text ?? ''));
    } else {
      this.pino[level](fields, String(message));
    }
  }
}

/** Runs `fn` with `span` active: log lines written inside (also after awaits) carry its trace id. */
export function inSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}
