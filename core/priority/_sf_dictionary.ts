/**
 * A validating Structured Field Dictionary parser (RFC 9651 §4.2.2, which
 * obsoletes RFC 8941), reduced to what the `priority` field needs.
 *
 * The whole dictionary is validated, because RFC 9651 §4.2 makes a field that
 * fails to parse void as a whole; but only top-level members whose value is an
 * Integer or a Boolean are reported, since those are the only types a priority
 * parameter can take (RFC 9218 §4). Values of other types are reported as
 * `OTHER` so the caller can ignore them, as RFC 9218 §4 requires. One pass,
 * no regular expressions, no intermediate strings: linear in the input.
 *
 * @module
 */

/** Kind of a top-level dictionary member value, as far as the caller cares. */
export const SfKind = { INTEGER: 0, BOOLEAN: 1, OTHER: 2 } as const;

/** A member's value kind (see {@link SfKind}). */
export type SfKind = typeof SfKind[keyof typeof SfKind];

/** Receives each top-level member in order; a later member with the same key overrides. */
export type SfMemberSink = (key: string, kind: SfKind, value: number) => void;

const SP = 0x20;
const HTAB = 0x09;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isLcAlpha(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || isLcAlpha(c);
}

// tchar (RFC 9110 §5.6.2) plus ":" and "/" for sf-token.
function isTokenChar(c: number): boolean {
  if (isAlpha(c) || isDigit(c)) return true;
  switch (c) {
    case 0x21: // !
    case 0x23: // #
    case 0x24: // $
    case 0x25: // %
    case 0x26: // &
    case 0x27: // '
    case 0x2a: // *
    case 0x2b: // +
    case 0x2d: // -
    case 0x2e: // .
    case 0x5e: // ^
    case 0x5f: // _
    case 0x60: // `
    case 0x7c: // |
    case 0x7e: // ~
    case 0x3a: // :
    case 0x2f: // /
      return true;
  }
  return false;
}

function isKeyChar(c: number): boolean {
  return isLcAlpha(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x2a;
}

function isBase64Char(c: number): boolean {
  return isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2f || c === 0x3d;
}

function isLcHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66);
}

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

// Thrown internally on a syntax error and caught by parseSfDictionary; one
// shared instance, so a hostile field costs no stack capture per failure.
const SYNTAX = new Error("Structured Field syntax error");

class Parser {
  readonly s: string;
  i = 0;
  // The last bare item parsed: its kind and (for Integer/Boolean) its value.
  kind: SfKind = SfKind.OTHER;
  value = 0;

  constructor(s: string) {
    this.s = s;
  }

  peek(): number {
    // NaN past the end compares false with everything, which ends every loop.
    return this.s.charCodeAt(this.i);
  }

  key(): string {
    const s = this.s;
    const start = this.i;
    const c = s.charCodeAt(start);
    if (!isLcAlpha(c) && c !== 0x2a) throw SYNTAX;
    let i = start + 1;
    while (i < s.length && isKeyChar(s.charCodeAt(i))) i++;
    this.i = i;
    return s.slice(start, i);
  }

  // Parameters are validated and discarded: no priority semantics hang on them.
  parameters(): void {
    while (this.peek() === 0x3b /* ; */) {
      this.i++;
      while (this.peek() === SP) this.i++;
      this.key();
      if (this.peek() === 0x3d /* = */) {
        this.i++;
        this.bareItem();
      }
    }
  }

  innerList(): void {
    this.i++; // "("
    for (;;) {
      while (this.peek() === SP) this.i++;
      const c = this.peek();
      if (c === 0x29 /* ) */) {
        this.i++;
        this.parameters();
        this.kind = SfKind.OTHER;
        return;
      }
      this.bareItem();
      this.parameters();
      const d = this.peek();
      if (d !== SP && d !== 0x29) throw SYNTAX;
    }
  }

  bareItem(): void {
    const c = this.peek();
    if (c === 0x2d /* - */ || isDigit(c)) this.number();
    else if (c === DQUOTE) this.string();
    else if (c === 0x2a /* * */ || isAlpha(c)) this.token();
    else if (c === 0x3a /* : */) this.byteSequence();
    else if (c === 0x3f /* ? */) this.boolean();
    else if (c === 0x40 /* @ */) this.date();
    else if (c === 0x25 /* % */) this.displayString();
    else throw SYNTAX;
  }

  number(): void {
    const s = this.s;
    let i = this.i;
    let sign = 1;
    if (s.charCodeAt(i) === 0x2d) {
      sign = -1;
      i++;
    }
    if (!isDigit(s.charCodeAt(i))) throw SYNTAX;
    let intDigits = 0;
    let fracDigits = -1; // -1: no "." seen
    let n = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (isDigit(c)) {
        if (fracDigits >= 0) {
          if (++fracDigits > 3) throw SYNTAX;
        } else {
          if (++intDigits > 15) throw SYNTAX;
          n = n * 10 + (c - 0x30);
        }
      } else if (c === 0x2e /* . */ && fracDigits < 0) {
        if (intDigits > 12) throw SYNTAX;
        fracDigits = 0;
      } else break;
    }
    if (fracDigits === 0) throw SYNTAX; // "1." is not a Decimal
    this.i = i;
    if (fracDigits < 0) {
      this.kind = SfKind.INTEGER;
      this.value = sign * n;
    } else {
      this.kind = SfKind.OTHER;
    }
  }

  string(): void {
    const s = this.s;
    let i = this.i + 1;
    for (;;) {
      if (i >= s.length) throw SYNTAX;
      const c = s.charCodeAt(i++);
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        const d = s.charCodeAt(i++);
        if (d !== DQUOTE && d !== BACKSLASH) throw SYNTAX;
      } else if (c < 0x20 || c > 0x7e) throw SYNTAX;
    }
    this.i = i;
    this.kind = SfKind.OTHER;
  }

  token(): void {
    const s = this.s;
    let i = this.i + 1;
    while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
    this.i = i;
    this.kind = SfKind.OTHER;
  }

  byteSequence(): void {
    const s = this.s;
    let i = this.i + 1;
    for (;;) {
      if (i >= s.length) throw SYNTAX;
      const c = s.charCodeAt(i++);
      if (c === 0x3a) break;
      if (!isBase64Char(c)) throw SYNTAX;
    }
    this.i = i;
    this.kind = SfKind.OTHER;
  }

  boolean(): void {
    const c = this.s.charCodeAt(this.i + 1);
    if (c !== 0x30 && c !== 0x31) throw SYNTAX;
    this.i += 2;
    this.kind = SfKind.BOOLEAN;
    this.value = c === 0x31 ? 1 : 0;
  }

  date(): void {
    this.i++;
    this.number();
    if (this.kind !== SfKind.INTEGER) throw SYNTAX; // a Date is an Integer (RFC 9651 §4.2.10)
    this.kind = SfKind.OTHER;
  }

  displayString(): void {
    const s = this.s;
    if (s.charCodeAt(this.i + 1) !== DQUOTE) throw SYNTAX;
    let i = this.i + 2;
    const bytes: number[] = [];
    for (;;) {
      if (i >= s.length) throw SYNTAX;
      const c = s.charCodeAt(i++);
      if (c === DQUOTE) break;
      if (c === 0x25 /* % */) {
        const h = s.charCodeAt(i);
        const l = s.charCodeAt(i + 1);
        if (!isLcHex(h) || !isLcHex(l)) throw SYNTAX;
        bytes.push(parseInt(s.slice(i, i + 2), 16));
        i += 2;
      } else if (c < 0x20 || c > 0x7e) throw SYNTAX;
      else bytes.push(c);
    }
    try {
      fatalUtf8.decode(new Uint8Array(bytes));
    } catch {
      throw SYNTAX;
    }
    this.i = i;
    this.kind = SfKind.OTHER;
  }

  dictionary(sink: SfMemberSink): void {
    const s = this.s;
    // Top level: only SP is trimmed (RFC 9651 §4.2 steps 2 and 6).
    let end = s.length;
    while (this.i < end && s.charCodeAt(this.i) === SP) this.i++;
    while (end > this.i && s.charCodeAt(end - 1) === SP) end--;
    if (this.i === end) return; // an empty field is an empty Dictionary
    for (;;) {
      const key = this.key();
      let kind: SfKind;
      let value = 1;
      if (this.peek() === 0x3d /* = */) {
        this.i++;
        if (this.peek() === 0x28 /* ( */) {
          this.innerList();
          kind = SfKind.OTHER;
        } else {
          this.bareItem();
          kind = this.kind;
          value = this.value;
          this.parameters();
        }
      } else {
        kind = SfKind.BOOLEAN; // a bare key is Boolean true
        this.parameters();
      }
      if (this.i > end) throw SYNTAX;
      sink(key, kind, value);
      while (this.i < end && (s.charCodeAt(this.i) === SP || s.charCodeAt(this.i) === HTAB)) {
        this.i++;
      }
      if (this.i === end) return;
      if (s.charCodeAt(this.i) !== 0x2c /* , */) throw SYNTAX;
      this.i++;
      while (this.i < end && (s.charCodeAt(this.i) === SP || s.charCodeAt(this.i) === HTAB)) {
        this.i++;
      }
      if (this.i === end) throw SYNTAX; // trailing comma
    }
  }
}

/**
 * Parses a Structured Field Dictionary and reports every top-level member.
 *
 * @param value The field value (several field lines joined with ", ").
 * @param sink Called per member, in order.
 * @returns False when the value is not a valid Dictionary; members reported before the error
 * must then be discarded by the caller.
 */
export function parseSfDictionary(value: string, sink: SfMemberSink): boolean {
  try {
    new Parser(value).dictionary(sink);
    return true;
  } catch (e) {
    if (e === SYNTAX) return false;
    throw e;
  }
}
