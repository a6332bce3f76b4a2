import { type Command, InvalidArgumentError } from 'commander';
import { parseDuration, Scope } from '@shoal/protocol';
import type { TaskCommandDeps } from './task-api.js';

/** Parses `--ttl` (`90m`, `1h`, `2d`; a bare number is seconds) into ms, from 1 s to 7 days. */
export function ttlOption(v: string): number {
  const days = /^(\d+)d$/.exec(v.trim());
  const ms = days ? Number(days[1]) * 86_400_000 : parseDuration(/^\d+$/.test(v.trim()) ? Number(v) : v);
  if (ms === undefined || ms < 1000 || ms > 7 * 86_400_000) throw new InvalidArgumentError('a duration from 1s to 7d, e.g. 30m, 1h, 2d (a bare number is seconds)');
  return ms;
}

/** Registers `token create|join|list|revoke` and `nodes remove`. */
export function registerTokenCommands(program: Command, nodes: Command, { api, out, act, output }: TaskCommandDeps): void {
  const token = program.command('token').description('API tokens (read < operate < admin) and one-time join tokens; needs an admin token');
  token
    .command('create')
    .description('mint an API token; it is printed once and never stored in clear')
    .requiredOption('--scope <scope>', 'read (see), operate (also submit, cancel, steer) or admin (also tokens and nodes)', (v) => {
      const scope = Scope.safeParse(v);
      if (!scope.success) throw new InvalidArgumentError('read, operate or admin');
      return scope.data;
    })
    .option('--name <name>', 'what the token is for (shown by `shoal token list`)')
    .action(
      act(async (o: { scope: Scope; name?: string }) => {
        const t = await api().createToken({ scope: o.scope, ...(o.name ? { name: o.name } : {}) });
        output.show(t, () => `token ${t.id} (${t.scope}${t.name ? `, ${t.name}` : ''}) — shown only now; use it with --token or SHOAL_TOKEN:\n${t.token}`);
        return 0;
      }),
    );
  token
    .command('join')
    .description('mint a one-time join token and print the command another host joins with')
    .option('--ttl <duration>', 'how long it stays valid', ttlOption, 3_600_000)
    .action(
      act(async (o: { ttl: number }) => {
        const client = api();
        const t = await client.joinToken({ ttlMs: o.ttl });
        const ca = client.conn.caFile;
        output.show(t, () => [`Run on the host to join (single use, valid until ${new Date(t.expiresAt).toISOString()}):`, `  ${t.command}${ca ? ` --tls-ca ${ca}` : ''}`].join('\n'));
        if (ca) out(`  (copy ${ca} to that host first and give its path to --tls-ca${output.json ? ', which the command above leaves out' : ''})`);
        return 0;
      }),
    );
  token
    .command('list')
    .description('list API tokens (never their secrets)')
    .action(
      act(async () => {
        output.show(await api().tokens(), (list) => (list.length ? list.map((t) => `${t.id}  ${t.scope.padEnd(8)} ${new Date(t.createdAt).toISOString()}  ${t.name}`).join('\n') : 'no tokens'));
        return 0;
      }),
    );
  token
    .command('revoke <id>')
    .description('revoke an API token (it stops working at once)')
    .action(
      act(async (id: string) => {
        output.show(await api().revokeToken(id), (r) => `token ${r.revoked ?? id} revoked`);
        return 0;
      }),
    );
  nodes
    .command('remove <id>')
    .description("remove a node: its NATS credentials stop working at once (it must join again with a new token)")
    .action(
      act(async (id: string) => {
        output.show(await api().removeNode(id), (r) => `node ${r.removed ?? id} removed: its credentials no longer work`);
        return 0;
      }),
    );
}
