import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, resolveConnection } from './api-client.js';
import { authHint, explain } from './commands.js';

describe('API client: where the token comes from', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'shoal-cli-spec-'));
    writeFileSync(join(home, 'cluster.json'), JSON.stringify({ api: 'http://127.0.0.1:8080', publicUrl: 'http://10.0.0.5:8080', nats: 'nats://x', tmuxSocket: 's', pid: 1, token: 'shoal_admin_local' }));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('prefers --token, then SHOAL_TOKEN, then the cluster file of a local shoal up', () => {
    expect(resolveConnection({ token: 'flag' }, { SHOAL_HOME: home, SHOAL_TOKEN: 'env' })).toMatchObject({ token: 'flag', tokenSource: 'the --token option' });
    expect(resolveConnection({}, { SHOAL_HOME: home, SHOAL_TOKEN: 'env' })).toMatchObject({ token: 'env', tokenSource: 'SHOAL_TOKEN' });
    expect(resolveConnection({}, { SHOAL_HOME: home })).toMatchObject({ base: 'http://127.0.0.1:8080', token: 'shoal_admin_local', tokenSource: `the cluster file ${join(home, 'cluster.json')}` });
    expect(resolveConnection({ api: 'http://10.0.0.5:8080/' }, { SHOAL_HOME: home })).toMatchObject({ token: 'shoal_admin_local' });
  });

  it('never sends the local admin token to another API', () => {
    const c = resolveConnection({ api: 'http://evil.example:8080' }, { SHOAL_HOME: home });
    expect(c.token).toBeUndefined();
    expect(c.tokenSource).toMatch(/^no token \(pass --token, set SHOAL_TOKEN/);
  });

  it('explains 401 and 403 in words: where the token came from and which scope is needed', () => {
    const none = new ApiError(401, { error: 'E_AUTH', message: 'missing bearer token' }, 'no token (pass --token, set SHOAL_TOKEN, ...)');
    expect(authHint(none)).toMatch(/needs a token and this command sent no token \(pass --token/);
    const bad = new ApiError(401, { error: 'E_AUTH', message: 'unknown token' }, 'SHOAL_TOKEN');
    expect(authHint(bad)).toMatch(/token from SHOAL_TOKEN was not accepted/);
    const weak = new ApiError(403, { error: 'E_PERMISSION', message: 'this needs scope operate; the token has scope read' }, 'the --token option');
    expect(explain(weak)).toMatch(/error 403 E_PERMISSION: this needs scope operate.*\n {2}This needs a token of scope operate; the token from the --token option has a weaker scope.*shoal token create --scope operate/);
    expect(authHint(new ApiError(404, {}))).toBeUndefined();
  });
});
