import { TransportError } from '@shoal/protocol';
import { OpenStreams } from './open-streams.js';

describe('OpenStreams', () => {
  it('ends every open stream at shutdown, and refuses streams asked for afterwards (an EventSource reconnects at once)', () => {
    const streams = new OpenStreams();
    const ended: string[] = [];
    streams.assertOpen();
    streams.add(() => ended.push('a'));
    const forgetB = streams.add(() => ended.push('b'));
    streams.add(() => ended.push('c'));
    forgetB(); // b ended by itself (its client went away)
    streams.endAll();
    expect(ended).toEqual(['a', 'c']);
    expect(() => streams.assertOpen()).toThrow(TransportError);
    expect(() => streams.assertOpen()).toThrow(/shutting down/);
  });
});
