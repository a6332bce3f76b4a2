import { parseTraceParent } from './trace-context.js';

// Only an all-zero trace or span id is invalid (W3C trace context); zeros at either end of an
// id are ordinary hex digits.
describe('traceparent ids with leading or trailing zeros', () => {
  const span = 'a0f067aa0ba902b7';
  const trace = '4bf92f3577b34da6a3ce929d0e0e4736';

  it('accepts a trace id that starts or ends with zeros', () => {
    for (const traceId of ['004bf92f3577b34da6a3ce929d0e0e47', '4bf92f3577b34da6a3ce929d0e0e4700']) {
      expect(parseTraceParent(`00-${traceId}-${span}-01`)).toEqual({ traceId, spanId: span, sampled: true });
    }
  });

  it('accepts a span id that starts or ends with zeros', () => {
    for (const spanId of ['00f067aa0ba902b7', 'a0f067aa0ba90200']) {
      expect(parseTraceParent(`00-${trace}-${spanId}-00`)).toEqual({ traceId: trace, spanId, sampled: false });
    }
  });
});
