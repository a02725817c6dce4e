/**
 * Matching the catalogue against one unwrapped line (core/explain/logline.ts): the message
 * against every entry in catalogue order (the first one that matches explains it), and a
 * carrier frame (`[bhyve] ...`) against the carrier entries. A `: <strerror>` at the end of the
 * message is read as its errno: tried first for entries printed with warn, err or perror,
 * after the whole text for the others.
 *
 * @module
 */

import { CATALOGUE } from "./catalogue/index.ts";
import type { Entry, Field, Format } from "./catalogue/schema.ts";
import { type Errno, errnoOf, errnoOfText, splitStrerror } from "./errno.ts";
import type { LogLine } from "./logline.ts";
import { messageStarts } from "./logline.ts";
import { compile, type Compiled, findFormat } from "./scanner.ts";

/** One catalogue entry found on one line. */
export interface Match {
  readonly entry: Entry;
  readonly format: Format;
  readonly formatIndex: number;
  readonly line: number;
  /** The message from where the format starts to the end of the line. */
  readonly text: string;
  /** The converted values, in order. */
  readonly values: readonly string[];
  /** The values of the named fields. */
  readonly fields: Partial<Record<Field, string>>;
  /** The errno the line carries (a strerror suffix, or an errno field). */
  readonly errno: Errno | null;
}

interface CompiledEntry {
  readonly entry: Entry;
  readonly formats: readonly Compiled[];
}

const COMPILED: readonly CompiledEntry[] = CATALOGUE.map((entry) => ({
  entry,
  formats: entry.formats.map((f) => compile(f.text)),
}));
const MESSAGES = COMPILED.filter((c) => c.entry.role !== "carrier");
const CARRIERS = COMPILED.filter((c) => c.entry.role === "carrier");

const STRERROR_PRINTERS = new Set(["warn", "err", "perror"]);

function named(format: Format, values: readonly string[]): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  format.fields?.forEach((f, i) => {
    if (f !== null && values[i] !== undefined && out[f] === undefined) out[f] = values[i];
  });
  return out;
}

/** Tries an entry's formats on `text`, a prefix of `full` (the message without its strerror). */
function tryEntry(
  c: CompiledEntry,
  text: string,
  full: string,
  line: number,
  errno: Errno | null,
  starts: () => number[],
): Match | null {
  for (let i = 0; i < c.formats.length; i++) {
    const format = c.entry.formats[i];
    const found = findFormat(c.formats[i], text, format.strict === true ? starts() : undefined);
    if (found === null) continue;
    const fields = named(format, found.values);
    // perror(3) and friends: `TEXT: <strerror>` right after the format
    const rest = text.slice(found.end);
    const after = rest.startsWith(": ") ? errnoOfText(rest.slice(2)) : null;
    const own = fields.errno === undefined ? after : errnoOf(fields.errno);
    return {
      entry: c.entry,
      format,
      formatIndex: i,
      line,
      text: full.slice(found.start).trim(),
      values: found.values,
      fields,
      errno: own ?? errno,
    };
  }
  return null;
}

/** `messageStarts` of a text, read once. */
function startsOf(text: string): () => number[] {
  let starts: number[] | undefined;
  return () => starts ??= messageStarts(text);
}

/** The entry that explains a line's message, if any. */
export function matchMessage(line: LogLine): Match | null {
  const message = line.message;
  const split = splitStrerror(message);
  const whole = startsOf(message);
  const head = split === null ? whole : startsOf(split.head);
  for (const c of MESSAGES) {
    const withErrno = STRERROR_PRINTERS.has(c.entry.printer);
    if (withErrno && split !== null) {
      const m = tryEntry(c, split.head, message, line.n, split.errno, head);
      if (m !== null) return m;
    }
    const m = tryEntry(c, message, message, line.n, null, whole);
    if (m !== null) return m;
    if (!withErrno && split !== null) {
      const s = tryEntry(c, split.head, message, line.n, split.errno, head);
      if (s !== null) return s;
    }
  }
  return null;
}

/** The carrier entry whose frame a line has, if any. */
export function matchCarrier(line: LogLine): Match | null {
  if (line.carrier === null) return null;
  const starts = startsOf(line.outer);
  for (const c of CARRIERS) {
    const m = tryEntry(c, line.outer, line.outer, line.n, null, starts);
    if (m !== null) return m;
  }
  return null;
}
