import { zodIssues } from '../plan-loader.js';
import { SEND_TEXT_MAX, SendTextRequest } from './runs.js';

const ONE_LINE = `must be one line of 1 to ${SEND_TEXT_MAX} characters without control characters`;

/** The issues the coordinator answers 400 with for `body`, or [] when it passes. */
function issuesOf(body: unknown): { path: string; message: string }[] {
  const r = SendTextRequest.safeParse(body ?? {}, { reportInput: true });
  return r.success ? [] : zodIssues(r.error);
}

describe('SendTextRequest (POST /runs/:id/tasks/:task/send)', () => {
  it('passes one line of text, up to the limit, and ignores other fields', () => {
    expect(SendTextRequest.parse({ text: 'yes, go on' })).toEqual({ text: 'yes, go on' });
    expect(SendTextRequest.parse({ text: 'x'.repeat(SEND_TEXT_MAX) }).text).toHaveLength(SEND_TEXT_MAX);
    expect(SendTextRequest.parse({ text: 'ünïcödé ✓', extra: 1 })).toEqual({ text: 'ünïcödé ✓' });
  });

  it.each([
    ['a missing text', {}],
    ['no body at all', undefined],
    ['an empty text', { text: '' }],
    ['a text over the limit', { text: 'x'.repeat(SEND_TEXT_MAX + 1) }],
    ['a newline', { text: 'a\nb' }],
    ['an escape sequence', { text: 'a\u001b[2Jb' }],
    ['a DEL', { text: 'a\u007f' }],
    ['a number', { text: 42 }],
  ])('refuses %s, naming the field once', (_why, body) => {
    expect(issuesOf(body)).toEqual([{ path: 'text', message: ONE_LINE }]);
  });
});
