import { CreateJoinTokenRequest, CreateTokenRequest, EnrolReply, EnrolRequest, UserPublicKey } from './security.js';
import { refusal, decoded } from './schema-issues.spec-support.js';

// Every value is built inside the test that checks it: Stryker judges security.ts per test.

/** A valid user nkey: `U` + 55 characters drawn from the whole base32 alphabet. */
function nkey(): string {
  return `U${'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.repeat(2).slice(0, 55)}`;
}

function enrol(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, token: 'shoaljoin_abcdefgh', nodeId: 'node-a', publicKey: nkey(), ...over };
}

function reply(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, nodeId: 'node-a', namespace: 'fleet', servers: ['nats://nats-1:4222'], inboxPrefix: '_INBOX_fleet_node-a', ...over };
}

const NKEY_MSG = 'must be a NATS user public nkey (U followed by 55 base32 characters)';
const NAME_MSG = 'letters, digits, spaces, dot, dash, underscore';
const KEY_MSG = 'Invalid key in record';
const VALUE_MSG = 'Invalid string: must match pattern /^[A-Za-z0-9._-]{0,63}$/';

describe('UserPublicKey', () => {
  it('accepts U followed by exactly 55 base32 characters', () => {
    expect(nkey()).toHaveLength(56);
    expect(decoded(UserPublicKey, nkey())).toBe(nkey());
  });

  it('refuses a valid key behind a bad prefix (anchored at the start)', () => {
    expect(refusal(UserPublicKey, `x${nkey()}`)).toEqual([`: ${NKEY_MSG}`]);
    expect(refusal(UserPublicKey, `S${nkey()}`)).toEqual([`: ${NKEY_MSG}`]);
  });

  it('refuses a valid key followed by one more character (anchored at the end)', () => {
    expect(refusal(UserPublicKey, `${nkey()}A`)).toEqual([`: ${NKEY_MSG}`]);
    expect(refusal(UserPublicKey, `${nkey()}!`)).toEqual([`: ${NKEY_MSG}`]);
  });

  it('refuses 54 characters after U, non-base32 characters and another prefix letter', () => {
    expect(refusal(UserPublicKey, nkey().slice(0, 55))).toEqual([`: ${NKEY_MSG}`]);
    expect(refusal(UserPublicKey, `U${'1'.repeat(55)}`)).toEqual([`: ${NKEY_MSG}`]);
    expect(refusal(UserPublicKey, `U${'a'.repeat(55)}`)).toEqual([`: ${NKEY_MSG}`]);
    expect(refusal(UserPublicKey, `N${'A'.repeat(55)}`)).toEqual([`: ${NKEY_MSG}`]);
  });

  it('names the public key field in an enrol request with its own message', () => {
    expect(refusal(EnrolRequest, enrol({ publicKey: `SU${'A'.repeat(56)}` }))).toEqual([`publicKey: ${NKEY_MSG}`]);
  });
});

describe('EnrolRequest', () => {
  it('decodes a full valid request to exactly itself', () => {
    const full = enrol({ hostname: 'host-a.example.org', labels: { zone: 'eu-1', 'gpu/type': 'A100_80g.x' } });
    expect(decoded(EnrolRequest, full)).toEqual({
      v: 1,
      token: 'shoaljoin_abcdefgh',
      nodeId: 'node-a',
      publicKey: nkey(),
      hostname: 'host-a.example.org',
      labels: { zone: 'eu-1', 'gpu/type': 'A100_80g.x' },
    });
  });

  it('decodes a request without hostname and labels without adding them', () => {
    expect(decoded(EnrolRequest, enrol())).toEqual({ v: 1, token: 'shoaljoin_abcdefgh', nodeId: 'node-a', publicKey: nkey() });
  });

  it('refuses an unknown key', () => {
    expect(refusal(EnrolRequest, enrol({ extra: 1 }))).toEqual([': Unrecognized key: "extra"']);
  });

  it('hostname: one character and 255 accepted, 256 refused', () => {
    expect(refusal(EnrolRequest, enrol({ hostname: 'h' }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ hostname: 'h'.repeat(255) }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ hostname: 'h'.repeat(256) }))).toEqual(['hostname: Too big: expected string to have <=255 characters']);
  });

  it('token: 8 and 256 characters accepted, 7 and 257 refused', () => {
    expect(refusal(EnrolRequest, enrol({ token: 't'.repeat(8) }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ token: 't'.repeat(256) }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ token: 't'.repeat(7) }))).toEqual(['token: Too small: expected string to have >=8 characters']);
    expect(refusal(EnrolRequest, enrol({ token: 't'.repeat(257) }))).toEqual(['token: Too big: expected string to have <=256 characters']);
  });
});

describe('EnrolRequest labels: keys', () => {
  it('accepts a one-character key, a two-character key and every allowed punctuation', () => {
    expect(refusal(EnrolRequest, enrol({ labels: { a: 'x' } }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ labels: { '7': 'x' } }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ labels: { ab: 'x' } }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ labels: { 'a.b_c/d-e9': 'x' } }))).toEqual([]);
  });

  it('63 characters accepted, 64 refused', () => {
    expect(refusal(EnrolRequest, enrol({ labels: { ['k'.repeat(63)]: 'x' } }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ labels: { ['k'.repeat(64)]: 'x' } }))).toEqual([`labels.${'k'.repeat(64)}: ${KEY_MSG}`]);
  });

  it('refuses a valid key behind a bad first character (anchored at the start)', () => {
    expect(refusal(EnrolRequest, enrol({ labels: { Ab: 'x' } }))).toEqual([`labels.Ab: ${KEY_MSG}`]);
    expect(refusal(EnrolRequest, enrol({ labels: { '-ab': 'x' } }))).toEqual([`labels.-ab: ${KEY_MSG}`]);
    expect(refusal(EnrolRequest, enrol({ labels: { '.a': 'x' } }))).toEqual([`labels..a: ${KEY_MSG}`]);
  });

  it('refuses a valid key followed by a bad character (anchored at the end)', () => {
    expect(refusal(EnrolRequest, enrol({ labels: { aB: 'x' } }))).toEqual([`labels.aB: ${KEY_MSG}`]);
    expect(refusal(EnrolRequest, enrol({ labels: { 'ab c': 'x' } }))).toEqual([`labels.ab c: ${KEY_MSG}`]);
  });

  it('refuses an empty key', () => {
    expect(refusal(EnrolRequest, enrol({ labels: { '': 'x' } }))).toEqual([`labels.: ${KEY_MSG}`]);
  });
});

describe('EnrolRequest labels: values', () => {
  it('accepts an empty value, one character, mixed case and every allowed punctuation', () => {
    expect(refusal(EnrolRequest, enrol({ labels: { a: '' } }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ labels: { a: 'Z' } }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ labels: { a: 'Ab' } }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ labels: { a: 'A-b_c.9' } }))).toEqual([]);
  });

  it('63 characters accepted, 64 refused', () => {
    expect(refusal(EnrolRequest, enrol({ labels: { a: 'v'.repeat(63) } }))).toEqual([]);
    expect(refusal(EnrolRequest, enrol({ labels: { a: 'v'.repeat(64) } }))).toEqual([`labels.a: ${VALUE_MSG}`]);
  });

  it('refuses a valid value behind a bad prefix (anchored at the start)', () => {
    expect(refusal(EnrolRequest, enrol({ labels: { a: '!ab' } }))).toEqual([`labels.a: ${VALUE_MSG}`]);
    expect(refusal(EnrolRequest, enrol({ labels: { a: '/ab' } }))).toEqual([`labels.a: ${VALUE_MSG}`]);
  });

  it('refuses a valid value followed by a bad suffix (anchored at the end)', () => {
    expect(refusal(EnrolRequest, enrol({ labels: { a: 'ab!' } }))).toEqual([`labels.a: ${VALUE_MSG}`]);
    expect(refusal(EnrolRequest, enrol({ labels: { a: 'ab c' } }))).toEqual([`labels.a: ${VALUE_MSG}`]);
  });
});

describe('EnrolReply', () => {
  it('decodes a full valid reply to exactly itself', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';
    const full = reply({ servers: ['nats://nats-1:4222', 'tls://nats-2:4222'], caPem: pem });
    expect(decoded(EnrolReply, full)).toEqual({
      v: 1,
      nodeId: 'node-a',
      namespace: 'fleet',
      servers: ['nats://nats-1:4222', 'tls://nats-2:4222'],
      inboxPrefix: '_INBOX_fleet_node-a',
      caPem: pem,
    });
  });

  it('decodes a reply without caPem without adding it', () => {
    expect(decoded(EnrolReply, reply())).toEqual({ v: 1, nodeId: 'node-a', namespace: 'fleet', servers: ['nats://nats-1:4222'], inboxPrefix: '_INBOX_fleet_node-a' });
  });

  it('refuses an unknown key and a missing field', () => {
    expect(refusal(EnrolReply, reply({ extra: true }))).toEqual([': Unrecognized key: "extra"']);
    expect(refusal(EnrolReply, reply({ inboxPrefix: undefined }))).toEqual(['inboxPrefix: Invalid input: expected string, received undefined']);
  });

  it('namespace: one character and 31 accepted, 32 refused', () => {
    expect(refusal(EnrolReply, reply({ namespace: 'f' }))).toEqual([]);
    expect(refusal(EnrolReply, reply({ namespace: 'n'.repeat(31) }))).toEqual([]);
    expect(refusal(EnrolReply, reply({ namespace: 'n'.repeat(32) }))).toEqual(['namespace: Too big: expected string to have <=31 characters']);
  });

  it('servers: 1, 2 and 16 accepted, none and 17 refused', () => {
    const urls = (n: number) => Array.from({ length: n }, (_, i) => `nats://nats-${i}:4222`);
    expect(refusal(EnrolReply, reply({ servers: urls(1) }))).toEqual([]);
    expect(refusal(EnrolReply, reply({ servers: urls(2) }))).toEqual([]);
    expect(refusal(EnrolReply, reply({ servers: urls(16) }))).toEqual([]);
    expect(refusal(EnrolReply, reply({ servers: [] }))).toEqual(['servers: Too small: expected array to have >=1 items']);
    expect(refusal(EnrolReply, reply({ servers: urls(17) }))).toEqual(['servers: Too big: expected array to have <=16 items']);
  });

  it('each server URL: short and 512 characters accepted, 513 refused at its index', () => {
    const url = (n: number) => `nats://${'h'.repeat(n - 'nats://'.length)}`;
    expect(url(512)).toHaveLength(512);
    expect(refusal(EnrolReply, reply({ servers: ['tls://a:1'] }))).toEqual([]);
    expect(refusal(EnrolReply, reply({ servers: ['nats://a:1', url(512)] }))).toEqual([]);
    expect(refusal(EnrolReply, reply({ servers: ['nats://a:1', url(513)] }))).toEqual(['servers.1: Too big: expected string to have <=512 characters']);
  });

  it('inboxPrefix: short and 128 characters accepted, 129 refused', () => {
    expect(refusal(EnrolReply, reply({ inboxPrefix: '_INBOX_f_n' }))).toEqual([]);
    expect(refusal(EnrolReply, reply({ inboxPrefix: 'i'.repeat(128) }))).toEqual([]);
    expect(refusal(EnrolReply, reply({ inboxPrefix: 'i'.repeat(129) }))).toEqual(['inboxPrefix: Too big: expected string to have <=128 characters']);
  });

  it('caPem: short and 65,536 characters (64 KiB) accepted, 65,537 refused', () => {
    expect(refusal(EnrolReply, reply({ caPem: 'x' }))).toEqual([]);
    expect(refusal(EnrolReply, reply({ caPem: 'p'.repeat(65_536) }))).toEqual([]);
    expect(refusal(EnrolReply, reply({ caPem: 'p'.repeat(65_537) }))).toEqual(['caPem: Too big: expected string to have <=65536 characters']);
  });
});

describe('CreateTokenRequest', () => {
  it('decodes a full valid request to exactly itself', () => {
    expect(decoded(CreateTokenRequest, { scope: 'operate', name: 'CI bot_1.x-y' })).toEqual({ scope: 'operate', name: 'CI bot_1.x-y' });
  });

  it('decodes a request with only a scope, for each scope', () => {
    for (const scope of ['read', 'operate', 'admin']) expect(decoded(CreateTokenRequest, { scope })).toEqual({ scope });
  });

  it('refuses an unknown key, a missing scope and an unknown scope', () => {
    expect(refusal(CreateTokenRequest, { scope: 'read', ttl: 5 })).toEqual([': Unrecognized key: "ttl"']);
    expect(refusal(CreateTokenRequest, {})).toEqual(['scope: Invalid option: expected one of "read"|"operate"|"admin"']);
    expect(refusal(CreateTokenRequest, { scope: 'root' })).toEqual(['scope: Invalid option: expected one of "read"|"operate"|"admin"']);
  });

  it('name: 1, 2 and 64 characters accepted, empty and 65 refused', () => {
    expect(refusal(CreateTokenRequest, { scope: 'read', name: 'a' })).toEqual([]);
    expect(refusal(CreateTokenRequest, { scope: 'read', name: 'ab' })).toEqual([]);
    expect(refusal(CreateTokenRequest, { scope: 'read', name: 'n'.repeat(64) })).toEqual([]);
    expect(refusal(CreateTokenRequest, { scope: 'read', name: '' })).toEqual(['name: Too small: expected string to have >=1 characters', `name: ${NAME_MSG}`]);
    expect(refusal(CreateTokenRequest, { scope: 'read', name: 'n'.repeat(65) })).toEqual(['name: Too big: expected string to have <=64 characters']);
  });

  it('name: refuses a valid name behind a bad prefix or followed by a bad suffix, naming the allowed characters', () => {
    expect(refusal(CreateTokenRequest, { scope: 'read', name: '!ci bot' })).toEqual([`name: ${NAME_MSG}`]);
    expect(refusal(CreateTokenRequest, { scope: 'read', name: 'ci bot!' })).toEqual([`name: ${NAME_MSG}`]);
    expect(refusal(CreateTokenRequest, { scope: 'read', name: 'ci/bot' })).toEqual([`name: ${NAME_MSG}`]);
  });
});

describe('CreateJoinTokenRequest', () => {
  it('decodes a full valid request to exactly itself, and an empty one to {}', () => {
    expect(decoded(CreateJoinTokenRequest, { ttlMs: 90_000 })).toEqual({ ttlMs: 90_000 });
    expect(decoded(CreateJoinTokenRequest, {})).toEqual({});
  });

  it('refuses an unknown key', () => {
    expect(refusal(CreateJoinTokenRequest, { ttlMs: 90_000, scope: 'admin' })).toEqual([': Unrecognized key: "scope"']);
  });

  it('ttlMs: 1000 and 1001 accepted, 999 refused', () => {
    expect(refusal(CreateJoinTokenRequest, { ttlMs: 1000 })).toEqual([]);
    expect(refusal(CreateJoinTokenRequest, { ttlMs: 1001 })).toEqual([]);
    expect(refusal(CreateJoinTokenRequest, { ttlMs: 999 })).toEqual(['ttlMs: Too small: expected number to be >=1000']);
  });

  it('ttlMs: 7 days (604,800,000 ms) accepted, one ms more refused', () => {
    expect(refusal(CreateJoinTokenRequest, { ttlMs: 604_800_000 })).toEqual([]);
    expect(refusal(CreateJoinTokenRequest, { ttlMs: 604_800_001 })).toEqual(['ttlMs: Too big: expected number to be <=604800000']);
  });

  it('ttlMs: whole milliseconds only', () => {
    expect(refusal(CreateJoinTokenRequest, { ttlMs: 1000.5 })).toEqual(['ttlMs: Invalid input: expected int, received number']);
  });
});
