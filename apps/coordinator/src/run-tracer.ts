import { type Context, type Span, SpanStatusCode, type Tracer, context, trace } from '@opentelemetry/api';
import { Injectable } from '@nestjs/common';
import { type RunEvent, phaseKey } from '@shoal/protocol';

/** Keeps one trace per run: a run span, a span per phase, a dispatch span per task attempt. */
@Injectable()
export class RunTracer {
  private readonly tracer: Tracer = trace.getTracer('shoal-coordinator');
  private readonly spans = new Map<string, Span>();

  /** Opens the run's root span and returns its trace id. */
  startRun(runId: string, plan: string): string {
    const span = this.tracer.startSpan('shoal.run', { root: true, attributes: { 'shoal.run_id': runId, 'shoal.plan': plan } });
    this.spans.set(runId, span);
    return span.spanContext().traceId;
  }

  /** Runs `fn` with the run's span active (log lines carry its trace id and runId); as is when this coordinator has no span of the run. */
  inRun<T>(runId: string, fn: () => T): T {
    const span = this.spans.get(runId);
    return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
  }

  /** Follows run events: phase spans open and close, the run span closes. */
  observe(e: RunEvent): void {
    if (e.type === 'phase') {
      const key = phaseKey(e.runId, e.phaseId);
      if (e.state === 'running' && !this.spans.has(key)) {
        this.spans.set(key, this.tracer.startSpan(`shoal.phase ${e.phaseId}`, { attributes: { 'shoal.run_id': e.runId, 'shoal.phase_id': e.phaseId } }, this.ctx(e.runId)));
      } else if (['succeeded', 'failed', 'skipped', 'cancelled'].includes(e.state)) {
        this.end(key, e.state, e.reason);
      }
    } else if (e.type === 'run' && ['succeeded', 'failed', 'cancelled'].includes(e.state)) {
      for (const k of [...this.spans.keys()]) if (k.startsWith(`${e.runId}/`)) this.end(k, e.state);
      this.end(e.runId, e.state, e.reason);
    }
  }

  /** Runs `fn` inside a dispatch span (child of the phase span); the span ends when fn settles. */
  async dispatch<T>(runId: string, phaseId: string, taskId: string, attempt: number, nodeId: string, fn: (ctx: Context) => Promise<T>): Promise<T> {
    const parent = this.ctx(phaseKey(runId, phaseId), this.ctx(runId));
    const span = this.tracer.startSpan(`shoal.dispatch ${taskId}`, { attributes: { 'shoal.run_id': runId, 'shoal.task_id': taskId, 'shoal.attempt': attempt, 'shoal.node_id': nodeId } }, parent);
    try {
      const ctx = trace.setSpan(parent, span);
      return await context.with(ctx, () => fn(ctx)); // active: log lines of the dispatch carry the trace id
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      span.end();
    }
  }

  private ctx(key: string, fallback: Context = context.active()): Context {
    const span = this.spans.get(key);
    return span ? trace.setSpan(context.active(), span) : fallback;
  }

  private end(key: string, state: string, reason?: string): void {
    const span = this.spans.get(key);
    if (!span) return;
    span.setAttribute('shoal.state', state);
    if (state === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: reason ?? 'failed' });
    span.end();
    this.spans.delete(key);
  }
}
