import { existsSync, readFileSync } from 'node:fs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DependencyError, TimeoutError, TransportError, topology } from '@shoal/protocol';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { identitiesOf, leafLinkUsersOf, newUserKeys, renderNatsAuthorization, writeSecretFile } from '@shoal/runtime';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config.js';
import { SecurityContext } from './security-context.js';

/** Subject of the reload canary's only (useless) rights; also how its line is recognised. */
const CANARY_SUBJECT = '_SHOAL_RELOAD_CANARY';
/** How long a reload may take to show before the change is reported as not applied. */
const RELOAD_DEADLINE_MS = 5000;

/**
 * Who may connect to NATS: renders the authorization file nats-server includes from the
 * SecurityStore and makes the running server re-read it (SIGHUP to the pid in its pid file; no
 * restart, so live connections of other identities stay up, a removed identity's is dropped).
 *
 * A reload is asynchronous on the server's side. To know it has applied, every rewrite adds a
 * fresh "canary" identity whose seed only this process knows and which may only publish and
 * subscribe a subject nobody uses: once the canary can connect, the server runs the new list,
 * so a removed node is already cut off and an enrolled node's key already accepted.
 */
@Injectable()
export class BusAuthorization {
  private readonly log = new Logger('bus-auth');
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly security: SecurityContext,
  ) {}

  /** True when this coordinator can change who may connect (store, auth file and pid file known). */
  get manages(): boolean {
    return this.security.enabled && !!this.security.config.natsAuthFile && !!this.security.config.natsPidFile;
  }

  /** Throws before any state changes when the bus cannot be told about them. */
  assertManaged(): void {
    if (!this.manages) {
      throw new DependencyError(
        'this coordinator cannot change who may connect to NATS: it needs SHOAL_SECURITY_DIR, SHOAL_NATS_AUTH_FILE and SHOAL_NATS_PID_FILE (`shoal up` sets them)',
      );
    }
  }

  /**
   * At start: rewrites the file only when the identities it holds differ from the store's, then
   * reloads. A bus not managed here is left alone (with a warning when security is on).
   */
  async syncAtStart(): Promise<void> {
    if (!this.security.enabled) return;
    if (!this.manages) {
      this.log.warn('SHOAL_NATS_AUTH_FILE or SHOAL_NATS_PID_FILE is not set: enrolment and node removal are refused');
      return;
    }
    const file = this.security.config.natsAuthFile!;
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (withoutCanary(current) === withoutCanary(this.render())) {
      this.log.log(`${file} is up to date (${this.security.store!.snapshot.nodes.length} enrolled node(s))`);
      return;
    }
    this.log.log(`${file} differs from the security store: rewriting it and reloading nats-server`);
    await this.apply();
  }

  /**
   * Rewrites the authorization file from the store, reloads nats-server and resolves once the
   * reload has applied (calls are serialised). Rejects when the server cannot be signalled or
   * the reload does not show within a few seconds.
   */
  apply(): Promise<void> {
    const next = this.queue.then(() => this.rewriteAndReload());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private render(canaryKey?: string): string {
    const state = this.security.store!.snapshot;
    const topo = topology(this.config.namespace);
    const identities = identitiesOf(state, topo);
    const canary = canaryKey ? [{ publicKey: canaryKey, permissions: { publish: [CANARY_SUBJECT], subscribe: [CANARY_SUBJECT], allowResponses: false } }] : [];
    // leaf sites' links (docs/multi-cluster.md): password users with the rights of their nodes
    return renderNatsAuthorization([...canary, ...identities], leafLinkUsersOf(state, topo));
  }

  private async rewriteAndReload(): Promise<void> {
    this.assertManaged();
    const canary = newUserKeys();
    writeSecretFile(this.security.config.natsAuthFile!, this.render(canary.publicKey));
    const pid = this.readPid();
    try {
      process.kill(pid, 'SIGHUP');
    } catch (e) {
      throw new TransportError(`cannot signal nats-server (pid ${pid} from ${this.security.config.natsPidFile}) to reload: ${(e as Error).message}`, { cause: e });
    }
    const deadline = Date.now() + RELOAD_DEADLINE_MS;
    for (;;) {
      try {
        await this.probe(canary.seed);
        this.log.log(`nats-server reloaded its authorization (${this.security.store!.snapshot.nodes.length} enrolled node(s))`);
        return;
      } catch (e) {
        if (Date.now() >= deadline) {
          throw new TimeoutError(`nats-server (pid ${pid}) did not apply the new authorization within ${RELOAD_DEADLINE_MS} ms: ${(e as Error).message}`, { cause: e });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** One connect attempt with the canary's key (no retries: a refusal must come back at once). */
  private async probe(seed: string): Promise<void> {
    const nc = await connect({
      servers: this.config.natsUrl.split(',').map((s) => s.trim()),
      name: 'shoal-reload-canary',
      authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
      reconnect: false,
      timeout: 2000,
      ...(this.security.caPem ? { tls: { ca: this.security.caPem } } : {}),
    });
    await nc.close();
  }

  private readPid(): number {
    const file = this.security.config.natsPidFile!;
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new TransportError(`cannot read the nats-server pid file ${file}: ${(e as Error).message}`, { cause: e });
    }
    const pid = Number(text);
    if (!Number.isInteger(pid) || pid <= 1) throw new TransportError(`${file} does not hold a process id: ${JSON.stringify(text.slice(0, 40))}`);
    return pid;
  }
}

/** The file's text without the canary's line (the canary comes first, so the rest is unchanged). */
function withoutCanary(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.includes(CANARY_SUBJECT))
    .join('\n');
}
