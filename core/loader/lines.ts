/**
 * The loader.conf line model (DESIGN §8): every line (assignment, comment, blank, malformed)
 * with its exact text and terminator, so that rendering an unmodified file gives the same bytes.
 *
 * How the Lua loader reads a line (freebsd/freebsd-src `stand/lua/config.lua`, facts §1.4):
 * - the file is split on `\n` only; a `\r` is just another blank (`%s`), so CRLF files work;
 * - blank lines and lines starting (after blanks) with `#` are skipped;
 * - `name = "value"` or `name = word`, blanks allowed around `=`; the quoted value runs to the
 *   next `"` (it may hold `#` and blanks), a word is `[-A-Za-z0-9][-A-Za-z0-9_.]*`; after the
 *   value only blanks or a `# comment` may follow, anything else makes the line "Malformed";
 * - a name is `[A-Za-z0-9][A-Za-z0-9_.-]*`; `X_load`, `X_name`, ... (module settings) also
 *   allow a name starting with `_`, `-` or `.`.
 * So `pptdevs=1/0/0` (unquoted, `/` is not a word character) is a malformed line that sets
 * nothing: device lists must be quoted.
 *
 * No regular expressions: every line is read with index loops.
 *
 * @module
 */

import { dataError } from "../errors.ts";

/** Module setting suffixes (`vmm_load`, ...): the loader stores their values unprocessed. */
const MODULE_SUFFIXES = ["_load", "_name", "_type", "_flags", "_before", "_after", "_error"];

/** A line terminator as found in the file; `""` only for a last line without a newline. */
export type LineEnd = "\n" | "\r\n" | "";

/** Why the loader rejects a line ("Malformed line" at boot). */
export type LineProblem =
  | "byte-order-mark"
  | "unterminated-quote"
  | "unquoted-value"
  | "empty-value"
  | "text-after-value"
  | "missing-equals"
  | "bad-name";

interface LineBase {
  /** 1-based line number. */
  readonly number: number;
  /** The line without its terminator, exactly as in the file. */
  readonly text: string;
  readonly eol: LineEnd;
}

/** `name=value`, `name = "value"  # comment`. */
export interface AssignmentLine extends LineBase {
  readonly kind: "assignment";
  readonly key: string;
  /** The value as written: between the quotes, or the bare word. */
  readonly raw: string;
  readonly quoted: boolean;
  /** Offsets of {@linkcode raw} in {@linkcode text}, for edits that keep everything else. */
  readonly valueStart: number;
  readonly valueEnd: number;
  /** Trailing `# comment` (from `#`), or null. */
  readonly comment: string | null;
}

export interface CommentLine extends LineBase {
  readonly kind: "comment";
}

export interface BlankLine extends LineBase {
  readonly kind: "blank";
}

/** A line the loader rejects; kept verbatim. */
export interface MalformedLine extends LineBase {
  readonly kind: "malformed";
  /** The variable it tries to set, when that much can be read. */
  readonly key: string | null;
  readonly problem: LineProblem;
  /** Why, in a few words: `unterminated quote`. */
  readonly reason: string;
}

export type LoaderLine = AssignmentLine | CommentLine | BlankLine | MalformedLine;

/** One loader.conf file as lines. */
export interface LoaderConf {
  /** Host path (`/boot/loader.conf`), used in messages and findings. */
  readonly path: string;
  readonly lines: readonly LoaderLine[];
}

/** Lua `%s` (C isspace): space, \t, \n, \v, \f, \r. */
export function isBlank(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

export function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** `[%w%d-_.]`: characters of a variable name. */
function isNameChar(code: number): boolean {
  return isAlnum(code) || code === 45 || code === 95 || code === 46;
}

/** `[-%w%d]`: first character of an unquoted value (WORDEXPR). */
export function isWordStart(code: number): boolean {
  return isAlnum(code) || code === 45;
}

/** `[-%w%d_.]`: further characters of an unquoted value. */
export function isWordChar(code: number): boolean {
  return isNameChar(code);
}

export function isModuleSetting(key: string): boolean {
  for (const suffix of MODULE_SUFFIXES) {
    if (key.length > suffix.length && key.endsWith(suffix)) return true;
  }
  return false;
}

/** A name the loader accepts: alnum first, or any name character for module settings. */
function isLoaderName(key: string): boolean {
  return isAlnum(key.charCodeAt(0)) || isModuleSetting(key);
}

export function skipBlanks(text: string, i: number): number {
  while (i < text.length && isBlank(text.charCodeAt(i))) i++;
  return i;
}

type Classified =
  | Omit<AssignmentLine, keyof LineBase>
  | Omit<CommentLine, keyof LineBase>
  | Omit<BlankLine, keyof LineBase>
  | Omit<MalformedLine, keyof LineBase>;

function malformed(key: string | null, problem: LineProblem, reason: string): Classified {
  return { kind: "malformed", key, problem, reason };
}

/**
 * The UTF-8 byte order mark (U+FEFF, bytes EF BB BF). The loader's patterns read bytes: the mark
 * is neither a blank nor a name character, so a line that starts with it matches none of them
 * ("Malformed line"). The file keeps it byte for byte (edit.ts).
 */
export const BOM = "\uFEFF";

/** Reads one line the way `config.parse` does. */
function classifyLine(text: string): Classified {
  if (text.startsWith(BOM)) {
    const rest = classifyLine(text.slice(BOM.length));
    const key = rest.kind === "assignment" || rest.kind === "malformed" ? rest.key : null;
    return malformed(key, "byte-order-mark", "a UTF-8 byte order mark starts the line");
  }
  let i = skipBlanks(text, 0);
  if (i === text.length) return { kind: "blank" };
  if (text.charCodeAt(i) === 35) return { kind: "comment" };
  const keyStart = i;
  while (i < text.length && isNameChar(text.charCodeAt(i))) i++;
  const key = text.slice(keyStart, i);
  i = skipBlanks(text, i);
  if (key === "" || text.charCodeAt(i) !== 61) {
    return malformed(key === "" ? null : key, "missing-equals", "not a name=value line");
  }
  if (!isLoaderName(key)) {
    return malformed(
      key,
      "bad-name",
      `variable name ${JSON.stringify(key)} must start with a letter or digit`,
    );
  }
  i = skipBlanks(text, i + 1);
  let valueStart: number;
  let valueEnd: number;
  let quoted: boolean;
  if (text.charCodeAt(i) === 34) {
    const close = text.indexOf('"', i + 1);
    if (close < 0) return malformed(key, "unterminated-quote", "unterminated quote");
    valueStart = i + 1;
    valueEnd = close;
    quoted = true;
    i = close + 1;
  } else {
    if (i === text.length) return malformed(key, "empty-value", "no value after =");
    if (!isWordStart(text.charCodeAt(i))) {
      return malformed(key, "unquoted-value", unquotedReason(text, i));
    }
    valueStart = i;
    while (i < text.length && isWordChar(text.charCodeAt(i))) i++;
    valueEnd = i;
    quoted = false;
  }
  const raw = text.slice(valueStart, valueEnd);
  const rest = skipBlanks(text, i);
  if (rest < text.length && text.charCodeAt(rest) !== 35) {
    return quoted
      ? malformed(
        key,
        "text-after-value",
        `text after the closing quote: ${JSON.stringify(text.slice(rest))}`,
      )
      : malformed(key, "unquoted-value", unquotedReason(text, valueStart));
  }
  const comment = rest < text.length ? text.slice(rest) : null;
  return { kind: "assignment", key, raw, quoted, valueStart, valueEnd, comment };
}

/** Explains an unquoted value that is not one loader word. */
function unquotedReason(text: string, start: number): string {
  let end = text.indexOf("#", start);
  if (end < 0) end = text.length;
  const value = text.slice(start, end).trimEnd();
  return `unquoted value ${JSON.stringify(value)} is not one word (letters, digits, - _ .): ` +
    "it must be in double quotes";
}

/**
 * Parses one loader.conf file into lines, keeping every line's exact text and terminator so that
 * {@linkcode renderLoaderConf} gives back the same string for any input. Lines end at `\n`
 * (with `\r\n` kept as one terminator), as the loader splits them; a lone `\r` stays in the text.
 * A NUL byte is an input error (exit 65) naming the file and line.
 */
export function parseLoaderConf(text: string, path: string): LoaderConf {
  const lines: LoaderLine[] = [];
  let start = 0;
  let number = 1;
  const push = (end: number, eol: LineEnd) => {
    const lineText = text.slice(start, end);
    lines.push({ number, text: lineText, eol, ...classifyLine(lineText) } as LoaderLine);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) {
      throw dataError(
        "NUL byte in loader configuration",
        "loader.conf must be plain text; inspect it with hexdump -C and remove the NUL bytes",
        { file: path, line: number },
      );
    }
    if (c === 10) {
      const crlf = i > start && text.charCodeAt(i - 1) === 13;
      push(crlf ? i - 1 : i, crlf ? "\r\n" : "\n");
      start = i + 1;
      number++;
    }
  }
  if (start < text.length) push(text.length, "");
  return { path, lines };
}

/** The file's text: every line and its terminator, byte for byte. */
export function renderLoaderConf(conf: LoaderConf): string {
  let out = "";
  for (const line of conf.lines) out += line.text + line.eol;
  return out;
}
