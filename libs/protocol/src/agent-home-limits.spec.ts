import { TaskSecrets } from './agent-home.js';

/** `count` secrets KEY_0 … KEY_<count-1>, each naming a secret of the same name. */
const secrets = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`KEY_${i}`, `secret-${i}`]));

describe('task secrets: how many', () => {
  it('takes up to 32 secrets per task', () => {
    expect(TaskSecrets.safeParse(secrets(32)).success).toBe(true);
  });

  it('refuses a 33rd, saying the limit', () => {
    const r = TaskSecrets.safeParse(secrets(33));
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual(['at most 32 secrets']);
  });
});
