/**
 * The fields of a pciconf -l header line, in both layouts: `class= rev= hdr= vendor= device=
 * subvendor= subdevice=` (FreeBSD 13 and later) and `class= card= chip= rev= hdr=` (12 and
 * earlier), plus the columns of `pciconf -ll`.
 *
 * @module
 */

import { isSpaceOrTab } from "../text.ts";

function isHexDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
}

/** `0x1234` or `1234` -> lower-case hex padded to `width`; null when not hex or too wide. */
export function hexField(text: string, width: number, prefixed: boolean): string | null {
  let digits = text;
  if (prefixed) {
    if (!text.startsWith("0x") && !text.startsWith("0X")) return null;
    digits = text.slice(2);
  }
  if (digits.length === 0 || digits.length > width) return null;
  let upper = false;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (!isHexDigit(c)) return null;
    if (c >= 65 && c <= 70) upper = true;
  }
  // pciconf prints lower case at full width: then the slice is the answer, no copies.
  const lower = upper ? digits.toLowerCase() : digits;
  return lower.length === width ? lower : lower.padStart(width, "0");
}

/** The part of a header line that pciconf prints after the selector. */
export interface HeaderFields {
  classCode: string;
  revision: string;
  hdr: number;
  vendorId: string;
  deviceId: string;
  subvendorId: string;
  subdeviceId: string;
}

/**
 * The value of `key=` in a header's fields (`text` from `from`): the key must start a field,
 * so `device=` never matches inside `subdevice=`. Index lookups, no splitting: a large capture
 * has thousands of headers.
 */
function fieldValue(text: string, from: number, key: string): string | undefined {
  for (let i = text.indexOf(key, from); i >= 0; i = text.indexOf(key, i + 1)) {
    if (!isSpaceOrTab(text.charCodeAt(i - 1))) continue;
    let end = i + key.length;
    while (end < text.length && !isSpaceOrTab(text.charCodeAt(end))) end++;
    return text.slice(i + key.length, end);
  }
  return undefined;
}

/** `class=0x.. rev=0x.. hdr=0x.. vendor=0x.. device=0x.. subvendor=0x.. subdevice=0x..` or the old `card=`/`chip=` layout, after the selector at `from`. */
export function readKeyValueFields(line: string, from: number): HeaderFields | string {
  const get = (key: string, width: number): string | null => {
    const v = fieldValue(line, from, `${key}=`);
    return v === undefined ? null : hexField(v, width, true);
  };
  const classCode = get("class", 6);
  const revision = get("rev", 2);
  const hdr = get("hdr", 2);
  if (classCode === null) return "missing or bad class=";
  if (revision === null) return "missing or bad rev=";
  if (hdr === null) return "missing or bad hdr=";
  let vendorId = get("vendor", 4), deviceId = get("device", 4);
  let subvendorId = get("subvendor", 4), subdeviceId = get("subdevice", 4);
  const chip = get("chip", 8), card = get("card", 8);
  // Old layout (FreeBSD <= 12): chip = device<<16 | vendor, card = subdevice<<16 | subvendor.
  if (chip !== null) {
    deviceId ??= chip.slice(0, 4);
    vendorId ??= chip.slice(4);
  }
  if (card !== null) {
    subdeviceId ??= card.slice(0, 4);
    subvendorId ??= card.slice(4);
  }
  if (vendorId === null || deviceId === null) return "missing or bad vendor=/device= (or chip=)";
  if (subvendorId === null || subdeviceId === null) {
    return "missing or bad subvendor=/subdevice= (or card=)";
  }
  return headerFields([classCode, revision, hdr, vendorId, deviceId, subvendorId, subdeviceId]);
}

/** The fields in pciconf's order (class rev hdr vendor device subvendor subdevice), all read. */
function headerFields(f: readonly string[]): HeaderFields {
  const [classCode, revision, hdr, vendorId, deviceId, subvendorId, subdeviceId] = f;
  return {
    classCode,
    revision,
    hdr: parseInt(hdr, 16),
    vendorId,
    deviceId,
    subvendorId,
    subdeviceId,
  };
}

/** `pciconf -ll`: `class rev hdr vendor device subvendor subdevice` as bare hex columns. */
export function readColumnFields(tokens: string[]): HeaderFields | string {
  if (tokens.length !== 7) return `expected 7 columns after the selector, found ${tokens.length}`;
  const widths = [6, 2, 2, 4, 4, 4, 4];
  const fields: string[] = [];
  for (let i = 0; i < widths.length; i++) {
    const value = hexField(tokens[i], widths[i], false);
    if (value === null) return "bad hexadecimal column";
    fields.push(value);
  }
  return headerFields(fields);
}
