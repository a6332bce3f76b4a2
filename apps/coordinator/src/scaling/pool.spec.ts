import { inPoolTerms } from './pool.js';

const label = { key: 'pool', value: 'kubernetes' };
const pooled = (tasks: number) => ({ labels: { pool: 'kubernetes' }, tasks });
const fixed = (tasks: number) => ({ labels: {}, tasks });

describe('inPoolTerms', () => {
  it('without a pool label every live node is in the pool', () => {
    const r = inPoolTerms({ direction: 'up', desired: 3, current: 2, need: 3 }, [fixed(1), pooled(0)]);
    expect(r).toEqual({ decision: { direction: 'up', desired: 3, current: 2, need: 3 }, busy: 1 });
  });

  it('takes the nodes outside the pool (a DaemonSet, fixed hosts) off every count; only busy pool nodes are the floor', () => {
    const r = inPoolTerms({ direction: 'up', desired: 3, current: 2, need: 3 }, [fixed(2), pooled(1)], label);
    expect(r).toEqual({ decision: { direction: 'up', desired: 2, current: 1, need: 2 }, busy: 1 });
  });

  it('never goes negative when the nodes outside the pool cover the demand', () => {
    const r = inPoolTerms({ direction: 'down', desired: 1, current: 3, need: 1 }, [fixed(0), fixed(0), pooled(0)], label);
    expect(r.decision).toEqual({ direction: 'down', desired: 0, current: 1, need: 0 });
  });
});
