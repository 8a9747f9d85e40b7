// A seeded generator of hostile datasets: real records (demo/demo.jsonl, test/fixtures/formats/)
// mixed with truncated JSON, garbage and control bytes, invalid UTF-8, lone surrogates, BOMs
// anywhere, CRLF, a 10 MB and a 100 MB line, nesting 100,000 deep in every field, wrong types
// everywhere, __proto__/constructor keys, many distinct keys and duplicate ids. It records, for
// every line, the truth: good (a sample), bad (with the diagnostic code the reader must give) or
// blank. Used by test/unit/fuzz/ and bench/fuzz.ts; the file is written at run time, never committed.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DiagnosticCode } from '../../src/core/dataset/types';
import { Rng } from '../../src/core/util/rng';

const REPO = resolve(__dirname, '../..');

export interface FuzzOptions {
  seed: number;
  /** Number of lines (≥ the special lines). */
  lines: number;
  /** Size of the big line that is still a good record (default 10 MB). */
  bigLineBytes?: number;
  /** Size of the line over the reader's limit (default 100 MB; 0 for none). */
  hugeLineBytes?: number;
  /** Nesting depth of the deep lines (default 100,000). */
  depth?: number;
  /** Share of the ordinary lines that are good records (default 0.4; 3% are blank, the rest bad). */
  goodShare?: number;
}

export interface FuzzTruth {
  lines: number;
  /** 1-based lines that are good records, ascending. */
  good: number[];
  /** 1-based bad lines and the error code each must be diagnosed with. */
  bad: Map<number, DiagnosticCode>;
  /** Blank lines (no record, no per-line diagnostic). */
  blank: number[];
  /** Good lines whose id was already used by an earlier good line. */
  duplicateIds: number[];
  /** Line numbers of the special lines, for messages. */
  special: { big: number; huge?: number };
  bytes: number;
}

type Rec = Record<string, unknown>;

/** The real records the fuzz file is made of, one compact JSON text each. */
export function realRecords(): string[] {
  const out: string[] = [];
  const jsonl = (p: string) =>
    readFileSync(join(REPO, p), 'utf8')
      .split('\n')
      .filter((l) => l.trim().startsWith('{'));
  out.push(...jsonl('demo/demo.jsonl'), ...jsonl('test/fixtures/formats/openai.jsonl'), ...jsonl('test/fixtures/formats/cauldron.jsonl'));
  for (const r of JSON.parse(readFileSync(join(REPO, 'test/fixtures/formats/array.json'), 'utf8')) as Rec[]) out.push(JSON.stringify(r));
  return out;
}

const BOM = '\ufeff';

/** The two dialogue turns' text fields of a record, whatever its format, for mutations. */
function textSlots(r: Rec): { get: () => unknown; set: (v: unknown) => void }[] {
  const slots: { get: () => unknown; set: (v: unknown) => void }[] = [];
  const add = (o: Rec, k: string) => slots.push({ get: () => o[k], set: (v) => (o[k] = v) });
  if (Array.isArray(r.conversations)) for (const t of r.conversations as Rec[]) add(t, 'value');
  else if (Array.isArray(r.messages)) for (const m of r.messages as Rec[]) add(m, 'content');
  else if (Array.isArray(r.texts)) {
    for (const t of r.texts as Rec[]) {
      add(t, 'user');
      add(t, 'assistant');
    }
  }
  return slots;
}

export class FuzzGenerator {
  private readonly rng: Rng;
  private readonly real: string[];
  private readonly seenIds = new Set<string>();
  readonly truth: FuzzTruth = { lines: 0, good: [], bad: new Map(), blank: [], duplicateIds: [], special: { big: 0 }, bytes: 0 };

  constructor(private readonly opts: FuzzOptions) {
    this.rng = new Rng(opts.seed);
    this.real = realRecords();
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.rng.int(xs.length)];
  }

  private realRec(): Rec {
    return JSON.parse(this.pick(this.real)) as Rec;
  }

  /** A good line's text; the truth follows the reader's id rule (duplicate ids are warnings). */
  private good(line: number, text: string): string {
    const rec = JSON.parse(text.replace(/^\ufeff/, '')) as Rec;
    const own = typeof rec.id === 'string' || typeof rec.id === 'number' ? String(rec.id) : undefined;
    let id = own ?? `line-${line}`;
    if (this.seenIds.has(id)) {
      this.truth.duplicateIds.push(line);
      id = `${id}#line-${line}`;
    }
    this.seenIds.add(id);
    this.truth.good.push(line);
    return text;
  }

  private bad(line: number, code: DiagnosticCode, text: string | Buffer): string | Buffer {
    this.truth.bad.set(line, code);
    return text;
  }

  private deep(): string {
    const d = this.opts.depth ?? 100_000;
    return this.rng.next() < 0.5 ? '['.repeat(d) + ']'.repeat(d) : '{"a":'.repeat(d) + '1' + '}'.repeat(d);
  }

  /** A line nested `depth` deep in one field (each field in turn). */
  private deepLine(k: number): string {
    const r = this.realRec();
    const DEEP = '"\\u0000DEEP\\u0000"'; // how JSON.stringify writes the marker
    const fields: ((r: Rec) => void)[] = [
      (r) => (r.id = '\u0000DEEP\u0000'),
      (r) =>
        'conversations' in r
          ? (r.conversations = '\u0000DEEP\u0000')
          : 'messages' in r
            ? (r.messages = '\u0000DEEP\u0000')
            : (r.texts = '\u0000DEEP\u0000'),
      (r) => textSlots(r)[0]?.set('\u0000DEEP\u0000'),
      (r) => textSlots(r)[1]?.set('\u0000DEEP\u0000'),
      (r) => (r.image = '\u0000DEEP\u0000'),
      (r) => (r.task_name = '\u0000DEEP\u0000'),
      (r) => {
        const turns = (r.conversations ?? r.messages) as Rec[] | undefined;
        if (turns?.[0]) turns[0][r.conversations ? 'from' : 'role'] = '\u0000DEEP\u0000';
        else r.extra = '\u0000DEEP\u0000';
      },
      (r) => (r.__top = '\u0000DEEP\u0000'),
    ];
    fields[k % fields.length](r);
    const text = JSON.stringify(r);
    return k % fields.length === 7 ? this.deep() : text.replace(DEEP, this.deep());
  }

  private goodVariant(line: number): string {
    const r = this.realRec();
    const slots = textSlots(r);
    const x = this.rng.next();
    if (x < 0.5) return this.good(line, JSON.stringify(r)); // as it is (or as the fixture wrote it)
    if (x < 0.58 && slots.length > 1) {
      const s = slots[1];
      s.set(`${String(s.get())}${BOM} (BOM inside a string)`);
    } else if (x < 0.66 && slots.length > 0) {
      const s = slots[0];
      s.set(`${String(s.get())} \ud800 lone \udc00 surrogates`);
      if (this.rng.next() < 0.3) r.id = `sur\ud83d-${line}`;
    } else if (x < 0.74) {
      r.id = this.pick<unknown>([{ nested: { id: 1 } }, [1, 2], true, null, 3.5, -0]);
      r.meta = this.pick<unknown>([{ a: [1, { b: null }] }, [[], {}], null, false, JSON.parse('['.repeat(200) + ']'.repeat(200))]); // under the nesting limit
    } else if (x < 0.82) {
      const text = JSON.stringify(r);
      const proto = this.pick([
        '{"__proto__":{"polluted":true},',
        '{"constructor":{"prototype":{"polluted":true}},',
        '{"__proto__":"x","constructor":"y","toString":"z","hasOwnProperty":1,',
      ]);
      return this.good(line, proto + text.slice(1));
    } else if (x < 0.92) {
      for (let k = 0; k < 20; k++) r[`key_${this.rng.nextU32().toString(36)}`] = `v${this.rng.int(1000)}`;
    } else {
      r.id = `dup-${this.rng.int(50)}`;
    }
    return this.good(line, JSON.stringify(r));
  }

  private badVariant(line: number): string | Buffer {
    const text = this.pick(this.real);
    const x = this.rng.next();
    if (x < 0.2) {
      const chars = [...text];
      return this.bad(line, 'invalid-json', chars.slice(0, 1 + this.rng.int(chars.length - 1)).join('')); // truncated
    }
    if (x < 0.32) {
      let g = 'x';
      const n = 1 + this.rng.int(120);
      for (let i = 0; i < n; i++)
        g +=
          this.rng.next() < 0.1
            ? String.fromCharCode(this.pick([0, 1, 7, 8, 11, 12, 27, 31, 127]))
            : String.fromCharCode(32 + this.rng.int(95));
      return this.bad(line, 'invalid-json', g); // garbage and control bytes
    }
    if (x < 0.4) {
      const at = text.indexOf('"', text.indexOf(':') + 1) + 1; // inside the first string value
      const c = this.pick([0, 1, 2, 7, 8, 9, 11, 12, 14, 27, 31]);
      return this.bad(line, 'invalid-json', `${text.slice(0, at)}${String.fromCharCode(c)}${text.slice(at)}`); // raw control char in a string
    }
    if (x < 0.5) {
      const at = text.indexOf('"', text.indexOf(':') + 1) + 1;
      const junk = this.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
      return this.bad(
        line,
        'invalid-utf8',
        Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(junk), Buffer.from(text.slice(at))]),
      ); // invalid UTF-8 (raw surrogate too)
    }
    if (x < 0.58) {
      return this.bad(line, 'misplaced-bom', this.rng.next() < 0.5 ? BOM + text : `{${BOM}${text.slice(1)}`); // BOM at a line start or between tokens
    }
    if (x < 0.85) {
      const r = JSON.parse(text) as Rec;
      const turns = (r.conversations ?? r.messages) as Rec[] | undefined;
      const wrong = this.pick<unknown>([5, 'str', null, true, {}, { 0: 1 }, [[]], -1e308]);
      const m = this.rng.int(7);
      if (m === 0) return this.bad(line, 'wrong-shape', JSON.stringify(wrong === null ? [r] : wrong)); // not an object
      if (m === 1 || !turns) {
        if (r.conversations) r.conversations = Array.isArray(wrong) ? 'x' : wrong;
        else if (r.messages) r.messages = Array.isArray(wrong) ? 7 : wrong;
        else r.texts = Array.isArray(wrong) ? 'x' : wrong;
        delete r.instruction;
      } else if (m === 2) turns[0] = (Array.isArray(wrong) || typeof wrong === 'object' ? 5 : wrong) as Rec;
      else if (m === 3) turns[0][r.conversations ? 'from' : 'role'] = typeof wrong === 'string' ? 'narrator' : wrong;
      else if (m === 4)
        turns[r.conversations ? 0 : turns.length - 1][r.conversations ? 'value' : 'content'] =
          typeof wrong === 'string' || wrong === null ? 5 : wrong;
      else if (m === 5) r[r.conversations ? 'image' : 'images'] = this.pick<unknown>([5, { p: 1 }, [5], [null], true]);
      else {
        for (const t of textSlots(r)) t.set(this.pick(['', '   ', '\n\t']));
        return this.bad(line, 'empty-turns', JSON.stringify(r));
      }
      return this.bad(line, 'wrong-shape', JSON.stringify(r));
    }
    // Just over the nesting limit (the 100,000-deep lines are placed by write()).
    const r = JSON.parse(text) as Rec;
    r.meta = JSON.parse('['.repeat(300) + ']'.repeat(300));
    return this.bad(line, 'too-deep', JSON.stringify(r));
  }

  /** Writes the dataset; returns the truth. */
  write(file: string): FuzzTruth {
    const { lines } = this.opts;
    const fd = openSync(file, 'w');
    let bytes = 0;
    const put = (b: string | Buffer) => {
      const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
      writeSync(fd, buf);
      bytes += buf.length;
    };
    const big = 5 + this.rng.int(lines - 10);
    let huge = this.opts.hugeLineBytes === 0 ? -1 : 5 + this.rng.int(lines - 10);
    if (huge === big) huge++;
    const deepEvery = Math.max(25, Math.floor(lines / 40)); // ~40 deep lines: 100,000 deep each
    let deepK = 0;
    try {
      for (let line = 1; line <= lines; line++) {
        const eol = this.rng.next() < 0.15 ? '\r\n' : '\n';
        if (line === 1) put(BOM); // allowed at byte 0
        if (line === big) {
          const r = this.realRec();
          const slot = textSlots(r).at(-1)!;
          slot.set(`${'Long answer. '.repeat(Math.ceil((this.opts.bigLineBytes ?? 10e6) / 13))}`);
          put(this.good(line, JSON.stringify(r)));
        } else if (line === huge) {
          // Over the 16 MiB limit: a valid record, skipped for its length only (written in pieces).
          this.bad(line, 'line-too-long', '');
          const head = '{"id":"huge","conversations":[{"from":"human","value":"big?"},{"from":"gpt","value":"';
          put(head);
          const piece = Buffer.alloc(1 << 20, 'y');
          const total = this.opts.hugeLineBytes ?? 100e6;
          for (let w = head.length; w < total; w += piece.length) put(piece);
          put('"}]}');
        } else if (line <= 5 || line === lines) put(this.good(line, this.pick(this.real)));
        else if (line % deepEvery === 0) put(this.bad(line, 'too-deep', this.deepLine(deepK++)));
        else {
          const x = this.rng.next();
          if (x < 0.03) {
            this.truth.blank.push(line);
            put(this.pick(['', '  ', '\t', ' \t ']));
          } else if (x < 0.03 + (this.opts.goodShare ?? 0.4)) put(this.goodVariant(line));
          else put(this.badVariant(line));
        }
        if (line < lines || this.rng.next() < 0.5) put(eol);
      }
    } finally {
      closeSync(fd);
    }
    this.truth.lines = lines;
    this.truth.special = { big, ...(huge > 0 ? { huge } : {}) };
    this.truth.bytes = bytes;
    return this.truth;
  }
}

/** Writes a fuzz dataset to `file` and returns the truth of every line. */
export function writeFuzzDataset(file: string, opts: FuzzOptions): FuzzTruth {
  return new FuzzGenerator(opts).write(file);
}
