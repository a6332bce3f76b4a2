/**
 * Pure helpers of the capture script: scrubbing a captured screen of machine-specific text, and
 * deciding when a screen is stable. No I/O here (tested in apps/node-agent/src/presets).
 */

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces machine-specific text in a screen: the scratch repo -> `<repo>`, the scratch HOME and the
 * user's home -> `~`, the CLI install dir -> `<install>`, the host name -> `<host>`, dates -> `<date>`,
 * UUIDs -> `<uuid>`, session ids -> `<id>`. Longest paths first, so a repo inside HOME stays `<repo>`.
 * Also drops trailing spaces of lines and trailing blank lines.
 * @param {string} screen
 * @param {{ repo?: string, home?: string, userHome?: string, install?: string, host?: string }} where
 */
export function scrubScreen(screen, where) {
  return trimScreen(scrubText(screen, where));
}

/**
 * The replacements of {@link scrubScreen} alone, lines untouched: for raw terminal bytes (recorded
 * logs), where trimming would change the stream.
 * @param {string} text
 * @param {{ repo?: string, home?: string, userHome?: string, install?: string, host?: string }} where
 */
export function scrubText(text, where) {
  const pairs = [
    [where.repo, '<repo>'],
    [where.install, '<install>'],
    [where.home, '~'],
    [where.userHome, '~'],
  ].filter(([p]) => p && p.length > 1);
  pairs.sort((a, b) => b[0].length - a[0].length);
  let out = text;
  for (const [path, label] of pairs) out = out.replace(new RegExp(escape(path), 'g'), label);
  if (where.host && where.host.length >= 4) out = out.replace(new RegExp(`\\b${escape(where.host)}\\b`, 'g'), '<host>');
  out = out
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/\bses_[A-Za-z0-9]{8,}\b/g, 'ses_<id>')
    .replace(/\b\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?)?\b/g, '<date>')
    .replace(/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{2}:\d{2}:\d{2} \d{4}\b/g, '<date>');
  return out;
}

/** Drops trailing spaces of each line and trailing blank lines; ends with one newline. */
export function trimScreen(screen) {
  const lines = screen.split('\n').map((l) => l.replace(/\s+$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return `${lines.join('\n')}\n`;
}

/**
 * What the capture script ignores when it waits for a screen to settle: digit runs (counters,
 * countdowns), braille and other spinner glyphs, block-drawing progress bars. A screen that only
 * animates these is "stable".
 */
export function settleKey(screen) {
  return trimScreen(screen)
    .replace(/[\u2800-\u28ff]/g, '⠿')
    .replace(/[✻✶✢✳✽·*◐◓◑◒◦•]/g, '*')
    .replace(/[■⬝▪▫]/g, '■')
    .replace(/\d+/g, '#');
}

/**
 * Decides when a screen has settled: unchanged (by {@link settleKey}) for `windowMs`.
 * Feed it each poll with the clock; pure.
 */
export class SettleWatch {
  /** @param {number} windowMs */
  constructor(windowMs) {
    this.windowMs = windowMs;
    this.key = undefined;
    this.since = 0;
  }

  /**
   * @param {string} screen
   * @param {number} now
   * @returns {boolean} true once the screen has not changed for the window
   */
  feed(screen, now) {
    const key = settleKey(screen);
    if (key !== this.key) {
      this.key = key;
      this.since = now;
    }
    return now - this.since >= this.windowMs;
  }
}
