/**
 * How the kernel reads `pptdevs` (`vmm_is_pptdev` in `sys/amd64/vmm/vmm.c`, facts §1.2): only
 * `pptdevs`, `pptdevs2`, `pptdevs3`; each value is cut at single ASCII spaces and every piece is
 * read with `sscanf("%d/%d/%d")`, which skips leading blanks, accepts a sign, stops at the first
 * character it cannot use and ignores the rest. {@linkcode readPptdevsValue} does exactly that,
 * so pptkit and the kernel agree on what a value reserves. Also the kernel's limits, and `kenv`.
 *
 * @module
 */

import { bsfAddress, formatBsf, type PciAddress } from "../address.ts";
import { isBlank } from "./lines.ts";
import { effectiveAssignment, type LoaderValues } from "./values.ts";

/** The only variables the kernel reads for reservations, in the order it scans them. */
export const PPTDEVS_VARIABLES = ["pptdevs", "pptdevs2", "pptdevs3"] as const;
/** One of {@linkcode PPTDEVS_VARIABLES}. */
export type PptdevsVariable = typeof PPTDEVS_VARIABLES[number];

/**
 * Longest `pptdevs*` value pptkit writes or accepts without a finding: the 128-character limit
 * vmm(4) documents (`KENV_MVALLEN`; quotes not counted).
 */
export const PPTDEVS_VALUE_LIMIT = 128;

/**
 * Longest `name=value` string the kernel keeps from the loader: `init_dynamic_kenv_from()` drops
 * (not truncates) a string when `strlen + 1 > KENV_MNAMELEN + 1 + KENV_MVALLEN + 1` = 258, with
 * "WARNING: too long kenv string, ignoring". UNVERIFIED by a boot test (facts §1.4).
 */
export const KENV_BOOT_STRING_LIMIT = 257;

/** One piece of a pptdevs value, as `vmm_is_pptdev` cuts and reads it. */
export interface KernelToken {
  /** The piece between single spaces (may hold tabs: they are not separators). */
  readonly text: string;
  /** Offset of the piece in the value. */
  readonly start: number;
  /** The numbers `sscanf("%d/%d/%d")` converted, 0 to 3 of them. */
  readonly numbers: readonly number[];
  /** What the kernel matches: B/S/F when three numbers were read and each is in range, else null. */
  readonly address: PciAddress | null;
  /** Text after the third number, which the kernel ignores ("" when none or not 3 numbers). */
  readonly ignored: string;
}

/** Kernel `isspace`: space and \t..\r. */
function isKernelSpace(code: number): boolean {
  return isBlank(code);
}

/**
 * `sscanf(s, "%d/%d/%d")` of the kernel's libkern: `%d` skips blanks, takes an optional sign and
 * at least one decimal digit; `/` must match exactly. Returns the numbers read and where reading
 * stopped. A number beyond int range is undefined behaviour in C; here it ends the scan (it can
 * never match a device anyway).
 */
function scanBsf(s: string): { numbers: number[]; end: number } {
  const numbers: number[] = [];
  let i = 0;
  for (let n = 0; n < 3; n++) {
    if (n > 0) {
      if (s.charCodeAt(i) !== 47) break;
      i++;
    }
    let j = i;
    while (j < s.length && isKernelSpace(s.charCodeAt(j))) j++;
    let sign = 1;
    if (s.charCodeAt(j) === 43 || s.charCodeAt(j) === 45) {
      if (s.charCodeAt(j) === 45) sign = -1;
      j++;
    }
    const digits = j;
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    if (j === digits) break;
    const value = sign * Number(s.slice(digits, j));
    if (value > 2147483647 || value < -2147483648) break;
    numbers.push(value);
    i = j;
  }
  return { numbers, end: i };
}

/**
 * Reads a pptdevs value exactly as the kernel does: cut at each single ASCII space (empty pieces,
 * from double, leading or trailing spaces, read as nothing and are left out), each piece through
 * `sscanf("%d/%d/%d")`. Use it for loader.conf values and for `kenv` values alike.
 */
export function readPptdevsValue(value: string): KernelToken[] {
  const out: KernelToken[] = [];
  let start = 0;
  while (start < value.length) {
    let end = value.indexOf(" ", start);
    if (end < 0) end = value.length;
    const text = value.slice(start, end);
    if (text !== "") {
      const { numbers, end: stop } = scanBsf(text);
      const address = numbers.length === 3 ? bsfAddress(numbers[0], numbers[1], numbers[2]) : null;
      out.push({
        text,
        start,
        numbers,
        address,
        ignored: numbers.length === 3 ? text.slice(stop) : "",
      });
    }
    start = end + 1;
  }
  return out;
}

/** True when a token is a plain decimal B/S/F that the kernel reads whole. */
export function isCleanToken(token: KernelToken): boolean {
  return token.address !== null && token.text === formatBsf(token.address);
}

/** A device the kernel reserves, and where the reservation comes from. */
export interface ReservedDevice {
  readonly address: PciAddress;
  /** `1/0/0`. */
  readonly bsf: string;
  readonly variable: PptdevsVariable;
  /** The token as written (`1/0/0`, or `01/0/0`, `1/0/0\t2/0/0` that the kernel reads as 1/0/0). */
  readonly token: string;
  /** The file and line of the effective assignment; null for a `kenv` value. */
  readonly file: string | null;
  readonly line: number | null;
}

/** `/boot/loader.conf:1 pptdevs`: where a reservation comes from (`kenv pptdevs` for kenv). */
export function reservationWhere(device: ReservedDevice): string {
  return device.file === null
    ? `kenv ${device.variable}`
    : `${device.file}:${device.line} ${device.variable}`;
}

/** The value of a pptdevs variable and where it comes from. */
interface PptdevsSource {
  readonly variable: PptdevsVariable;
  readonly value: string;
  readonly file: string | null;
  readonly line: number | null;
}

function reservedFrom(sources: readonly PptdevsSource[]): ReservedDevice[] {
  const seen = new Set<string>();
  const out: ReservedDevice[] = [];
  for (const source of sources) {
    for (const token of readPptdevsValue(source.value)) {
      if (token.address === null) continue;
      const bsf = formatBsf(token.address)!;
      if (seen.has(bsf)) continue;
      seen.add(bsf);
      out.push({
        address: token.address,
        bsf,
        variable: source.variable,
        token: token.text,
        file: source.file,
        line: source.line,
      });
    }
  }
  return out;
}

/** True when the kernel drops this `name=value` at boot as too long. */
export function droppedAtBoot(variable: string, value: string): boolean {
  return variable.length + 1 + value.length > KENV_BOOT_STRING_LIMIT;
}

/**
 * The devices the kernel will reserve at the next boot from these loader files, each with the
 * variable and file:line it comes from, in the kernel's scan order, each device once. A value the
 * kernel drops at boot as too long reserves nothing.
 */
export function reservedDevices(values: LoaderValues): ReservedDevice[] {
  const sources: PptdevsSource[] = [];
  for (const variable of PPTDEVS_VARIABLES) {
    const a = effectiveAssignment(values, variable);
    if (a === undefined || droppedAtBoot(variable, a.value)) continue;
    sources.push({ variable, value: a.value, file: a.file, line: a.line });
  }
  return reservedFrom(sources);
}

/** The devices the running kernel reserved, from `kenv` (see {@linkcode parseKenv}). */
export function kenvReservedDevices(kenv: ReadonlyMap<string, string>): ReservedDevice[] {
  const sources: PptdevsSource[] = [];
  for (const variable of PPTDEVS_VARIABLES) {
    const value = kenv.get(variable);
    if (value !== undefined) sources.push({ variable, value, file: null, line: null });
  }
  return reservedFrom(sources);
}

/**
 * Output of `kenv` (one `name="value"` per line) -> map. Values are printed unescaped, so the
 * value is everything between the first `="` and the last `"` of the line. Lines without `=` are
 * skipped; a repeated name keeps its last value.
 */
export function parseKenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    out.set(line.slice(0, eq), value);
  }
  return out;
}
