/**
 * The little TOML Codex's MCP settings need (TOML 1.0): basic strings, arrays of strings, inline
 * tables of strings, keys. Written here rather than taken from a library: no TOML library is a
 * dependency, and this subset is small enough to check completely (toml.spec.ts).
 */

const ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };

/** A TOML basic string: quotes and backslashes escaped, every control character as an escape. */
export function tomlString(s: string): string {
  return `"${s.replace(/["\\\u0000-\u001f\u007f]/g, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)}"`;
}

/** A key: bare when it may be (A-Z a-z 0-9 _ -), else quoted. */
export function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k);
}

/** A value: string, number, boolean, array of strings, or a table of strings (inline). */
export type TomlValue = string | number | boolean | readonly string[] | Readonly<Record<string, string>>;

/** A value as TOML text (inline form). */
export function tomlValue(v: TomlValue): string {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`not a TOML number: ${v}`);
    return Number.isInteger(v) ? String(v) : v.toString();
  }
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlString).join(', ')}]`;
  const entries = Object.entries(v as Record<string, string>);
  return entries.length ? `{ ${entries.map(([k, x]) => `${tomlKey(k)} = ${tomlString(x)}`).join(', ')} }` : '{}';
}
