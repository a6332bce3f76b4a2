/**
 * A strict reader of the TOML subset {@link renderCodexToml} and the `-c` overrides write (tables of
 * dotted bare keys; basic strings with TOML 1.0 escapes; arrays of strings; inline tables of
 * strings; integers; booleans). Anything else throws: tests use it to prove the output is TOML
 * that reads back to the same values. Not a general TOML parser.
 */
export type TomlRead = string | number | boolean | string[] | Record<string, string>;

class Reader {
  i = 0;
  constructor(readonly s: string) {}
  fail(what: string): never {
    throw new Error(`TOML: ${what} at ${this.i}: ${JSON.stringify(this.s.slice(this.i, this.i + 20))}`);
  }
  ws(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }
  eat(c: string): void {
    if (this.s[this.i] !== c) this.fail(`expected ${JSON.stringify(c)}`);
    this.i++;
  }
  bareKey(): string {
    const m = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.i));
    if (!m) this.fail('expected a key');
    this.i += m[0].length;
    return m[0];
  }
  key(): string {
    return this.s[this.i] === '"' ? this.string() : this.bareKey();
  }
  dottedKey(): string[] {
    const parts = [this.key()];
    while (this.s[this.i] === '.') {
      this.i++;
      parts.push(this.key());
    }
    return parts;
  }
  string(): string {
    this.eat('"');
    let out = '';
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) this.fail('unterminated string');
      if (c === '"') return out;
      if (c === '\\') {
        const e = this.s[this.i++];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', b: '\b', t: '\t', n: '\n', f: '\f', r: '\r' };
        if (e in simple) out += simple[e];
        else if (e === 'u' || e === 'U') {
          const n = e === 'u' ? 4 : 8;
          const hex = this.s.slice(this.i, this.i + n);
          if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== n) this.fail('bad unicode escape');
          out += String.fromCodePoint(parseInt(hex, 16));
          this.i += n;
        } else this.fail('bad escape');
        continue;
      }
      if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(c)) this.fail('control character in a basic string');
      out += c;
    }
  }
  value(): TomlRead {
    const c = this.s[this.i];
    if (c === '"') return this.string();
    if (c === '[') {
      this.i++;
      const out: string[] = [];
      this.ws();
      while (this.s[this.i] !== ']') {
        out.push(this.string());
        this.ws();
        if (this.s[this.i] === ',') {
          this.i++;
          this.ws();
        } else if (this.s[this.i] !== ']') this.fail('expected , or ]');
      }
      this.i++;
      return out;
    }
    if (c === '{') {
      this.i++;
      const out: Record<string, string> = {};
      this.ws();
      while (this.s[this.i] !== '}') {
        const k = this.key();
        if (k in out) this.fail(`duplicate key ${k}`);
        this.ws();
        this.eat('=');
        this.ws();
        out[k] = this.string();
        this.ws();
        if (this.s[this.i] === ',') {
          this.i++;
          this.ws();
        } else if (this.s[this.i] !== '}') this.fail('expected , or }');
      }
      this.i++;
      return out;
    }
    const m = /^(true|false|-?\d+(\.\d+)?)/.exec(this.s.slice(this.i));
    if (!m) this.fail('expected a value');
    this.i += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : Number(m[0]);
  }
}

/** Reads one `key.path = value` (a `-c` override): its key parts and value; the whole text must be used. */
export function readTomlAssignment(text: string): { key: string[]; value: TomlRead } {
  const r = new Reader(text);
  const key = r.dottedKey();
  r.eat('=');
  const value = r.value();
  if (r.i !== text.length) r.fail('trailing text');
  return { key, value };
}

/** Reads a document of `[table.path]` headers and `key = value` lines into nested objects. */
export function readTomlDocument(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let table = root;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const r = new Reader(line);
    if (line.startsWith('[')) {
      r.i = 1;
      const path = r.dottedKey();
      r.eat(']');
      if (r.i !== line.length) r.fail('trailing text');
      table = root;
      for (const p of path) table = (table[p] ??= {}) as Record<string, unknown>;
      continue;
    }
    const key = r.dottedKey();
    r.ws();
    r.eat('=');
    r.ws();
    const value = r.value();
    if (r.i !== line.length) r.fail('trailing text');
    let t = table;
    for (const p of key.slice(0, -1)) t = (t[p] ??= {}) as Record<string, unknown>;
    if (key[key.length - 1] in t) r.fail(`duplicate key ${key.join('.')}`);
    t[key[key.length - 1]] = value;
  }
  return root;
}
