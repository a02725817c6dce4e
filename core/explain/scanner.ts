/**
 * A small scanf-like reader for printf formats, so that a known message is found anywhere in
 * a line (wrapper logs add their own prefixes) without a regular expression backtracking over
 * the text.
 *
 * Conversions: `%d %i` a decimal number, `%u %o` an unsigned one, `%x %X` a hex number (with
 * or without `0x`), `%p` a pointer, `%b` the kernel's bit-field number (`0x20<RW>` style),
 * `%c` one character, `%s` text up to the literal that follows (the last one when it ends the
 * format), `%%` a percent sign. Flags, widths and length modifiers (`%#lx`, `%016lx`,
 * `%16lu`, `%jx`) are read and ignored, except that padding blanks before a number are
 * skipped. A leading `%s` is the word just before the first literal (bhyve prints
 * `__func__` there).
 *
 * @module
 */

/** A piece of a compiled format. */
export type Part =
  | { readonly literal: string }
  | { readonly spec: "d" | "u" | "x" | "p" | "b" | "c" | "s" };

/** A format ready to match: its parts, with leading blanks of the text dropped. */
export interface Compiled {
  readonly parts: readonly Part[];
  /** The number of conversions. */
  readonly conversions: number;
  /** The first literal, which every match contains; "" when the format has none. */
  readonly literal: string;
  /** The conversion before the first literal (`s`: the word before it), or null. */
  readonly lead: string | null;
  /** The parts from the first literal on. */
  readonly rest: readonly Part[];
  /** The format ends in a letter or digit: a match may not end inside a word. */
  readonly endsInWord: boolean;
}

const FLAGS = "#0- +'";
const LENGTHS = "hljztLq";

/** Splits a printf format into literals and conversions. */
export function compile(format: string): Compiled {
  const parts: Part[] = [];
  let literal = "";
  let conversions = 0;
  const text = format.replace(/^[ \t]+/, "");
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== "%") {
      literal += ch;
      continue;
    }
    let j = i + 1;
    while (j < text.length && FLAGS.includes(text[j])) j++;
    while (j < text.length && isDigit(text[j])) j++;
    if (text[j] === ".") {
      j++;
      while (j < text.length && isDigit(text[j])) j++;
    }
    while (j < text.length && LENGTHS.includes(text[j])) j++;
    const conv = text[j];
    const spec = conv === "i"
      ? "d"
      : conv === "o"
      ? "u"
      : conv === "X"
      ? "x"
      : conv !== undefined && "duxpbcs".includes(conv)
      ? conv as "d" | "u" | "x" | "p" | "b" | "c" | "s"
      : null;
    if (conv === "%") {
      literal += "%";
    } else if (spec === null) {
      literal += text.slice(i, j + 1);
    } else {
      if (literal !== "") parts.push({ literal });
      literal = "";
      parts.push({ spec });
      conversions++;
    }
    i = j;
  }
  if (literal !== "") parts.push({ literal });
  const firstLiteral = parts.findIndex((p) => "literal" in p);
  const head = parts[0];
  const last = parts[parts.length - 1];
  return {
    parts,
    conversions,
    literal: firstLiteral === 0 || firstLiteral === 1
      ? (parts[firstLiteral] as { literal: string }).literal
      : "",
    lead: firstLiteral === 1 && head !== undefined && "spec" in head ? head.spec : null,
    rest: firstLiteral === 1 ? parts.slice(1) : parts,
    endsInWord: last !== undefined && "literal" in last && isWordChar(last.literal.at(-1)),
  };
}

export function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

function isHex(ch: string | undefined): boolean {
  return ch !== undefined &&
    (isDigit(ch) || (ch >= "a" && ch <= "f") || (ch >= "A" && ch <= "F"));
}

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined &&
    (isDigit(ch) || (ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z") || ch === "_");
}

/** Reads one number conversion at `pos`; the position after it, or -1. */
function readNumber(spec: "d" | "u" | "x" | "p" | "b", line: string, pos: number): number {
  while (line[pos] === " ") pos++;
  if (spec === "d" && (line[pos] === "-" || line[pos] === "+")) pos++;
  if (spec !== "d" && spec !== "u" && (line.startsWith("0x", pos) || line.startsWith("0X", pos))) {
    pos += 2;
    while (line[pos] === " ") pos++;
  }
  const digits = pos;
  const ok = spec === "d" || spec === "u" ? isDigit : isHex;
  while (ok(line[pos])) pos++;
  if (pos === digits) return -1;
  if (spec === "b" && line[pos] === "<") {
    const close = line.indexOf(">", pos);
    if (close > 0) pos = close + 1;
  }
  return pos;
}

/** Matches `parts` at `pos` of `line`; the converted values and the end, or null. */
function matchAt(
  parts: readonly Part[],
  line: string,
  pos: number,
  lastOf: (literal: string) => number,
): { values: string[]; end: number } | null {
  const values: string[] = [];
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k];
    if ("literal" in part) {
      if (!line.startsWith(part.literal, pos)) return null;
      pos += part.literal.length;
      continue;
    }
    const start = pos;
    if (part.spec === "s") {
      const next = parts[k + 1];
      if (next === undefined) {
        pos = line.length;
      } else if ("literal" in next) {
        const end = k + 2 === parts.length ? lastOf(next.literal) : line.indexOf(next.literal, pos);
        if (end < pos) return null;
        pos = end;
      } else {
        return null; // %s followed by a conversion: no known format has it
      }
    } else if (part.spec === "c") {
      if (pos >= line.length) return null;
      pos++;
    } else {
      pos = readNumber(part.spec, line, pos);
      if (pos < 0) return null;
    }
    values.push(line.slice(start, pos).trim());
  }
  return { values, end: pos };
}

/** A format found in a line: where it starts and ends, and its converted values. */
export interface FormatMatch {
  readonly start: number;
  readonly end: number;
  readonly values: string[];
}

/** Where a number that ends just before `at` begins (padding blanks included); -1 if none. */
function numberBefore(line: string, at: number): number {
  let i = at;
  while (i > 0 && (isHex(line[i - 1]) || line[i - 1] === "x" || line[i - 1] === "-")) i--;
  if (i === at) return -1;
  while (i > 0 && line[i - 1] === " ") i--;
  return i;
}

/**
 * Finds a format in a line: anywhere, or (with `starts`) only at one of those positions. The
 * match may not end in the middle of a word (`PID: 0` is not `PID: 01`).
 */
export function findFormat(
  compiled: Compiled,
  line: string,
  starts?: readonly number[],
): FormatMatch | null {
  const { literal, lead, rest, parts, endsInWord } = compiled;
  if (literal === "") return null;
  let at = line.indexOf(literal);
  if (at < 0) return null;
  const word = lead === "s";
  // The last occurrence of the final literal does not depend on where the match starts: read
  // it once, so that a line full of the first literal costs one pass, not one per occurrence.
  let final: number | undefined;
  const lastOf = (lit: string) => final ??= line.lastIndexOf(lit);
  for (; at >= 0; at = line.indexOf(literal, at + 1)) {
    let start = at;
    let found: { values: string[]; end: number } | null;
    if (lead === null || word) {
      found = matchAt(rest, line, at, lastOf);
      if (word) {
        while (start > 0 && line[start - 1] !== " " && line[start - 1] !== "\t") start--;
      }
      if (found !== null && word) {
        found = { values: [line.slice(start, at), ...found.values], end: found.end };
      }
    } else {
      start = numberBefore(line, at);
      found = start < 0 ? null : matchAt(parts, line, start, lastOf);
    }
    if (found === null) continue;
    if (endsInWord && isWordChar(line[found.end])) continue;
    if (starts !== undefined && !starts.includes(start)) continue;
    return { start, end: found.end, values: found.values };
  }
  return null;
}
