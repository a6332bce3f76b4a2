import { splitSse } from './sse.js';

describe('splitSse', () => {
  it('returns complete events and keeps the incomplete rest', () => {
    const r = splitSse('event: run\ndata: {"a":1}\n\n: keep-alive\n\nevent: task\ndata: {"b"');
    expect(r.events).toEqual([{ event: 'run', data: '{"a":1}' }]);
    expect(r.rest).toBe('event: task\ndata: {"b"');
    expect(splitSse(`${r.rest}:2}\n\n`).events).toEqual([{ event: 'task', data: '{"b":2}' }]);
  });
});
