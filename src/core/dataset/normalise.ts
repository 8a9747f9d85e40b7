// Turns one parsed JSON record of any supported format (docs/method.md §6) into turns, image refs and
// labels. Pure: no I/O. Shape problems come back as a reason string, never as an exception.
import { describeValue } from './describe';
import type { DatasetFormat, Turn } from './types';

export interface NormalisedRecord {
  format: DatasetFormat;
  id?: string;
  turns: Turn[];
  images: string[];
  labels: Record<string, string>;
}

/** Keys that carry content, not labels. */
const CONTENT_KEYS = new Set([
  'id',
  'image',
  'images',
  'conversations',
  'messages',
  'texts',
  'instruction',
  'input',
  'output',
  'system',
  'history',
  'video',
  'videos',
]);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Which format a record looks like, or undefined. */
export function detectFormat(record: unknown): DatasetFormat | undefined {
  if (!isObj(record)) return undefined;
  if (Array.isArray(record.conversations)) return 'llava';
  if (Array.isArray(record.messages)) {
    const parts = record.messages.some((m) => isObj(m) && Array.isArray(m.content));
    return parts ? 'openai' : 'sharegpt';
  }
  if (Array.isArray(record.texts)) return 'cauldron';
  if (typeof record.instruction === 'string' && 'output' in record) return 'alpaca';
  return undefined;
}

function roleOf(raw: unknown): Turn['role'] | undefined {
  switch (typeof raw === 'string' ? raw.toLowerCase() : '') {
    case 'human':
    case 'user':
      return 'user';
    case 'gpt':
    case 'assistant':
    case 'bot':
    case 'model':
      return 'assistant';
    case 'system':
      return 'system';
    default:
      return undefined;
  }
}

function imageList(v: Json | undefined): string[] | string {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const x of v) {
      if (typeof x === 'string') out.push(x);
      else if (isObj(x) && typeof x.path === 'string') out.push(x.path);
      else if (isObj(x) && typeof x.url === 'string') out.push(x.url);
      else return 'an image entry is neither a path string nor {path|url}';
    }
    return out;
  }
  return '"image(s)" must be a string or an array of strings';
}

/** At most this many label fields are kept per record (the first ones, in key order). */
export const MAX_LABELS_PER_RECORD = 64;
/** Label values are cut to this many characters. */
const MAX_LABEL_CHARS = 200;
/** A label key: 1–64 printable characters, not starting with a space, and not a name every object has (`__proto__`, `constructor`, …). */
const LABEL_KEY = /^[^\s\p{C}][^\p{C}]{0,63}$/u;

/** Whether a record key can name a label field. */
export function isLabelKey(k: string): boolean {
  return LABEL_KEY.test(k) && !(k in Object.prototype) && !CONTENT_KEYS.has(k);
}

function labelsOf(record: Obj): Record<string, string> {
  const labels: Record<string, string> = {};
  let kept = 0;
  for (const [k, v] of Object.entries(record)) {
    if (kept >= MAX_LABELS_PER_RECORD) break;
    if (!isLabelKey(k)) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') labels[k] = String(v).slice(0, MAX_LABEL_CHARS);
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' || typeof x === 'number')) {
      labels[k] = v.slice(0, MAX_LABEL_CHARS).join(',').slice(0, MAX_LABEL_CHARS);
    } else continue;
    kept++;
  }
  return labels;
}

/** Normalises a record of the given format; a string result is the reason it does not fit. */
export function normaliseRecord(record: unknown, format: DatasetFormat): NormalisedRecord | string {
  if (!isObj(record)) return `expected a JSON object, found ${describeValue(record)}`;
  const turns: Turn[] = [];
  let images: string[] | string = [];
  switch (format) {
    case 'llava': {
      if (!Array.isArray(record.conversations)) return 'missing "conversations" array (LLaVA format)';
      for (const [i, t] of record.conversations.entries()) {
        if (!isObj(t)) return `conversations[${i}] is not an object`;
        const role = roleOf(t.from ?? t.role);
        if (!role) return `conversations[${i}].from is ${describeValue(t.from ?? t.role)}; expected human or gpt`;
        if (typeof t.value !== 'string') return `conversations[${i}].value is not a string`;
        turns.push({ role, text: t.value });
      }
      images = imageList(record.image ?? record.images);
      break;
    }
    case 'sharegpt':
    case 'openai': {
      if (!Array.isArray(record.messages)) return 'missing "messages" array';
      const partImages: string[] = [];
      for (const [i, m] of record.messages.entries()) {
        if (!isObj(m)) return `messages[${i}] is not an object`;
        const role = roleOf(m.role);
        if (!role) return `messages[${i}].role is ${describeValue(m.role)}; expected user, assistant or system`;
        if (typeof m.content === 'string') turns.push({ role, text: m.content });
        else if (Array.isArray(m.content)) {
          const texts: string[] = [];
          for (const [j, p] of m.content.entries()) {
            if (!isObj(p)) return `messages[${i}].content[${j}] is not an object`;
            if (p.type === 'text' && typeof p.text === 'string') texts.push(p.text);
            else if (p.type === 'image_url') {
              const url = isObj(p.image_url) ? p.image_url.url : p.image_url;
              if (typeof url !== 'string') return `messages[${i}].content[${j}].image_url has no url`;
              partImages.push(url);
              texts.push('<image>');
            } else if (p.type === 'image' && typeof p.image === 'string') {
              partImages.push(p.image);
              texts.push('<image>');
            } else return `messages[${i}].content[${j}] has unknown type: ${describeValue(p.type)}`;
          }
          turns.push({ role, text: texts.join('\n') });
        } else if (m.content === null && role === 'assistant') turns.push({ role, text: '' });
        else return `messages[${i}].content is neither a string nor an array of parts`;
      }
      const listed = imageList(record.images ?? record.image);
      if (typeof listed === 'string') return listed;
      images = [...listed, ...partImages];
      format = partImages.length > 0 || record.messages.some((m) => isObj(m) && Array.isArray(m.content)) ? 'openai' : 'sharegpt';
      break;
    }
    case 'cauldron': {
      if (!Array.isArray(record.texts)) return 'missing "texts" array (The Cauldron format)';
      for (const [i, t] of record.texts.entries()) {
        if (!isObj(t) || typeof t.user !== 'string' || typeof t.assistant !== 'string') {
          return `texts[${i}] must be {user, assistant} strings`;
        }
        turns.push({ role: 'user', text: t.user }, { role: 'assistant', text: t.assistant });
      }
      images = imageList(record.images);
      break;
    }
    case 'alpaca': {
      if (typeof record.instruction !== 'string') return 'missing "instruction" string (Alpaca format)';
      if (typeof record.output !== 'string') return '"output" must be a string (Alpaca format)';
      if (typeof record.system === 'string' && record.system) turns.push({ role: 'system', text: record.system });
      const input = typeof record.input === 'string' && record.input.trim() ? `\n${record.input}` : '';
      turns.push({ role: 'user', text: record.instruction + input }, { role: 'assistant', text: record.output });
      images = imageList(record.images ?? record.image);
      break;
    }
  }
  if (typeof images === 'string') return images;
  const labels = labelsOf(record);
  // The Cauldron keeps a per-turn source; lift the first one as a label.
  if (format === 'cauldron' && !labels.source && Array.isArray(record.texts)) {
    const first = record.texts[0];
    if (isObj(first) && typeof first.source === 'string') labels.source = first.source.slice(0, MAX_LABEL_CHARS);
  }
  const id = typeof record.id === 'string' || typeof record.id === 'number' ? String(record.id) : undefined;
  return { format, id, turns, images, labels };
}
