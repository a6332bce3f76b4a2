import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { topology } from '@shoal/protocol';
import { SecurityStore, identitiesOf, newUserKeys, renderNatsAuthorization, renderNatsServerConfig } from '@shoal/runtime';
import { locateNatsServer, tempDir } from '@shoal/testing';

const run = promisify(execFile);

describe('generated nats-server config', () => {
  it('is accepted by the real nats-server (nats-server -t), with enrolled nodes; a broken key is refused', async () => {
    const dir = tempDir('shoal-natsconf-');
    try {
      const store = SecurityStore.init(join(dir.path, 'sec'));
      for (const id of ['a', 'b']) store.enrol(store.createJoinToken().token, { id, publicKey: newUserKeys().publicKey, enrolledAt: 0 });
      writeFileSync(join(dir.path, 'auth.conf'), renderNatsAuthorization(identitiesOf(store.snapshot, topology('shoal'))));
      const conf = join(dir.path, 'nats.conf');
      writeFileSync(conf, renderNatsServerConfig({ host: '0.0.0.0', port: 4333, storeDir: join(dir.path, 'js'), authFile: 'auth.conf', pidFile: join(dir.path, 'pid') }));
      const ok = await run(locateNatsServer(), ['-t', '-c', conf]);
      expect(`${ok.stdout}${ok.stderr}`).toMatch(/configuration file .* is valid/);

      writeFileSync(join(dir.path, 'auth.conf'), 'authorization { users = [ { nkey: "not a key" } ] }\n');
      await expect(run(locateNatsServer(), ['-t', '-c', conf])).rejects.toThrow();
      expect(() => renderNatsServerConfig({ host: 'h', port: 1, storeDir: 's', authFile: '/abs/auth.conf', pidFile: 'p' })).toThrow(/file name next to the config/);
    } finally {
      await dir.dispose();
    }
  });
});
