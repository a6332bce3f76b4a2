import { readFileSync } from 'node:fs';
import type { CacheEntryView } from '@shoal/protocol';
import { NotFoundError, ValidationError } from '@shoal/protocol';
import { ApiError } from '../api-client.js';
import type { RegisterCommand } from './task-api.js';

const NS_HELP = 'namespace: global, run:<id> or team:<name>';

/** The value a put stores: the text as a string, or (`--json-value`) the text parsed as JSON. */
export function cacheValue(text: string, asJson: boolean | undefined): unknown {
  if (!asJson) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ValidationError([{ path: '--json-value', message: `not JSON (${(e as Error).message})` }]);
  }
}

/** A value as `get` prints it: strings as they are, anything else as JSON. */
export function printableValue(e: Pick<CacheEntryView, 'value'>): string {
  return typeof e.value === 'string' ? e.value : JSON.stringify(e.value, null, 2);
}

/** Registers `shoal cache get|put|ls|rm`: the cache agents share (`/cache/:ns/:key`). */
export const registerCacheCommands: RegisterCommand = (program, { api, act, output }) => {
  const cache = program.command('cache').description(`the cache agents share (${NS_HELP}); entries expire after their TTL`);
  cache
    .command('get <ns> <key>')
    .description('print an entry\'s value (--json: the whole entry); exit 1 when absent or expired')
    .action(
      act(async (ns: string, key: string) => {
        const e = await api()
          .cacheGet(ns, key)
          .catch((err: unknown) => {
            if (err instanceof ApiError && err.status === 404) return undefined;
            throw err;
          });
        if (!e) {
          output.error(new NotFoundError(`${ns} ${key}: not in the cache (absent or expired)`), (err) => (err as Error).message);
          return 1;
        }
        output.show(e, printableValue);
        return 0;
      }),
    );
  cache
    .command('put <ns> <key> [value]')
    .description('store an entry (the value: the argument, or --file, or stdin with `-`); at most 256 KiB')
    .option('--ttl <duration>', 'time to live: seconds, or 30s, 15m, 2h (default 24h, at most 168h)')
    .option('--file <path>', 'read the value from a file')
    .option('--json-value', 'store the text parsed as JSON instead of as a string')
    .action(
      act(async (ns: string, key: string, value: string | undefined, o: { ttl?: string; file?: string; jsonValue?: boolean }) => {
        if ((value === undefined) === (o.file === undefined)) throw new ValidationError([{ path: 'value', message: 'give the value as an argument (`-` for stdin) or with --file, not both' }]);
        const text = o.file !== undefined ? readFileSync(o.file, 'utf8') : value === '-' ? readFileSync(0, 'utf8') : value!;
        const ttl = o.ttl === undefined ? undefined : /^\d+$/.test(o.ttl) ? Number(o.ttl) : o.ttl;
        const e = await api().cachePut(ns, key, { value: cacheValue(text, o.jsonValue), ...(ttl !== undefined ? { ttl } : {}) });
        output.show(e, () => `${e.ns} ${e.key}: stored ${e.size} bytes, expires ${new Date(e.expiresAt).toISOString()}`);
        return 0;
      }),
    );
  cache
    .command('ls <ns>')
    .description('list the live keys of a namespace')
    .action(
      act(async (ns: string) => {
        output.show(await api().cacheList(ns), (r) =>
          [
            ...(r.entries.length ? r.entries.map((e) => `${e.key}  ${e.size} B  expires ${new Date(e.expiresAt).toISOString()}`) : [`no entries in ${r.ns}`]),
            ...(r.truncated ? ['(more keys than shown)'] : []),
          ].join('\n'),
        );
        return 0;
      }),
    );
  cache
    .command('rm <ns> <key>')
    .description('delete an entry')
    .action(
      act(async (ns: string, key: string) => {
        output.show(await api().cacheDelete(ns, key), (r) => `${r.ns} ${r.key}: ${r.deleted ? 'deleted' : 'was not there'}`);
        return 0;
      }),
    );
};
