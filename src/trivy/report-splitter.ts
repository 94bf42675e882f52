/**
 * A push splitter for Trivy JSON: fed the report in byte chunks, it hands out the report's
 * pieces already parsed — top-level fields, each result's small fields, and each package /
 * finding one at a time — without ever holding the whole text or the whole tree. A 40 MB
 * report then costs the model plus one chunk, not text + tree + model.
 *
 * It only tracks structure (strings, nesting, keys); every captured value is checked by
 * JSON.parse. Bytes outside captured values must be JSON structure or whitespace.
 */

export const LIST_KEYS = [
  'Packages',
  'Vulnerabilities',
  'Misconfigurations',
  'Secrets',
  'Licenses',
] as const;
export type ListKey = (typeof LIST_KEYS)[number];

export interface SplitterEvents {
  rootField(key: string, value: unknown): void;
  resultStart(index: number): void;
  /** A `Results[i]` that is not an object. */
  resultInvalid(index: number): void;
  resultField(key: string, value: unknown): void;
  /** The list is present as an array (called before its items). */
  listStart(key: ListKey): void;
  listItem(key: ListKey, value: unknown): void;
  resultEnd(): void;
}

/** Malformed JSON; `offset` is the byte offset where it was noticed. */
export class SplitError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'SplitError';
  }
}

const enum B {
  QUOTE = 0x22,
  BACKSLASH = 0x5c,
  LBRACE = 0x7b,
  RBRACE = 0x7d,
  LBRACKET = 0x5b,
  RBRACKET = 0x5d,
  COMMA = 0x2c,
  COLON = 0x3a,
}

/** Items parsed per JSON.parse call on the fast path. */
const FAST_BATCH = 256;

/** After this many wrong guesses (oddly indented input) the fast path is not tried again. */
const FAST_PATH_MAX_MISSES = 16;

/** 1 for the bytes that matter to nesting inside a captured value: quotes and brackets. */
const NESTING = new Uint8Array(256);
for (const b of [B.QUOTE, B.LBRACE, B.RBRACE, B.LBRACKET, B.RBRACKET]) NESTING[b] = 1;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Where a value sits: decides whether it is captured whole or descended into. */
type Place =
  | { readonly at: 'root-field'; readonly key: string }
  | { readonly at: 'results' }
  | { readonly at: 'result'; readonly index: number }
  | { readonly at: 'result-field'; readonly key: string }
  | { readonly at: 'list'; readonly key: ListKey }
  | { readonly at: 'list-item'; readonly key: ListKey };

interface Frame {
  readonly kind: 'object' | 'array';
  /** What the container itself is. */
  readonly place: Place | { readonly at: 'root' };
  count: number;
  key?: string;
}

type Mode = 'value' | 'key' | 'colon' | 'after' | 'done';

export class ReportSplitter {
  private readonly stack: Frame[] = [];
  private mode: Mode = 'value';
  private offset = 0;
  // A value being captured whole: its bytes so far, and its own nesting.
  private capture: Buffer[] | undefined;
  private capturePlace: Place | undefined;
  private captureDepth = 0;
  private captureScalar = false;
  private inString = false;
  private keyBytes: Buffer[] | undefined;
  private started = false;
  // The fast path's closing-line needles by indentation, and how often it guessed wrong.
  private readonly needles = new Map<number, Buffer>();
  private readonly boundaries = new Map<number, Buffer>();
  private wholeChunkFailed: Buffer | undefined;
  private fastMisses = 0;

  constructor(private readonly events: SplitterEvents) {}

  /** Feed the next chunk. Throws SplitError on malformed JSON. */
  write(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.capture) {
        i = this.continueCapture(chunk, i);
        continue;
      }
      if (this.keyBytes) {
        i = this.continueKey(chunk, i);
        continue;
      }
      const c = chunk[i]!;
      if (isWs(c)) {
        i++;
        continue;
      }
      i = this.structural(chunk, i, c);
    }
    this.offset += n;
  }

  /** The input is complete. Throws SplitError when it ended early. */
  end(): void {
    if (this.capture && this.captureScalar && this.captureDepth === 0 && !this.inString) {
      this.finishCapture(Buffer.alloc(0), 0, 0);
    }
    if (!this.started) throw new SplitError('no JSON value', this.offset);
    if (this.mode !== 'done' || this.capture || this.keyBytes || this.stack.length > 0) {
      throw new SplitError('unexpected end of input', this.offset);
    }
  }

  private fail(message: string, i: number): never {
    throw new SplitError(message, this.offset + i);
  }

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  /** Where the next value goes, from the frame it sits in. */
  private placeOfNext(): Place | { at: 'root' } {
    const f = this.top();
    if (!f) return { at: 'root' };
    const p = f.place;
    if (f.kind === 'object') {
      const key = f.key!;
      if (p.at === 'root') return key === 'Results' ? { at: 'results' } : { at: 'root-field', key };
      if (p.at === 'result') {
        return (LIST_KEYS as readonly string[]).includes(key)
          ? { at: 'list', key: key as ListKey }
          : { at: 'result-field', key };
      }
    } else {
      if (p.at === 'results') return { at: 'result', index: f.count };
      if (p.at === 'list') return { at: 'list-item', key: p.key };
    }
    throw new Error('splitter: no place for a value'); // unreachable by construction
  }

  private structural(chunk: Buffer, i: number, c: number): number {
    switch (this.mode) {
      case 'done':
        return this.fail('unexpected data after the report', i);
      case 'key':
        if (c === B.QUOTE) {
          this.keyBytes = [];
          return this.continueKey(chunk, i + 1);
        }
        if (c === B.RBRACE && this.top()!.count === 0) return this.close(i, B.RBRACE);
        return this.fail('expected a key', i);
      case 'colon':
        if (c !== B.COLON) return this.fail('expected ":"', i);
        this.mode = 'value';
        return i + 1;
      case 'after': {
        const f = this.top()!;
        if (c === B.COMMA) {
          this.mode = f.kind === 'object' ? 'key' : 'value';
          return i + 1;
        }
        return this.close(i, c);
      }
      case 'value':
        return this.startValue(chunk, i, c);
    }
  }

  private close(i: number, c: number): number {
    const f = this.top();
    if (!f || c !== (f.kind === 'object' ? B.RBRACE : B.RBRACKET)) {
      return this.fail(`expected "," or "${f?.kind === 'object' ? '}' : ']'}"`, i);
    }
    this.stack.pop();
    if (f.place.at === 'result') this.events.resultEnd();
    this.afterValue();
    return i + 1;
  }

  private afterValue(): void {
    const f = this.top();
    if (!f) {
      this.mode = 'done';
      return;
    }
    f.count++;
    this.mode = 'after';
  }

  private startValue(chunk: Buffer, i: number, c: number): number {
    const f = this.top();
    // An empty array closes where a value was expected.
    if (c === B.RBRACKET && f?.kind === 'array' && f.count === 0) return this.close(i, c);
    this.started = true;
    const place = this.placeOfNext();
    const isObject = c === B.LBRACE;
    const isArray = c === B.LBRACKET;
    const descend =
      (place.at === 'root' && isObject) ||
      (place.at === 'results' && isArray) ||
      (place.at === 'result' && isObject) ||
      (place.at === 'list' && isArray);
    if (descend) {
      if (place.at === 'result') this.events.resultStart(place.index);
      if (place.at === 'list') this.events.listStart(place.key);
      this.stack.push({ kind: isObject ? 'object' : 'array', place, count: 0 });
      this.mode = isObject ? 'key' : 'value';
      return i + 1;
    }
    if (place.at === 'root') {
      return this.fail('not a JSON object', i);
    }
    if (place.at === 'result') {
      this.events.resultInvalid(place.index);
    }
    if (place.at === 'list-item' && isObject && this.fastMisses < FAST_PATH_MAX_MISSES) {
      const end = this.fastItem(chunk, i, place.key);
      if (end >= 0) return end;
    }
    // Capture the whole value.
    this.capture = [];
    this.capturePlace = place;
    this.captureDepth = 0;
    this.captureScalar = !isObject && !isArray && c !== B.QUOTE;
    this.inString = false;
    return this.continueCapture(chunk, i);
  }

  /**
   * Fast path for list items in indented JSON (Trivy's own output): its closing brace is the
   * next line holding only `}` at the item's own indentation, found with one native search
   * instead of a byte-by-byte walk. Raw newlines cannot occur inside JSON strings, so that
   * line is structure; and JSON.parse accepts the slice only when it is the whole item (a
   * value starting at `{` ends exactly at its matching brace). Anything else falls back.
   * Returns the index after the item, or -1.
   */
  private fastItem(chunk: Buffer, i: number, key: ListKey): number {
    let lineStart = i;
    while (lineStart > 0 && (chunk[lineStart - 1] === 0x20 || chunk[lineStart - 1] === 0x09))
      lineStart--;
    if (lineStart === 0 || chunk[lineStart - 1] !== 0x0a) return -1;
    const indent = i - lineStart;
    let needle = this.needles.get(indent);
    if (!needle) {
      needle = Buffer.concat([Buffer.from('\n'), chunk.subarray(lineStart, i), Buffer.from('}')]);
      this.needles.set(indent, needle);
    }
    const whole = this.fastChunk(chunk, i, key, indent);
    if (whole >= 0) return whole;
    const q = chunk.indexOf(needle, i);
    if (q < 0) return -1; // the item ends in a later chunk
    // Take the following items of the same list too while they follow in this chunk
    // (`,` newline, the same indentation, `{`), and parse them in one call: fewer calls and
    // fewer strings than one per item.
    const ends = [q + needle.length];
    let next = q + needle.length;
    while (ends.length < FAST_BATCH && chunk[next] === 0x2c /* , */) {
      const start = next + 2 + indent;
      if (
        chunk[next + 1] !== 0x0a ||
        chunk[start] !== B.LBRACE ||
        chunk.compare(needle, 1, 1 + indent, next + 2, start) !== 0
      ) {
        break;
      }
      const e = chunk.indexOf(needle, start);
      if (e < 0) break;
      next = e + needle.length;
      ends.push(next);
    }
    let values: unknown;
    try {
      // Valid only if the slice ends where an item ends: then its values are exactly the items.
      values = JSON.parse(`[${chunk.toString('utf8', i, next)}]`);
    } catch {
      this.fastMisses++;
      return -1;
    }
    if (!Array.isArray(values) || values.length !== ends.length) {
      this.fastMisses++;
      return -1;
    }
    for (const value of values) {
      this.events.listItem(key, value);
      this.afterValue();
    }
    return next;
  }

  /**
   * The rest of this chunk's items of the list in one parse: up to the last `},` + newline +
   * `{` at the item indentation in the chunk, found from the end. Where the list ends inside
   * the chunk that guess spans other keys and the parse fails; then the chunk is not tried
   * again and items go one batch at a time.
   */
  private fastChunk(chunk: Buffer, i: number, key: ListKey, indent: number): number {
    if (this.wholeChunkFailed === chunk) return -1;
    let boundary = this.boundaries.get(indent);
    if (!boundary) {
      const pad = Buffer.alloc(indent, chunk[i - 1] === 0x09 ? 0x09 : 0x20);
      boundary = Buffer.concat([
        Buffer.from('\n'),
        pad,
        Buffer.from('},\n'),
        pad,
        Buffer.from('{'),
      ]);
      this.boundaries.set(indent, boundary);
    }
    const last = chunk.lastIndexOf(boundary);
    if (last <= i) return -1;
    const end = last + indent + 2; // just past that item's `}`
    let values: unknown;
    try {
      values = JSON.parse(`[${chunk.toString('utf8', i, end)}]`);
    } catch {
      this.wholeChunkFailed = chunk;
      return -1;
    }
    if (!Array.isArray(values)) return -1;
    for (const value of values) {
      this.events.listItem(key, value);
      this.afterValue();
    }
    return end;
  }

  private continueKey(chunk: Buffer, i: number): number {
    const end = stringEnd(chunk, i, this.keyBytes!);
    if (end < 0) {
      this.keyBytes!.push(chunk.subarray(i));
      return chunk.length;
    }
    this.keyBytes!.push(chunk.subarray(i, end));
    const raw = Buffer.concat(this.keyBytes!).toString('utf8');
    this.keyBytes = undefined;
    try {
      this.top()!.key = JSON.parse(`"${raw}`) as string;
    } catch {
      return this.fail('invalid key', i);
    }
    this.mode = 'colon';
    return end;
  }

  private continueCapture(chunk: Buffer, start: number): number {
    let i = start;
    const n = chunk.length;
    while (i < n) {
      if (this.inString) {
        const end = stringEnd(chunk, i, this.capture!);
        if (end < 0) {
          this.capture!.push(chunk.subarray(start));
          return n;
        }
        this.inString = false;
        i = end;
        if (this.captureDepth === 0 && !this.captureScalar)
          return this.finishCapture(chunk, start, i);
        continue;
      }
      if (this.captureScalar) {
        const c = chunk[i]!;
        if (c === B.COMMA || c === B.RBRACE || c === B.RBRACKET || isWs(c))
          return this.finishCapture(chunk, start, i);
        i++;
        continue;
      }
      // Skip bytes that cannot change nesting (whitespace, digits, literals, `:` and `,`).
      while (i < n && NESTING[chunk[i]!] === 0) i++;
      if (i === n) break;
      const c = chunk[i]!;
      if (c === B.QUOTE) {
        this.inString = true;
        i++;
      } else if (c === B.LBRACE || c === B.LBRACKET) {
        this.captureDepth++;
        i++;
      } else if (c === B.RBRACE || c === B.RBRACKET) {
        this.captureDepth--;
        i++;
        if (this.captureDepth === 0) return this.finishCapture(chunk, start, i);
      } else {
        i++;
      }
    }
    this.capture!.push(chunk.subarray(start));
    return n;
  }

  private finishCapture(chunk: Buffer, start: number, end: number): number {
    const pieces = this.capture!;
    pieces.push(chunk.subarray(start, end));
    const text =
      pieces.length === 1 ? pieces[0]!.toString('utf8') : Buffer.concat(pieces).toString('utf8');
    this.capture = undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return this.fail((err as Error).message, end);
    }
    const place = this.capturePlace!;
    switch (place.at) {
      case 'root-field':
        this.events.rootField(place.key, value);
        break;
      case 'results':
        this.events.rootField('Results', value);
        break;
      case 'result':
        break; // already reported as invalid
      case 'result-field':
        this.events.resultField(place.key, value);
        break;
      case 'list':
        this.events.resultField(place.key, value);
        break;
      case 'list-item':
        this.events.listItem(place.key, value);
        break;
    }
    this.afterValue();
    return end;
  }
}

/**
 * Index just past the closing quote of a string whose opening quote is already consumed,
 * scanning from `i`; -1 when the chunk ends first. `prev` holds earlier pieces of the same
 * string, to tell whether a quote at the chunk start is escaped.
 */
function stringEnd(chunk: Buffer, i: number, prev: readonly Buffer[]): number {
  let j = i;
  for (;;) {
    const q = chunk.indexOf(B.QUOTE, j);
    if (q < 0) return -1;
    // Count the backslashes before the quote; the bytes before `i` in this chunk are this
    // string's too (or its opening quote), and earlier chunks' pieces continue the run.
    let backslashes = 0;
    let k = q - 1;
    while (k >= 0 && chunk[k] === B.BACKSLASH) {
      backslashes++;
      k--;
    }
    if (k < 0) backslashes += trailingBackslashes(prev);
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

function trailingBackslashes(pieces: readonly Buffer[]): number {
  let n = 0;
  for (let p = pieces.length - 1; p >= 0; p--) {
    const b = pieces[p]!;
    for (let k = b.length - 1; k >= 0; k--) {
      if (b[k] !== B.BACKSLASH) return n;
      n++;
    }
  }
  return n;
}
