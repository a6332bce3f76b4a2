import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { type LeafSiteView, UserPublicKey, ValidationError, topology, toNodeId } from '@shoal/protocol';
import { clusterFile } from '../api-client.js';
import { alive } from '../up/leftovers.js';
import type { TaskCommandDeps } from './task-api.js';
import { intOption } from './up.js';

interface LeafConfigFlags {
  hub: string[];
  site: string;
  passwordFile: string;
  node: { id: string; publicKey: string }[];
  credentials: string[];
  listen: string;
  port: number;
  ns: string;
  hubCa?: string;
  dir: string;
  serverName: string;
  pointNodes?: boolean;
}

/** What `shoal leaf config` wrote. */
export interface LeafConfigWritten {
  conf: string;
  auth: string;
  nodes: string[];
  /** The URL the site's node-agents connect to (their credentials' `servers`). */
  natsUrl: string;
  start: string[];
}

/** `--node <id>=<public key>`, repeatable. */
function nodeOption(v: string, previous: { id: string; publicKey: string }[] = []): { id: string; publicKey: string }[] {
  const [id, publicKey] = v.split('=');
  if (!id || !publicKey || !UserPublicKey.safeParse(publicKey).success) throw new InvalidArgumentError('expected <node id>=<its public nkey U...> (the publicKey of its credentials.json)');
  return [...previous, { id, publicKey }];
}

const collect = (v: string, previous: string[] = []) => [...previous, v];

/**
 * `shoal leaf config`: on a remote site's host, writes the config of the site's own nats-server (a
 * NATS leaf node of the control host's, docs/multi-cluster.md) and its authorization with the
 * site's nodes. Files only: it starts nothing and runs no shell (start the server yourself).
 */
export function registerLeafCommands(program: Command, { api, act, output }: TaskCommandDeps): void {
  const leaf = program.command('leaf').description('remote sites attached through a NATS leaf node (docs/multi-cluster.md)');
  leaf
    .command('config')
    .description("write a site's leaf nats-server config (leaf.conf) and its authorization (auth.conf), both 0600")
    .requiredOption('--hub <url>', 'leafnode URL of the control host, e.g. nats-leaf://control.example:7422 (repeatable; no credentials in it)', collect)
    .requiredOption('--site <name>', "the site's name (its link's user at the hub is leaf-<name>)")
    .requiredOption('--password-file <file>', "file holding the link's password (its bcrypt hash is the site's entry at the control host)")
    .option('--node <id=key>', "a node of this site and its public nkey (repeatable)", nodeOption)
    .option('--credentials <file>', "a site node's credentials.json to take its id and public key from (repeatable)", collect)
    .option('--listen <addr>', 'address the leaf server listens on for the nodes', '127.0.0.1')
    .option('--port <port>', 'its client port', intOption, 4222)
    .option('--ns <namespace>', "the cluster's namespace", process.env.SHOAL_NS ?? 'shoal')
    .option('--hub-ca <file>', "CA (PEM) of the control host's certificate, when its leafnode listener has TLS")
    .option('--dir <dir>', 'where the files go', join(homedir(), '.shoal', 'leaf'))
    .option('--server-name <name>', 'server_name of the leaf (unique among the servers)', `leaf-${toNodeId(hostname())}`)
    .option('--point-nodes', 'also point the --credentials files at this leaf server (their "servers"; the CA of the hub is dropped: the leaf listens without TLS); restart those node-agents')
    .action(
      act(async (f: LeafConfigFlags) => {
        // loaded here: @shoal/runtime is not needed by other commands at start-up
        const { readNodeCredentials, writeNodeCredentials, writeSecretFile, HUB_JS_DOMAIN, siteLinkUserName } = await import('@shoal/runtime');
        const { renderLeafAuthorization, renderLeafServerConfig } = await import('../leaf/leaf-config.js');
        if (f.pointNodes && !f.credentials?.length) throw new Error('--point-nodes rewrites the --credentials files: name them');
        const creds = (f.credentials ?? []).map((file) => {
          const c = readNodeCredentials(file);
          if (!c) throw new Error(`${file} does not exist`);
          return { file, c };
        });
        const fromFiles = creds.map(({ c }) => ({ id: c.nodeId, publicKey: c.publicKey }));
        const nodes = [...(f.node ?? []), ...fromFiles];
        if (!nodes.length) throw new Error("name the site's nodes with --node <id>=<public key> or --credentials <credentials.json>");
        const password = readFileSync(f.passwordFile, 'utf8').trim();
        if (password.length < 16) throw new Error(`${f.passwordFile}: the link password must have at least 16 characters`);
        const dir = resolve(f.dir);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const written: LeafConfigWritten = {
          conf: join(dir, 'leaf.conf'),
          auth: join(dir, 'auth.conf'),
          nodes: nodes.map((n) => n.id),
          natsUrl: `nats://${f.listen === '0.0.0.0' ? '127.0.0.1' : f.listen}:${f.port}`,
          start: ['nats-server', '-c', join(dir, 'leaf.conf')],
        };
        writeSecretFile(written.auth, renderLeafAuthorization(topology(f.ns), nodes, HUB_JS_DOMAIN));
        writeSecretFile(
          written.conf,
          renderLeafServerConfig({
            serverName: f.serverName,
            host: f.listen,
            port: f.port,
            hubUrls: f.hub,
            user: siteLinkUserName(f.site),
            password,
            jsDomain: HUB_JS_DOMAIN,
            authFile: 'auth.conf',
            pidFile: join(dir, 'leaf.pid'),
            ...(f.hubCa ? { hubCaFile: resolve(f.hubCa) } : {}),
          }),
        );
        if (f.pointNodes) {
          for (const { file, c } of creds) {
            const { caPem: _hubCa, ...rest } = c;
            writeNodeCredentials(file, { ...rest, servers: [written.natsUrl] });
          }
        }
        output.show(written, (w) =>
          [
            `wrote ${w.conf} and ${w.auth} (site ${f.site}, nodes ${w.nodes.join(', ')})`,
            `start it:  ${w.start.join(' ')}`,
            `the nodes connect to ${w.natsUrl} (their credentials.json "servers"); they must be enrolled with --labels site=${f.site}`,
          ].join('\n'),
        );
        return 0;
      }),
    );

  const site = leaf
    .command('site')
    .description("a control host's leaf sites: through the API of a running coordinator (admin token), else in the stopped control host's security store");
  const dataDirOption = ['--data-dir <dir>', "the control host's data dir (used when no coordinator answers)", process.env.SHOAL_HOME ?? join(homedir(), '.shoal')] as const;
  site
    .command('add <name>')
    .description("record a site: its link may connect as leaf-<name> with the rights of the nodes enrolled with --labels site=<name>")
    .option('--password-file <file>', "the link's password (made, 64 hex digits in a 0600 file, when the file does not exist): copy it to the site for `shoal leaf config --password-file`; only its bcrypt hash is recorded")
    .option('--password-hash-file <file>', "instead: a file holding the bcrypt hash ($2b$...) of a password you made")
    .option(...dataDirOption)
    .action(
      act(async (name: string, f: { passwordFile?: string; passwordHashFile?: string; dataDir: string }) => {
        if (!f.passwordFile === !f.passwordHashFile) throw new ValidationError([{ path: '--password-file', message: 'give exactly one of --password-file (a password, made if the file is missing) and --password-hash-file (its bcrypt hash)' }]);
        let hash: string;
        if (f.passwordFile) {
          const { siteLinkPassword } = await import('../leaf/link-password.js'); // bcrypt loads only here
          const made = siteLinkPassword(f.passwordFile);
          if (made.created) output.text(`made the link password of site ${name} in ${f.passwordFile} (0600): copy it to the site host`);
          hash = made.hash;
        } else hash = readFileSync(f.passwordHashFile!, 'utf8').trim();
        const view = viaApi(f.dataDir)
          ? await api().putLeafSite(name, hash)
          : siteView((await stoppedStore(f.dataDir)).putLeafSite(name, hash));
        output.show(view, (v) => `site ${v.name} recorded: its link connects as ${v.user}${v.nodes.length ? ` with the rights of ${v.nodes.join(', ')}` : ''} (the hub needs \`shoal up --leaf-port\`)`);
        return 0;
      }),
    );
  site
    .command('remove <name>')
    .description("forget a site: its link is refused (at once through the API)")
    .option(...dataDirOption)
    .action(
      act(async (name: string, f: { dataDir: string }) => {
        if (viaApi(f.dataDir)) {
          output.show(await api().removeLeafSite(name), (r) => `site ${r.removed} removed: its link is refused`);
          return 0;
        }
        const removed = (await stoppedStore(f.dataDir)).removeLeafSite(name);
        output.show({ removed: removed ? name : null }, (r) => (r.removed ? `site ${name} removed` : `no site ${name}`));
        return removed ? 0 : 1;
      }),
    );
  site
    .command('list')
    .description('the recorded sites and the nodes their links may act as')
    .option(...dataDirOption)
    .action(
      act(async (f: { dataDir: string }) => {
        let sites: LeafSiteView[];
        if (viaApi(f.dataDir)) sites = await api().leafSites();
        else {
          const { SecurityStore, SITE_LABEL } = await import('@shoal/runtime');
          const state = SecurityStore.open(join(f.dataDir, 'security')).snapshot;
          sites = (state.leafSites ?? []).map((s) => ({ ...siteView(s), nodes: state.nodes.filter((n) => n.labels?.[SITE_LABEL] === s.name).map((n) => n.id) }));
        }
        output.show(sites, (list) => (list.length ? list.map((s) => `${s.name}  nodes: ${s.nodes.join(', ') || `(none enrolled with site=${s.name})`}`).join('\n') : 'no leaf sites'));
        return 0;
      }),
    );

  /**
   * Through the API when a coordinator owns the store: the local `shoal up` runs, or there is no
   * local store at all (a remote control host, reached with --api/SHOAL_API and an admin token).
   */
  function viaApi(dataDir: string): boolean {
    return localControlHostRuns(dataDir) !== undefined || !existsSync(join(dataDir, 'security'));
  }
}

function siteView(s: { name: string; createdAt: number }): LeafSiteView {
  return { name: s.name, user: `leaf-${s.name}`, createdAt: s.createdAt, nodes: [] };
}

/** The pid of the local `shoal up` when it runs. */
function localControlHostRuns(dataDir: string): number | undefined {
  const file = clusterFile(dataDir);
  if (!existsSync(file)) return undefined;
  const pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid;
  return pid !== undefined && alive(pid) ? pid : undefined;
}

/** The stopped control host's security store (a running coordinator owns the file). */
async function stoppedStore(dataDir: string) {
  const pid = localControlHostRuns(dataDir);
  if (pid !== undefined) throw new Error(`\`shoal up\` runs (pid ${pid}) and its coordinator owns the security store`);
  const { SecurityStore } = await import('@shoal/runtime');
  return SecurityStore.open(join(dataDir, 'security'));
}
