import { AnswersField, SendKeysRequest } from './menus.js';

/**
 * Menus at their edges: the message that refuses a key name lists every allowed key, and the
 * `when` of a declared answer is either a plain menu id or a whole `/regular expression/`.
 * Every value is built inside the test that checks it.
 */

function whenAccepted(when: string): boolean {
  return AnswersField.safeParse([{ when, choose: 'yes' }]).success;
}

describe('shoal keys: refusing a key name', () => {
  it('lists the allowed keys separated by spaces', () => {
    const r = SendKeysRequest.safeParse({ keys: ['hello'] });
    expect(r.error?.issues[0]?.message).toBe(
      'not an allowed key name: "hello" (allowed: Up Down Left Right Home End PageUp PageDown PPage NPage Tab BTab Enter Escape Space BSpace C-c y n Y N 0 1 2 3 4 5 6 7 8 9; type text with send)',
    );
  });
});

describe('answers: when as a menu id', () => {
  it.each(['trust', 'api-key', '2fa', 'a'])('takes %s', (when) => {
    expect(whenAccepted(when)).toBe(true);
  });

  it.each([
    ['a space inside', 'trust folder'],
    ['an underscore', 'api_key'],
    ['a trailing slash', 'trust/'],
    ['a leading dash', '-trust'],
    ['upper case after the first letter', 'tRust'],
  ])('refuses an id with %s (%s)', (_what, when) => {
    expect(whenAccepted(when)).toBe(false);
  });
});

describe('answers: when as a /regular expression/', () => {
  it.each(['/Detected a custom API key/', '/a\\//', '/https?:\\/\\/x/', '/x/'])('takes %s', (when) => {
    expect(whenAccepted(when)).toBe(true);
  });

  it.each([
    ['an empty expression', '//'],
    ['no closing slash', '/trust'],
    ['a leading quantifier', '/*x/'],
    ['a lone quantifier', '/+/'],
    ['an unclosed group', '/(/'],
  ])('refuses %s (%s)', (_what, when) => {
    expect(whenAccepted(when)).toBe(false);
  });

  it('refuses the same way in the map form', () => {
    expect(AnswersField.safeParse({ '//': 'yes' }).success).toBe(false);
    expect(AnswersField.safeParse({ '/Trust this folder/': 'yes' }).success).toBe(true);
  });
});
