/** checkinFields of an interactive task whose team is not found falls back to the defaults. */
import { CHECKIN_DEFAULTS, type PlanTask } from '@shoal/protocol';
import { checkinFields } from './agent-defaults.js';

describe('checkinFields without a team', () => {
  it('gives an interactive task the default interval and prompt', () => {
    const t = { id: 'a', team: 'gone', role: 'Docs', command: ['claude'], agent: 'claude', prompt: 'x' } as PlanTask;
    expect(checkinFields(t, undefined)).toEqual({ checkinMs: CHECKIN_DEFAULTS.intervalMs, checkinPrompt: CHECKIN_DEFAULTS.prompt });
  });
});
