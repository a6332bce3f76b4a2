import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, IdempotencyKey, LOG_RENDERS } from './runs.js';
import { refusal as refusalBy } from '../schema-issues.spec-support.js';

// Every value is built inside the test that checks it: Stryker judges runs.ts per test.

const KEY_MSG = 'must be 1 to 128 letters, digits or . _ : - (e.g. a UUID), one key per submission, the same on its retries';

/** Each issue of a refused key as `path: message` (empty when the key is accepted). */
const refusal = (value: unknown): string[] => refusalBy(IdempotencyKey, value);

describe('idempotency headers', () => {
  it('are named Idempotency-Key and Idempotent-Replayed', () => {
    expect(IDEMPOTENCY_KEY_HEADER).toBe('Idempotency-Key');
    expect(IDEMPOTENT_REPLAYED_HEADER).toBe('Idempotent-Replayed');
  });
});

describe('IdempotencyKey', () => {
  it('decodes a UUID and every allowed character to themselves', () => {
    expect(IdempotencyKey.parse('3f2b8c1e-9d4a-4c7b-8e2f-1a2b3c4d5e6f')).toBe('3f2b8c1e-9d4a-4c7b-8e2f-1a2b3c4d5e6f');
    expect(IdempotencyKey.parse('aZ09._:-')).toBe('aZ09._:-');
  });

  it('takes 1 and 128 characters and refuses 129', () => {
    expect(IdempotencyKey.parse('k')).toBe('k');
    expect(IdempotencyKey.parse('ab')).toBe('ab');
    expect(IdempotencyKey.parse('k'.repeat(128))).toHaveLength(128);
    expect(refusal('k'.repeat(129))).toEqual([`: ${KEY_MSG}`]);
    expect(refusal('')).toEqual([`: ${KEY_MSG}`]);
  });

  it('refuses a bad character before a valid key (anchored at the start)', () => {
    expect(refusal('!abc')).toEqual([`: ${KEY_MSG}`]);
    expect(refusal(' abc')).toEqual([`: ${KEY_MSG}`]);
  });

  it('refuses a bad character after a valid key (anchored at the end)', () => {
    expect(refusal('abc!')).toEqual([`: ${KEY_MSG}`]);
    expect(refusal('abc/def')).toEqual([`: ${KEY_MSG}`]);
  });
});

describe('LOG_RENDERS', () => {
  it('are text then raw', () => {
    expect(LOG_RENDERS).toEqual(['text', 'raw']);
  });
});
