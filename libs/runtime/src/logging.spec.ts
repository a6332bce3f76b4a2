import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { PinoNestLogger, createLogger, inSpan } from './logging.js';

/** A logger writing into an array of parsed lines. */
function capture(env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const logger = createLogger({ service: 'svc', base: { nodeId: 'n1' }, env, destination: { write: (s: string) => void lines.push(s) } });
  return { nest: new PinoNestLogger(logger), lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('structured logs', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('writes JSON lines with level name, service, Nest context and the message text unchanged', () => {
    const { nest, json } = capture();
    nest.log('node n1 joined (host "a", governor cgroup-v1)', 'nodes');
    nest.warn('careful', 'orchestrator');
    const [first, second] = json();
    expect(first).toMatchObject({ level: 'info', service: 'svc', nodeId: 'n1', context: 'nodes', msg: 'node n1 joined (host "a", governor cgroup-v1)' });
    expect(typeof first!.time).toBe('string');
    expect(first!.trace_id).toBeUndefined();
    expect(second).toMatchObject({ level: 'warn', context: 'orchestrator', msg: 'careful' });
  });

  it('carries the trace and span id of the active span, and the run and task of a Shoal span, also after an await', async () => {
    const provider = new BasicTracerProvider();
    const span = provider.getTracer('t').startSpan('shoal.task a', { attributes: { 'shoal.run_id': 'r-1', 'shoal.task_id': 'a', 'shoal.attempt': 2 } });
    const { nest, json } = capture();
    await inSpan(span, async () => {
      await new Promise((r) => setTimeout(r, 5));
      nest.log('r-1/a#2 started', 'executor');
    });
    nest.log('outside', 'executor');
    const [inside, outside] = json();
    expect(inside).toMatchObject({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, runId: 'r-1', taskId: 'a', attempt: 2, msg: 'r-1/a#2 started' });
    expect(outside!.trace_id).toBeUndefined();
    span.end();
  });

  it('takes the trace id of a remote parent too (no attributes then)', () => {
    const { nest, json } = capture();
    const parent = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
    context.with(trace.setSpan(context.active(), parent), () => nest.log('hello'));
    expect(json()[0]).toMatchObject({ trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331', msg: 'hello' });
  });

  it('honours SHOAL_LOG_LEVEL, logs object messages with their fields and errors with their stack', () => {
    const { nest, json } = capture({ SHOAL_LOG_LEVEL: 'warn' });
    nest.log('dropped');
    nest.debug('dropped too', 'x');
    nest.error({ msg: 'publish failed', runId: 'r-2', taskId: 'b' }, 'orchestrator');
    nest.error(new Error('boom'));
    const lines = json();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'error', context: 'orchestrator', runId: 'r-2', taskId: 'b', msg: 'publish failed' });
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'boom' });
    expect(String(lines[1]!.stack)).toContain('Error: boom');
  });

  it('writes one readable line with SHOAL_LOG_FORMAT=pretty', () => {
    const { nest, lines } = capture({ SHOAL_LOG_FORMAT: 'pretty' });
    nest.log('ready', 'coordinator');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+ INFO  \[coordinator\] ready {2}nodeId=n1\n$/);
  });

  it('refuses malformed settings naming the variable', () => {
    expect(() => capture({ SHOAL_LOG_LEVEL: 'loud' })).toThrow(/SHOAL_LOG_LEVEL=loud: must be one of trace, debug/);
    expect(() => capture({ SHOAL_LOG_FORMAT: 'xml' })).toThrow(/SHOAL_LOG_FORMAT=xml/);
  });
});
