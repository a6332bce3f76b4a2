/**
 * http/schedules.ts declares only TypeScript types (ScheduleView, ScheduleRemovedReply): no
 * statement survives compilation, so StrykerJS finds no mutant in it and there is no run-time
 * decision to pin. What this spec pins is that fact: a value exported from the module later (a
 * schema, a constant, a helper) makes the test below fail, and then the value gets tests of its
 * own here. The types themselves are checked by tsc in the code that uses them (the coordinator,
 * the CLI, the other protocol files), not here.
 */
describe('http/schedules.ts', () => {
  it('exports nothing at run time (types only)', async () => {
    const mod: Record<string, unknown> = await import('./schedules.js');
    expect(Object.keys(mod)).toEqual([]);
  });
});
