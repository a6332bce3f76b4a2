/**
 * NODE_ACTIONS is written `[...] as const`, and StrykerJS (9.5) does not descend into a
 * `TSAsExpression`, so it finds no mutant in nodes.ts; the rest of the file is types. The tests
 * pin the list anyway (each name, the order, the joined text the coordinator answers with), so the
 * array and string mutants Stryker would make once `as const` goes fail them.
 */
import { NODE_ACTIONS } from './nodes.js';

describe('NODE_ACTIONS', () => {
  it('lists exactly stop-all, reset and emergency-cleanup, in this order', () => {
    // Written out here on purpose (not derived from the module): a changed action fails this test.
    const expected = ['stop-all', 'reset', 'emergency-cleanup'];
    expect([...NODE_ACTIONS]).toEqual(expected);
    expect(NODE_ACTIONS).toHaveLength(3);
  });

  it('joins to the list the coordinator names when it refuses an action', () => {
    // nodes.controller.ts answers an unknown action with `must be one of ${NODE_ACTIONS.join(', ')}`.
    expect(NODE_ACTIONS.join(', ')).toBe('stop-all, reset, emergency-cleanup');
  });

  it('accepts each action by exact name and refuses near misses', () => {
    const includes = (name: string): boolean => (NODE_ACTIONS as readonly string[]).includes(name);
    expect(includes('stop-all')).toBe(true);
    expect(includes('reset')).toBe(true);
    expect(includes('emergency-cleanup')).toBe(true);
    for (const miss of ['', 'stop', 'stop_all', 'Stop-all', 'stop-all ', ' reset', 'RESET', 'resets', 'emergency', 'emergency_cleanup', 'cleanup', 'logs']) {
      expect(includes(miss)).toBe(false);
    }
  });

  it('is the only value the module exports at run time', async () => {
    const mod: Record<string, unknown> = await import('./nodes.js');
    expect(Object.keys(mod)).toEqual(['NODE_ACTIONS']);
  });
});
