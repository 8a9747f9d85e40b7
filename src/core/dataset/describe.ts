// Short, bounded descriptions of file-controlled values for diagnostics. A value read from the
// dataset is never copied into a message whole (a 3 MB string would become a 3 MB message in --json
// and in the cache index) and never walked recursively (a value nested 5,000 deep overflows the
// stack of JSON.stringify): only its type, its size and a short excerpt.
import { thousands } from '../util/format';

/** Longest excerpt of a file-controlled string quoted in a message. */
export const EXCERPT_CHARS = 40;
/** Longest diagnostic message kept (anything longer is cut with an ellipsis). */
export const MAX_MESSAGE_CHARS = 300;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The string with lone surrogates (from `\\ud800` escapes, or a cut pair) replaced by U+FFFD. */
export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\ufffd');
}

/** A string quoted for a message: at most `max` characters, control characters and quotes escaped. */
export function excerpt(s: string, max = EXCERPT_CHARS): string {
  const head = s.length > max ? s.slice(0, max) : s;
  // Escape only what would break a one-line message; lone surrogates become U+FFFD.
  const safe = wellFormed(head)
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/"/g, '\\"');
  return `"${safe}${s.length > max ? '…' : ''}"`;
}

const plural = (n: number, word: string) => `${thousands(n)} ${word}${n === 1 ? '' : 's'}`;

/** What a parsed JSON value is, by type and size, without walking into it: `a string of 12 chars "…"`, `an array of 3 items`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (typeof v === 'string') return v.length === 0 ? 'an empty string' : `a string of ${plural(v.length, 'char')} ${excerpt(v, 20)}`;
  if (typeof v === 'number' || typeof v === 'boolean')
    return `${typeof v === 'number' ? 'the number' : 'the boolean'} ${String(v).slice(0, 24)}`;
  if (Array.isArray(v)) return `an array of ${plural(v.length, 'item')}`;
  if (typeof v === 'object') {
    let keys = 0;
    for (const k in v as object) if (Object.prototype.hasOwnProperty.call(v, k)) keys++;
    return `an object with ${plural(keys, 'key')}`;
  }
  return typeof v;
}

/** A diagnostic message cut to MAX_MESSAGE_CHARS. */
export function boundMessage(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${wellFormed(message.slice(0, MAX_MESSAGE_CHARS - 1))}…` : message;
}
