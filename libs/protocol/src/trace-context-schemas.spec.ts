import { parseTraceParent } from './trace-context.js';

// Every value is built inside the test that checks it: Stryker judges trace-context.ts per test.

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent anchors', () => {
  it('refuses a valid value behind a bad prefix (anchored at the start)', () => {
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
    expect(parseTraceParent(`x00-${TRACE}-${SPAN}-01`)).toBeUndefined();
    expect(parseTraceParent(`100-${TRACE}-${SPAN}-01`)).toBeUndefined();
  });

  it('refuses a valid value followed by more characters (anchored at the end)', () => {
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-011`)).toBeUndefined();
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-01-extra`)).toBeUndefined();
  });
});
