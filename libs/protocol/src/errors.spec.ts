import {
  AuthenticationError,
  ConflictError,
  DecodeError,
  DependencyError,
  ExecutionError,
  formatIssues,
  isShoalError,
  NotFoundError,
  NotLeaderError,
  PermissionError,
  ShoalError,
  TimeoutError,
  TransportError,
  ValidationError,
} from './errors.js';

describe('error classes with a message', () => {
  it.each([
    [NotFoundError, 'NotFoundError', 'E_NOT_FOUND', false],
    [ConflictError, 'ConflictError', 'E_CONFLICT', false],
    [TransportError, 'TransportError', 'E_TRANSPORT', true],
    [TimeoutError, 'TimeoutError', 'E_TIMEOUT', true],
    [DependencyError, 'DependencyError', 'E_DEPENDENCY', false],
    [AuthenticationError, 'AuthenticationError', 'E_UNAUTHENTICATED', false],
    [PermissionError, 'PermissionError', 'E_FORBIDDEN', false],
    [NotLeaderError, 'NotLeaderError', 'E_NOT_LEADER', true],
  ] as const)('%p has name %p, code %p, retryable %p', (Cls, name, code, retryable) => {
    const cause = new Error('underneath');
    const e = new Cls('it went wrong', { cause });
    expect(e.name).toBe(name);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.message).toBe('it went wrong');
    expect(e.cause).toBe(cause);
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(ShoalError);
    expect(isShoalError(e)).toBe(true);
    expect(String(e)).toBe(`${name}: it went wrong`);
  });

  it('has no cause when none is given', () => {
    const e = new NotFoundError('missing');
    expect(e.cause).toBeUndefined();
    expect('cause' in e).toBe(false);
  });
});

describe('ExecutionError', () => {
  it('carries the retryable flag it is given', () => {
    const cause = new Error('spawn failed');
    const yes = new ExecutionError('tmux died', true, { cause });
    expect(yes.name).toBe('ExecutionError');
    expect(yes.code).toBe('E_EXECUTION');
    expect(yes.retryable).toBe(true);
    expect(yes.message).toBe('tmux died');
    expect(yes.cause).toBe(cause);
    expect(isShoalError(yes)).toBe(true);
    const no = new ExecutionError('bad command', false);
    expect(no.retryable).toBe(false);
    expect(no.message).toBe('bad command');
    expect(no.cause).toBeUndefined();
  });
});

describe('ValidationError', () => {
  it('renders its issues as its message and keeps them', () => {
    const issues = [
      { path: 'phases[0].id', message: 'must match' },
      { path: '', message: 'too many' },
    ];
    const cause = new Error('zod');
    const e = new ValidationError(issues, { cause });
    expect(e.name).toBe('ValidationError');
    expect(e.code).toBe('E_VALIDATION');
    expect(e.retryable).toBe(false);
    expect(e.issues).toBe(issues);
    expect(e.message).toBe('phases[0].id: must match\n(root): too many');
    expect(e.cause).toBe(cause);
    expect(isShoalError(e)).toBe(true);
  });

  it('has an empty message without issues and no cause by default', () => {
    const e = new ValidationError([]);
    expect(e.message).toBe('');
    expect(e.issues).toEqual([]);
    expect(e.cause).toBeUndefined();
  });
});

describe('DecodeError', () => {
  it('keeps the bare message and empty issues when none are given', () => {
    const e = new DecodeError('bad json');
    expect(e.name).toBe('DecodeError');
    expect(e.code).toBe('E_DECODE');
    expect(e.retryable).toBe(false);
    expect(e.message).toBe('bad json');
    expect(e.issues).toEqual([]);
    expect(e.cause).toBeUndefined();
    expect(isShoalError(e)).toBe(true);
  });

  it('keeps the bare message with an explicit empty issue list', () => {
    const cause = new SyntaxError('Unexpected token');
    const e = new DecodeError('bad json', [], { cause });
    expect(e.message).toBe('bad json');
    expect(e.cause).toBe(cause);
  });

  it('appends the issues after a colon', () => {
    const issues = [
      { path: 'v', message: 'expected 1' },
      { path: 'body.size', message: 'too big' },
    ];
    const e = new DecodeError('invalid status', issues);
    expect(e.message).toBe('invalid status: v: expected 1\nbody.size: too big');
    expect(e.issues).toBe(issues);
  });

  it('appends one root issue', () => {
    expect(new DecodeError('invalid', [{ path: '', message: 'not an object' }]).message).toBe('invalid: (root): not an object');
  });
});

describe('isShoalError', () => {
  it('is false for anything that is not a Shoal error', () => {
    expect(isShoalError(new Error('x'))).toBe(false);
    expect(isShoalError(new TypeError('x'))).toBe(false);
    expect(isShoalError({ code: 'E_DECODE', retryable: false, name: 'DecodeError', message: 'x' })).toBe(false);
    expect(isShoalError('E_DECODE')).toBe(false);
    expect(isShoalError(undefined)).toBe(false);
    expect(isShoalError(null)).toBe(false);
  });

  it('is true for each kind of Shoal error', () => {
    expect(isShoalError(new TimeoutError('late'))).toBe(true);
    expect(isShoalError(new DecodeError('x'))).toBe(true);
    expect(isShoalError(new ValidationError([]))).toBe(true);
  });
});

describe('formatIssues', () => {
  it('renders path: message, one per line', () => {
    expect(formatIssues([{ path: 'a.b', message: 'is required' }])).toBe('a.b: is required');
    expect(
      formatIssues([
        { path: 'x', message: 'one' },
        { path: 'y[2]', message: 'two' },
        { path: 'z', message: 'three' },
      ]),
    ).toBe('x: one\ny[2]: two\nz: three');
  });

  it('names an empty path (root)', () => {
    expect(formatIssues([{ path: '', message: 'not an object' }])).toBe('(root): not an object');
  });

  it('is empty for no issues', () => {
    expect(formatIssues([])).toBe('');
  });

  it('keeps an empty message after the colon', () => {
    expect(formatIssues([{ path: 'p', message: '' }])).toBe('p: ');
  });
});
