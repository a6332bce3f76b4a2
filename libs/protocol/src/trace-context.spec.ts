import { TRACEPARENT_HEADER, TRACESTATE_HEADER, formatTraceParent, parseTraceParent } from './trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('uses the W3C header names', () => {
    expect([TRACEPARENT_HEADER, TRACESTATE_HEADER]).toEqual(['traceparent', 'tracestate']);
  });

  it('parses the sampled flag', () => {
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-00`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: false });
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-03`)?.sampled).toBe(true);
    expect(parseTraceParent(` 00-${TRACE}-${SPAN}-01\n`)?.traceId).toBe(TRACE);
  });

  it('round-trips through format', () => {
    for (const sampled of [true, false]) {
      const tp = { traceId: TRACE, spanId: SPAN, sampled };
      expect(parseTraceParent(formatTraceParent(tp))).toEqual(tp);
    }
    expect(formatTraceParent({ traceId: TRACE, spanId: SPAN, sampled: true })).toBe(`00-${TRACE}-${SPAN}-01`);
  });

  it.each([
    ['undefined', undefined],
    ['empty', ''],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['unknown version', `01-${TRACE}-${SPAN}-01`],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['long span id', `00-${TRACE}-${SPAN}0-01`],
    ['missing flags', `00-${TRACE}-${SPAN}`],
    ['garbage', 'not a traceparent'],
  ])('refuses a %s value', (_what, value) => {
    expect(parseTraceParent(value)).toBeUndefined();
  });
});
