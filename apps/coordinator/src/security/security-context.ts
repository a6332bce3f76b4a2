import { readFileSync } from 'node:fs';
import type { Provider } from '@nestjs/common';
import { SecurityStore } from '@shoal/runtime';
import { cacheTokenKey } from '../cache/cache-token.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig, type SecurityConfig } from '../config.js';

/**
 * The coordinator's security state: the opened SecurityStore (coordinator nkey, hashed API and
 * join tokens, enrolled nodes), or none when it runs with SHOAL_INSECURE=1.
 */
export class SecurityContext {
  private constructor(
    readonly config: SecurityConfig,
    readonly store: SecurityStore | undefined,
    /** PEM of the CA that signs the NATS server certificate (SHOAL_NATS_CA_FILE), read once. */
    readonly caPem: string | undefined,
  ) {}

  /** Opens the store named by the configuration; throws naming the directory when it is missing. */
  static open(config: SecurityConfig): SecurityContext {
    const store = config.insecure ? undefined : SecurityStore.open(config.dir!);
    const caPem = config.natsCaFile ? readFileSync(config.natsCaFile, 'utf8') : undefined;
    return new SecurityContext(config, store, caPem);
  }

  /** True when tokens are checked and NATS is joined with the coordinator's own identity. */
  get enabled(): boolean {
    return this.store !== undefined;
  }

  /**
   * The HMAC key of task tokens (`shc1.`, cache/cache-token.ts), derived from the nkey seed so
   * every replica verifies what another minted; undefined without security.
   */
  get taskTokenKey(): Buffer | undefined {
    const seed = this.natsSeed;
    if (seed && !this.tokenKey) this.tokenKey = cacheTokenKey(seed);
    return this.tokenKey;
  }
  private tokenKey?: Buffer;

  /** The coordinator's NATS nkey seed (undefined on an insecure bus: anonymous). */
  get natsSeed(): string | undefined {
    return this.store?.snapshot.coordinator.seed;
  }
}

/** DI provider of the {@link SecurityContext}. */
export const securityContextProvider: Provider = {
  provide: SecurityContext,
  useFactory: (config: CoordinatorConfig) => SecurityContext.open(config.security),
  inject: [COORDINATOR_CONFIG],
};
