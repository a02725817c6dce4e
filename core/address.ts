/**
 * PCI addresses and every spelling of them (DESIGN §3).
 *
 * | spelling  | example                | where                                    |
 * | --------- | ---------------------- | ---------------------------------------- |
 * | pciconf   | `vgapci0@pci0:0:2:0:`  | `pciconf -l` output                      |
 * | selector  | `pci0:0:2:0`           | pciconf / devctl argument                |
 * | bsf       | `0/2/0`                | pptdevs, bhyve `-s`, VM configs          |
 * | split     | `-1/0/1`               | Hoster: do not group this function       |
 * | pinned    | `1/0/0=6:0`            | vm-bhyve: host B/S/F at guest slot:func  |
 * | name      | `ppt0`                 | a device name (driver + unit)            |
 *
 * A device is keyed by `domain:bus:slot:function`; unit numbers change between boots.
 * Parsing walks the text with an index and reads every character: a token is accepted only when
 * all of it was consumed (the lesson of pciconf's `parsesel()`), never by prefix.
 *
 * @module
 */

import { dataError } from "./errors.ts";

/** Where a PCI function lives on the host. */
export interface PciAddress {
  readonly domain: number;
  readonly bus: number;
  readonly slot: number;
  readonly function: number;
}

/** A guest slot:function, as pinned by `1/0/0=6:0`. */
export interface GuestPin {
  readonly slot: number;
  readonly function: number;
}

/** The spellings of DESIGN §3. */
export type Spelling = "pciconf" | "selector" | "bsf" | "split" | "pinned" | "name";

/** One parsed address token, with what its spelling added to the bare address. */
export interface AddressToken {
  /** The text as given. */
  readonly text: string;
  readonly spelling: Spelling;
  /** The host address; null for a bare device name, which only the inventory can resolve. */
  readonly address: PciAddress | null;
  /** Device name (`ppt0`, `mlx5_core0`) from the `name` and `pciconf` spellings. */
  readonly name: string | null;
  /** `-` prefix: keep this function in its own guest slot. */
  readonly split: boolean;
  /** `=S:F` suffix: the guest slot and function this device must take. */
  readonly pin: GuestPin | null;
}

/** What a caller accepts: any spelling, or only the B/S/F family that bhyve and pptdevs read. */
export type AddressContext = "any" | "bsf";

/** Ranges of DESIGN §3 (host side: ARI / SR-IOV functions exceed 7). */
export const MAX_BUS = 255;
export const MAX_SLOT = 31;
export const MAX_FUNCTION = 255;
/** Guest functions are 0-7 (bhyve `MAXFUNCS`). */
export const MAX_GUEST_FUNCTION = 7;
const MAX_DOMAIN = 0xffffffff;
/** Longer tokens are rejected before any scanning: no address is this long. */
const MAX_TOKEN_LENGTH = 64;

const EXPECTED_BSF = "expected B/S/F like 2/0/0 (bus 0-255, slot 0-31, function 0-255)";
const EXPECTED_ANY =
  "expected B/S/F like 2/0/0, a selector like pci0:2:0:0, or a device name like ppt0";

/** Canonical key of a device: `domain:bus:slot:function`. */
export function addressKey(a: PciAddress): string {
  return `${a.domain}:${a.bus}:${a.slot}:${a.function}`;
}

/** `pci0:1:0:0`: the selector pciconf and devctl take. */
export function formatSelector(a: PciAddress): string {
  return `pci${a.domain}:${a.bus}:${a.slot}:${a.function}`;
}

/** `pci0:1:0:0:`: the selector as `pciconf -l` prints it (the guide's "PCI ID Raw"). */
export function formatRawSelector(a: PciAddress): string {
  return `${formatSelector(a)}:`;
}

/** `1/0/0`, or null for a device outside domain 0, which bhyve and pptdevs cannot name. */
export function formatBsf(a: PciAddress): string | null {
  return a.domain === 0 ? `${a.bus}/${a.slot}/${a.function}` : null;
}

/** How messages name a device: its B/S/F, or its selector when it is outside domain 0. */
export function formatLabel(a: PciAddress): string {
  return formatBsf(a) ?? formatSelector(a);
}

/**
 * The domain-0 address of three numbers read from text (a lock file name, a pptdevs token, a
 * bhyve message), or null when any is outside the ranges of DESIGN §3.
 */
export function bsfAddress(bus: number, slot: number, fn: number): PciAddress | null {
  const ok = (n: number, max: number) => Number.isInteger(n) && n >= 0 && n <= max;
  return ok(bus, MAX_BUS) && ok(slot, MAX_SLOT) && ok(fn, MAX_FUNCTION)
    ? { domain: 0, bus, slot, function: fn }
    : null;
}

/** `domain:bus:slot` of an address: the host slot its functions share. */
export function slotKey(a: PciAddress): string {
  return `${a.domain}:${a.bus}:${a.slot}`;
}

/** Orders addresses the way pciconf lists them. */
export function compareAddress(a: PciAddress, b: PciAddress): number {
  return a.domain - b.domain || a.bus - b.bus || a.slot - b.slot || a.function - b.function;
}

/** True when both name the same host function. */
export function sameAddress(a: PciAddress, b: PciAddress): boolean {
  return compareAddress(a, b) === 0;
}

/** Index-based reader over one token: numbers and single characters, nothing else. */
class Cursor {
  pos = 0;
  readonly end: number;
  constructor(readonly text: string, end = text.length) {
    this.end = end;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  peek(): string {
    return this.text[this.pos] ?? "";
  }
  eat(ch: string): boolean {
    if (this.pos >= this.end || this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }
  eatWord(word: string): boolean {
    if (!this.text.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }
  /** Reads a run of decimal digits; null when there is none (numbers past 2^53 stay huge). */
  number(): number | null {
    const start = this.pos;
    let n = 0;
    while (this.pos < this.end) {
      const c = this.text.charCodeAt(this.pos);
      if (!isDigit(c)) break;
      n = n * 10 + (c - 48);
      this.pos++;
    }
    return this.pos === start ? null : n;
  }
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isNameChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || isDigit(code) ||
    code === 95;
}

/** Reads `N(sep N)*` and returns the numbers, or null when the shape is different. */
function readNumbers(cur: Cursor, sep: string): number[] | null {
  const out: number[] = [];
  for (;;) {
    const n = cur.number();
    if (n === null) return null;
    out.push(n);
    if (!cur.eat(sep)) return out;
  }
}

function badAddress(text: string, detail: string, hint?: string): Error {
  return dataError(`bad PCI address "${text}": ${detail}`, hint);
}

function checkRanges(text: string, a: PciAddress): PciAddress {
  if (a.domain > MAX_DOMAIN) throw badAddress(text, `domain ${a.domain} is out of range`);
  if (a.bus > MAX_BUS) throw badAddress(text, `bus ${a.bus} is out of range 0-${MAX_BUS}`);
  if (a.slot > MAX_SLOT) throw badAddress(text, `slot ${a.slot} is out of range 0-${MAX_SLOT}`);
  if (a.function > MAX_FUNCTION) {
    throw badAddress(text, `function ${a.function} is out of range 0-${MAX_FUNCTION}`);
  }
  return a;
}

/** `pciD:B:S:F`, `pciB:S:F` (domain 0) with an optional trailing `:`; cursor after "pci". */
function readSelector(text: string, cur: Cursor): PciAddress | null {
  // A trailing ':' is how pciconf -l prints it.
  const end = text.endsWith(":") ? text.length - 1 : text.length;
  const body = new Cursor(text, end);
  body.pos = cur.pos;
  const nums = readNumbers(body, ":");
  if (nums === null || !body.done) return null;
  // pciconf(8): pcidomain:bus:device:function or pcibus:device:function.
  if (nums.length === 4) {
    return checkRanges(text, { domain: nums[0], bus: nums[1], slot: nums[2], function: nums[3] });
  }
  if (nums.length === 3) {
    return checkRanges(text, { domain: 0, bus: nums[0], slot: nums[1], function: nums[2] });
  }
  return null;
}

/** `B/S/F` with nothing before it; the cursor is left after F. */
function readBsf(text: string, cur: Cursor): PciAddress | null {
  const nums = readNumbers(cur, "/");
  if (nums === null || nums.length !== 3) return null;
  return checkRanges(text, { domain: 0, bus: nums[0], slot: nums[1], function: nums[2] });
}

/** The hint for a selector outside domain 0: no B/S/F names it, so nothing is suggested. */
function otherDomain(domain: number): string {
  return `the device is in PCI domain ${domain}: bhyve and pptdevs name devices of domain 0 ` +
    "only, so it cannot be passed through (pptkit list --all shows the devices of domain 0)";
}

/** A hint for the usual mistakes, computed only once a token has failed. */
function hintFor(token: string): string | undefined {
  const text = token.endsWith(":") ? token.slice(0, -1) : token;
  const cur = new Cursor(text);
  const at = text.indexOf("@");
  if (at >= 0) cur.pos = at + 1;
  if (cur.eatWord("pci")) {
    const nums = readNumbers(cur, ":");
    if (nums && nums.length >= 3) {
      // Only the same device: pci2:1:0:0 is not 1/0/0, which is in domain 0.
      if (nums.length === 4 && nums[0] !== 0) return otherDomain(nums[0]);
      const [b, s, f] = nums.slice(-3);
      return `did you mean ${b}/${s}/${f}? bhyve and pptdevs take bus/slot/function`;
    }
  }
  cur.pos = 0;
  const colon = readNumbers(cur, ":");
  if (colon && colon.length >= 3 && cur.done) {
    if (colon.length === 4 && colon[0] !== 0) return otherDomain(colon[0]);
    const [b, s, f] = colon.slice(-3);
    return `use / not : (did you mean ${b}/${s}/${f}?)`;
  }
  // Linux lspci spelling BB:SS.F with a hex bus.
  const dot = text.indexOf(".");
  if (dot > 0 && text.indexOf(":") > 0) {
    return "Linux-style addresses (01:00.0) are hexadecimal; FreeBSD uses decimal B/S/F like 1/0/0";
  }
  if (text.includes("0x")) return "bus, slot and function are decimal numbers";
  return undefined;
}

/**
 * Parses one address token in any spelling of DESIGN §3 (or only the B/S/F family when
 * `context` is `"bsf"`). Throws a {@linkcode PptkitError} (exit 65) that quotes the token and,
 * for the usual mistakes, says what was probably meant.
 */
export function parseAddress(text: string, context: AddressContext = "any"): AddressToken {
  const expected = context === "bsf" ? EXPECTED_BSF : EXPECTED_ANY;
  if (text.length === 0) throw badAddress(text, expected);
  if (text.length > MAX_TOKEN_LENGTH) throw badAddress(text.slice(0, 20) + "...", "too long");
  const cur = new Cursor(text);

  // -B/S/F and B/S/F[=S:F]
  const split = cur.eat("-");
  if (isDigit(text.charCodeAt(cur.pos))) {
    const address = readBsf(text, cur);
    if (address !== null) {
      let pin: GuestPin | null = null;
      if (cur.eat("=")) {
        const nums = readNumbers(cur, ":");
        if (nums === null || nums.length !== 2 || !cur.done) {
          throw badAddress(text, "expected a guest slot:function after = like 1/0/0=6:0");
        }
        if (nums[0] > MAX_SLOT) {
          throw badAddress(text, `guest slot ${nums[0]} is out of range 0-${MAX_SLOT}`);
        }
        if (nums[1] > MAX_GUEST_FUNCTION) {
          throw badAddress(
            text,
            `guest function ${nums[1]} is out of range 0-${MAX_GUEST_FUNCTION}`,
          );
        }
        pin = { slot: nums[0], function: nums[1] };
      }
      if (cur.done) {
        const spelling: Spelling = split ? "split" : pin ? "pinned" : "bsf";
        if (split && pin) throw badAddress(text, "a split (-) entry cannot also be pinned (=S:F)");
        return { text, spelling, address, name: null, split, pin };
      }
    }
    throw badAddress(text, expected, hintFor(text));
  }
  if (split) throw badAddress(text, expected, hintFor(text));

  // name@pciD:B:S:F: (pciconf -l), pciD:B:S:F (selector), name (ppt0)
  const at = text.indexOf("@");
  const namePart = at >= 0 ? text.slice(0, at) : null;
  if (namePart !== null) {
    const name = parseDeviceName(namePart);
    cur.pos = at + 1;
    if (name !== null && cur.eatWord("pci")) {
      const address = readSelector(text, cur);
      if (address !== null) {
        if (context === "bsf") throw badAddress(text, expected, hintFor(text));
        return { text, spelling: "pciconf", address, name, split: false, pin: null };
      }
    }
    throw badAddress(text, expected, hintFor(text));
  }
  if (cur.eatWord("pci") && isDigit(text.charCodeAt(cur.pos))) {
    const address = readSelector(text, cur);
    if (address !== null) {
      if (context === "bsf") throw badAddress(text, expected, hintFor(text));
      return { text, spelling: "selector", address, name: null, split: false, pin: null };
    }
    throw badAddress(text, expected, hintFor(text));
  }
  const name = parseDeviceName(text);
  if (name !== null && context === "any") {
    return { text, spelling: "name", address: null, name, split: false, pin: null };
  }
  throw badAddress(text, expected, hintFor(text));
}

/** Like {@linkcode parseAddress} but returns undefined instead of throwing. */
export function tryParseAddress(
  text: string,
  context: AddressContext = "any",
): AddressToken | undefined {
  try {
    return parseAddress(text, context);
  } catch {
    return undefined;
  }
}

/** Parses a plain `B/S/F` (no split, no pin), as pptdevs and bhyve read it. */
export function parseBsf(text: string): PciAddress {
  const token = parseAddress(text, "bsf");
  if (token.spelling !== "bsf" || token.address === null) {
    throw badAddress(text, EXPECTED_BSF);
  }
  return token.address;
}

/** A driver name with its unit (`mlx5_core0` -> driver `mlx5_core`, unit 0). */
export interface DeviceName {
  readonly driver: string;
  readonly unit: number;
}

/**
 * Splits a device name into driver and unit: the unit is the trailing digits, so driver names
 * may contain digits themselves (`mlx5_core0`). Returns null when it is not a device name.
 */
export function splitDeviceName(name: string): DeviceName | null {
  if (name.length === 0 || name.length > MAX_TOKEN_LENGTH) return null;
  let end = name.length;
  while (end > 0 && isDigit(name.charCodeAt(end - 1))) end--;
  if (end === 0 || end === name.length) return null;
  const first = name.charCodeAt(0);
  if (isDigit(first) || first === 95) return null;
  for (let i = 0; i < end; i++) {
    if (!isNameChar(name.charCodeAt(i))) return null;
  }
  return { driver: name.slice(0, end), unit: Number(name.slice(end)) };
}

function parseDeviceName(text: string): string | null {
  return splitDeviceName(text) === null ? null : text;
}
