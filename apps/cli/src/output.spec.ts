import { InvalidArgumentError } from 'commander';
import { NotFoundError, TransportError, ValidationError } from '@shoal/protocol';
import { ApiError } from './api-client.js';
import { Output, argvAsksJson, errorBody, usageError } from './output.js';

/** An Output writing into two buffers. */
function capture(json: boolean) {
  const streams = { stdout: [] as string[], stderr: [] as string[] };
  const output = new Output(() => json, { stdout: { write: (t: string) => streams.stdout.push(t) }, stderr: { write: (t: string) => streams.stderr.push(t) } });
  return { output, stdout: () => streams.stdout.join(''), stderr: () => streams.stderr.join('') };
}

const reply = { ok: true, revoked: 'tok-1' };

describe('Output: text for people, or --json for scripts', () => {
  it('without --json: the human rendering and notes on stdout', () => {
    const c = capture(false);
    c.output.show(reply, (r) => `token ${r.revoked} revoked`);
    c.output.text('a note');
    expect(c.stdout()).toBe('token tok-1 revoked\na note\n');
    expect(c.stderr()).toBe('');
  });

  it('with --json: stdout is exactly the value as one JSON document; notes go to stderr', () => {
    const c = capture(true);
    c.output.text('a note');
    c.output.show(reply, () => 'never shown');
    expect(JSON.parse(c.stdout())).toEqual(reply);
    expect(c.stdout()).not.toMatch(/note|never/);
    expect(c.stderr()).toBe('a note\n');
  });

  it('streams: one compact JSON value per line', () => {
    const c = capture(true);
    c.output.line({ event: 'runs', data: [] });
    c.output.line({ event: 'run', data: { type: 'run', state: 'running' } });
    expect(c.stdout().trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { event: 'runs', data: [] },
      { event: 'run', data: { type: 'run', state: 'running' } },
    ]);
  });

  it('errors: explained text, or with --json the API error shape, on stderr only', () => {
    const e = new ApiError(404, { error: 'E_NOT_FOUND', message: 'no run r-1' });
    const text = capture(false);
    text.output.error(e, () => 'error 404 E_NOT_FOUND: no run r-1');
    expect([text.stdout(), text.stderr()]).toEqual(['', 'error 404 E_NOT_FOUND: no run r-1\n']);
    const json = capture(true);
    json.output.error(e, () => 'unused');
    expect(json.stdout()).toBe('');
    expect(JSON.parse(json.stderr())).toEqual({ error: 'E_NOT_FOUND', message: 'no run r-1' });
  });

  it('refuseJson throws a validation error only with --json', () => {
    expect(() => capture(false).output.refuseJson('up', 'prints a log')).not.toThrow();
    expect(() => capture(true).output.refuseJson('up', 'prints a log')).toThrow(ValidationError);
    expect(() => capture(true).output.refuseJson('up', 'prints a log')).toThrow(/`shoal up` prints a log/);
  });
});

describe('errorBody', () => {
  it('keeps the API body of an HTTP error (issues included), E_HTTP when the body was not JSON', () => {
    const issues = [{ path: 'name', message: 'bad' }];
    expect(errorBody(new ApiError(400, { error: 'E_VALIDATION', message: 'refused', retryable: false, issues }))).toEqual({ error: 'E_VALIDATION', message: 'refused', retryable: false, issues });
    expect(errorBody(new ApiError(502, {}))).toEqual({ error: 'E_HTTP', message: 'HTTP 502' });
  });

  it('gives a Shoal error its code from the closed set, with issues when it has them', () => {
    expect(errorBody(new TransportError('cannot reach'))).toEqual({ error: 'E_TRANSPORT', message: 'cannot reach', retryable: true });
    expect(errorBody(new NotFoundError('gone'))).toEqual({ error: 'E_NOT_FOUND', message: 'gone', retryable: false });
    expect(errorBody(new ValidationError([{ path: 'a', message: 'b' }]))).toMatchObject({ error: 'E_VALIDATION', issues: [{ path: 'a', message: 'b' }] });
  });

  it('a refused argument is E_VALIDATION; anything else E_INTERNAL', () => {
    expect(errorBody(new InvalidArgumentError('must be an integer'))).toEqual({ error: 'E_VALIDATION', message: 'must be an integer' });
    expect(errorBody(new Error('boom'))).toEqual({ error: 'E_INTERNAL', message: 'boom' });
  });
});

describe('usage errors and the command line', () => {
  it("commander's message becomes the JSON error object with --json, and stays as it was without", () => {
    expect(usageError("error: unknown option '--bogus'\n", false)).toBe("error: unknown option '--bogus'\n");
    expect(JSON.parse(usageError("error: unknown option '--bogus'\n", true))).toEqual({ error: 'E_VALIDATION', message: "unknown option '--bogus'" });
  });

  it('--json counts before a `--` only', () => {
    expect(argvAsksJson(['status', '--json'])).toBe(true);
    expect(argvAsksJson(['--json', 'nodes'])).toBe(true);
    expect(argvAsksJson(['cache', 'put', 'global', 'k', '--', '--json'])).toBe(false);
    expect(argvAsksJson(['status'])).toBe(false);
  });
});
