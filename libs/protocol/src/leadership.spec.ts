import { LEADER_KEY, LeaderLease } from './leadership.js';
import { refusal as refusalBy } from './schema-issues.spec-support.js';

function lease(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { coordinatorId: 'host-a:7070', instance: 'i-1f2e', url: 'http://host-a:7070', term: 3, ttlMs: 10_000, renewedAt: 1_700_000_000_000, ...over };
}

/** Each issue of a refused lease as `path: message`. */
const refusal = (value: unknown): string[] => refusalBy(LeaderLease, value);

describe('LEADER_KEY', () => {
  it('is "leader"', () => {
    expect(LEADER_KEY).toBe('leader');
  });
});

describe('LeaderLease', () => {
  it('decodes a valid lease to exactly its fields', () => {
    expect(LeaderLease.parse(lease())).toEqual({
      coordinatorId: 'host-a:7070',
      instance: 'i-1f2e',
      url: 'http://host-a:7070',
      term: 3,
      ttlMs: 10_000,
      renewedAt: 1_700_000_000_000,
    });
  });

  it('keeps released when present, either way, and leaves it out when absent', () => {
    expect(LeaderLease.parse(lease({ released: true })).released).toBe(true);
    expect(LeaderLease.parse(lease({ released: false })).released).toBe(false);
    expect('released' in LeaderLease.parse(lease())).toBe(false);
    expect(refusal(lease({ released: 'yes' }))).toEqual(['released: Invalid input: expected boolean, received string']);
  });

  it('refuses an unknown key', () => {
    expect(refusal(lease({ holder: 'x' }))).toEqual([': Unrecognized key: "holder"']);
  });

  it('bounds coordinatorId at 1..256 characters', () => {
    expect(LeaderLease.parse(lease({ coordinatorId: 'c' })).coordinatorId).toBe('c');
    expect(LeaderLease.parse(lease({ coordinatorId: 'c'.repeat(256) })).coordinatorId).toBe('c'.repeat(256));
    expect(refusal(lease({ coordinatorId: '' }))).toEqual(['coordinatorId: Too small: expected string to have >=1 characters']);
    expect(refusal(lease({ coordinatorId: 'c'.repeat(257) }))).toEqual(['coordinatorId: Too big: expected string to have <=256 characters']);
  });

  it('bounds instance at 1..64 characters', () => {
    expect(LeaderLease.parse(lease({ instance: 'i' })).instance).toBe('i');
    expect(LeaderLease.parse(lease({ instance: 'i'.repeat(64) })).instance).toBe('i'.repeat(64));
    expect(refusal(lease({ instance: '' }))).toEqual(['instance: Too small: expected string to have >=1 characters']);
    expect(refusal(lease({ instance: 'i'.repeat(65) }))).toEqual(['instance: Too big: expected string to have <=64 characters']);
  });

  it('wants url an http:// or https:// address of at most 2048 characters: standbys forward writes there', () => {
    const long = `https://${'u'.repeat(2040)}`;
    expect(LeaderLease.parse(lease({ url: long })).url).toBe(long);
    expect(LeaderLease.parse(lease({ url: 'https://10.0.0.7:7070' })).url).toBe('https://10.0.0.7:7070');
    expect(refusal(lease({ url: `${long}u` }))).toEqual(['url: Too big: expected string to have <=2048 characters']);
    for (const url of ['', 'host-a:7070', 'ftp://host-a', 'http://', 'http:// host-a']) expect(refusal(lease({ url }))).toEqual(['url: must be an http:// or https:// URL']);
  });

  it('wants term a positive integer', () => {
    expect(LeaderLease.parse(lease({ term: 1 })).term).toBe(1);
    expect(refusal(lease({ term: 0 }))).toEqual(['term: Too small: expected number to be >0']);
    expect(refusal(lease({ term: -1 }))).toEqual(['term: Too small: expected number to be >0']);
    expect(refusal(lease({ term: 1.5 }))).toEqual(['term: Invalid input: expected int, received number']);
  });

  it('bounds ttlMs at 1..3,600,000 integers', () => {
    expect(LeaderLease.parse(lease({ ttlMs: 1 })).ttlMs).toBe(1);
    expect(LeaderLease.parse(lease({ ttlMs: 3_600_000 })).ttlMs).toBe(3_600_000);
    expect(refusal(lease({ ttlMs: 3_600_001 }))).toEqual(['ttlMs: Too big: expected number to be <=3600000']);
    expect(refusal(lease({ ttlMs: 0 }))).toEqual(['ttlMs: Too small: expected number to be >0']);
    expect(refusal(lease({ ttlMs: -1 }))).toEqual(['ttlMs: Too small: expected number to be >0']);
    expect(refusal(lease({ ttlMs: 1.5 }))).toEqual(['ttlMs: Invalid input: expected int, received number']);
  });

  it('wants renewedAt a non-negative integer', () => {
    expect(LeaderLease.parse(lease({ renewedAt: 0 })).renewedAt).toBe(0);
    expect(LeaderLease.parse(lease({ renewedAt: 1 })).renewedAt).toBe(1);
    expect(refusal(lease({ renewedAt: -1 }))).toEqual(['renewedAt: Too small: expected number to be >=0']);
    expect(refusal(lease({ renewedAt: 1.5 }))).toEqual(['renewedAt: Invalid input: expected int, received number']);
  });

  it.each(['coordinatorId', 'instance', 'url', 'term', 'ttlMs', 'renewedAt'])('requires %p', (field) => {
    const value = lease();
    delete value[field];
    const issues = refusal(value);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^${field}: Invalid input: expected (string|number), received undefined$`));
  });
});
