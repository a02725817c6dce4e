/**
 * The errno values explain reads after a message: FreeBSD's numbers (sys/sys/errno.h) and the
 * texts strerror(3) gives them (lib/libc/gen/errlst.c), for `: <strerror>` suffixes (`warn`,
 * `err`, `perror`), `(%d)` numbers and `errno %d`.
 *
 * @module
 */

import type { ErrnoName } from "./catalogue/schema.ts";

/** An errno as a message printed it. */
export interface Errno {
  readonly name: ErrnoName | null;
  readonly number: number | null;
  /** The strerror text, or the number as printed. */
  readonly text: string;
}

const TABLE: readonly (readonly [ErrnoName, number, string])[] = [
  ["EPERM", 1, "Operation not permitted"],
  ["ENOENT", 2, "No such file or directory"],
  ["EIO", 5, "Input/output error"],
  ["ENXIO", 6, "Device not configured"],
  ["ENOEXEC", 8, "Exec format error"],
  ["ENOMEM", 12, "Cannot allocate memory"],
  ["EACCES", 13, "Permission denied"],
  ["EFAULT", 14, "Bad address"],
  ["EBUSY", 16, "Device busy"],
  ["EEXIST", 17, "File exists"],
  ["ENODEV", 19, "Operation not supported by device"],
  ["EINVAL", 22, "Invalid argument"],
  ["ENOSPC", 28, "No space left on device"],
  ["EADDRINUSE", 48, "Address already in use"],
];

const BY_TEXT = new Map(TABLE.map(([name, number, text]) => [text, { name, number, text }]));
const BY_NUMBER = new Map(TABLE.map(([name, number, text]) => [number, { name, number, text }]));

/** The errno a strerror text names; null for a text strerror does not print. */
export function errnoOfText(text: string): Errno | null {
  const t = text.trim();
  const known = BY_TEXT.get(t);
  if (known !== undefined) return known;
  // strerror(3) of a number it has no text for.
  if (t.startsWith("Unknown error: ")) {
    const n = Number(t.slice("Unknown error: ".length));
    if (Number.isInteger(n)) return { name: BY_NUMBER.get(n)?.name ?? null, number: n, text: t };
  }
  return null;
}

/** The errno of a number (`Unable to setup memory (12)`). */
export function errnoOfNumber(n: number): Errno {
  return BY_NUMBER.get(n) ?? { name: null, number: n, text: String(n) };
}

/** The errno a value holds: a number, or a strerror text; null when it is neither. */
export function errnoOf(value: string): Errno | null {
  const t = value.trim();
  if (t !== "" && [...t].every((c) => c >= "0" && c <= "9")) return errnoOfNumber(Number(t));
  return errnoOfText(t);
}

/**
 * Splits a trailing `: <strerror>` off a message: what `warn`, `err` and `perror` append. Null
 * when the text after the last `: ` is no strerror text.
 */
export function splitStrerror(message: string): { head: string; errno: Errno } | null {
  const at = message.lastIndexOf(": ");
  if (at <= 0) return null;
  const errno = errnoOfText(message.slice(at + 2));
  return errno === null ? null : { head: message.slice(0, at), errno };
}

/** `ENOENT (No such file or directory)`, or the number when its name is not known. */
export function describeErrno(e: Errno): string {
  if (e.name === null) return e.number === null ? e.text : `errno ${e.number}`;
  const text = BY_NUMBER.get(e.number ?? -1)?.text ?? e.text;
  return `${e.name} (${text})`;
}
