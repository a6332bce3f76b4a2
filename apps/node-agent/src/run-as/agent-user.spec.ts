import { passwdUsersInRange, resolveAgentUser } from './agent-user.js';

describe('run-as user', () => {
  it('finds local users inside an agent uid range (Shoal would kill their processes)', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\nalice:x:2000005:2000005::/home/alice:/bin/sh\n# comment\nbob:x:1000:1000::/home/bob:/bin/sh\n\n';
    expect(passwdUsersInRange(passwd, { first: 2000000, last: 2000999 })).toEqual(['alice (uid 2000005)']);
    expect(passwdUsersInRange(passwd, { first: 3000, last: 4000 })).toEqual([]);
  });

  it('refuses malformed names, unknown users and root with what to do', async () => {
    await expect(resolveAgentUser('a b;rm')).rejects.toThrow(/not a user name/);
    await expect(resolveAgentUser('shoal-no-such-user-x')).rejects.toThrow(/no such user; create it \(useradd .*\) or set SHOAL_RUN_AS=off/);
    await expect(resolveAgentUser('root')).rejects.toThrow(/must not run as root/);
  });
});
