/**
 * `pciconf` text -> typed PCI devices.
 *
 * One parser for every listing format: `pciconf -l`, `-lv`, `-lc`, `-lvc`, `-lbcv` and the
 * compact `-ll` columns; new (`vendor=0x.. device=0x..`) and old (`card=0x.. chip=0x..`)
 * headers. It is a loop over lines with a named predicate for each decision (the habit of
 * denoland/std `ini/parse.ts`): a header line starts a record, indented lines belong to it, and
 * the indented continuation lines that pciconf's `cap.c` prints for MSI-X, PCI-Express and
 * SR-IOV attach to the capability above them. Unknown lines are skipped, never fatal; a text
 * with no device at all is an input error.
 *
 * No regular expressions: every line is read with index loops, so the cost is linear in the
 * input even for a 200 KB line of garbage.
 *
 * @module
 */

import { parseAddress, type PciAddress, splitDeviceName } from "./address.ts";
import { dataError } from "./errors.ts";

/** MSI capability (`cap 05`). */
export interface Msi {
  /** Messages the device supports. */
  readonly messages: number;
  /** `64 bit` addressing. */
  readonly bits64: boolean;
  /** Messages enabled by the current driver; 0 when MSI is not in use. */
  readonly enabled: number;
}

/** MSI-X capability (`cap 11`). */
export interface Msix {
  readonly messages: number;
  /** Where the vector table lives: `BAR-register[offset]` as pciconf prints it, e.g. `0x10[0x0]`. */
  readonly table: string | null;
  /** Where the pending-bit array lives, same notation. */
  readonly pba: string | null;
  readonly enabled: boolean;
}

/** PCI-Express capability (`cap 10`). */
export interface Pcie {
  /** Port type as pciconf prints it: `endpoint`, `legacy endpoint`, `root endpoint`, `root port`, ... */
  readonly type: string;
  /** Function Level Reset in the Device Capabilities register. */
  readonly flr: boolean;
  /** `ARI enabled` / `ARI disabled` on ports; null when not printed. */
  readonly ari: boolean | null;
}

/** SR-IOV extended capability (`ecap 0010`). */
export interface Sriov {
  readonly totalVFs: number;
  readonly configuredVFs: number;
  readonly enabled: boolean;
  /** Device id of the virtual functions (4 hex digits), when printed. */
  readonly vfDeviceId: string | null;
}

/** One `bar [xx]` line of `pciconf -lb`. */
export interface Bar {
  /** Config register of the BAR in hex, e.g. `10`. */
  readonly register: string;
  /** `Memory`, `Prefetchable Memory` or `I/O Port`. */
  readonly type: string;
  /** Address width: 32, 64 or 20. */
  readonly range: number;
  /** Base address as printed (hex). */
  readonly base: string;
  readonly size: number;
  readonly enabled: boolean;
}

/** One PCI function as pciconf lists it. */
export interface PciDevice {
  readonly address: PciAddress;
  /** Device name: driver + unit (`ppt0`, `mlx5_core1`), or `noneN` when no driver is attached. */
  readonly name: string;
  /** Driver name (`ppt`, `vgapci`), or `none`. */
  readonly driver: string;
  /** Unit number; for `none` devices it counts unattached devices and is not stable. */
  readonly unit: number;
  /** Class, subclass and programming interface: 6 hex digits. */
  readonly classCode: string;
  readonly vendorId: string;
  readonly deviceId: string;
  readonly subvendorId: string;
  readonly subdeviceId: string;
  readonly revision: string;
  /** Header type, low 7 bits of `hdr`: 0 endpoint, 1 PCI-PCI bridge, 2 CardBus bridge. */
  readonly headerType: number;
  /** Bit 0x80 of `hdr`: the slot holds more than one function (set on function 0). */
  readonly multiFunction: boolean;
  /** Vendor and device strings of `pciconf -v` (from the pci_vendors database). */
  readonly vendor: string | null;
  readonly model: string | null;
  /** Class and subclass names: from `-v`, else derived from the class code as pciconf does. */
  readonly class: string | null;
  readonly subclass: string | null;
  /** True when the listing had capability lines (`-c`), so a missing MSI line means no MSI. */
  readonly capabilitiesKnown: boolean;
  readonly msi: Msi | null;
  readonly msix: Msix | null;
  readonly pcie: Pcie | null;
  /** Function Level Reset from PCI-Express or from PCI Advanced Features. */
  readonly flr: boolean;
  readonly sriov: Sriov | null;
  /** BARs of `-b`; null when the listing had no BAR lines. */
  readonly bars: readonly Bar[] | null;
  /** 1-based line of the header in the parsed text. */
  readonly line: number;
}

/** A header-like line that could not be read, with the reason (shown by `check -v`). */
export interface SkippedLine {
  readonly line: number;
  readonly reason: string;
}

/** What {@linkcode parsePciconf} found. */
export interface PciconfListing {
  readonly devices: PciDevice[];
  /** Lines that looked like device headers but were malformed. */
  readonly skipped: SkippedLine[];
  /** True when the text had `cap`/`ecap` lines: capability facts are known for every device. */
  readonly capabilitiesKnown: boolean;
}

/** Yields `[lineNumber, text]` for `\n`, `\r\n` and `\r` line ends. */
export function* lines(text: string): Generator<[number, string]> {
  let n = 1;
  if (!text.includes("\r")) {
    // The common case: native indexOf finds line ends far faster than a character loop.
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      yield [n++, text.slice(start, end)];
      start = end + 1;
    }
    return;
  }
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      yield [n++, text.slice(start, i)];
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
  }
  if (start < text.length) yield [n, text.slice(start)];
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9;
}

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  return i;
}

/** Splits on runs of blanks. */
function words(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    const start = i;
    while (i < text.length && !isSpace(text.charCodeAt(i))) i++;
    if (i > start) out.push(text.slice(start, i));
  }
  return out;
}

function isHexDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
}

/** `0x1234` or `1234` -> lower-case hex padded to `width`; null when not hex or too wide. */
function hexField(text: string, width: number, prefixed: boolean): string | null {
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
interface HeaderFields {
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
    if (!isSpace(text.charCodeAt(i - 1))) continue;
    let end = i + key.length;
    while (end < text.length && !isSpace(text.charCodeAt(end))) end++;
    return text.slice(i + key.length, end);
  }
  return undefined;
}

/** `class=0x.. rev=0x.. hdr=0x.. vendor=0x.. device=0x.. subvendor=0x.. subdevice=0x..` or the old `card=`/`chip=` layout, after the selector at `from`. */
function readKeyValueFields(line: string, from: number): HeaderFields | string {
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
function readColumnFields(tokens: string[]): HeaderFields | string {
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

function clip(text: string): string {
  return text.length > 40 ? text.slice(0, 40) + "..." : text;
}

/** A header line is `name@pci...:` at the start of the line (copies may indent it). */
function looksLikeHeader(line: string): boolean {
  return headerAt(line, indentOf(line), line.length);
}

/** A device name (no blanks) then `@pci`, starting at `at` and within `end`. */
function headerAt(text: string, at: number, end: number): boolean {
  let i = at;
  while (i < end && !isSpace(text.charCodeAt(i)) && text.charCodeAt(i) !== 64) i++;
  return i > at && i < end && text.startsWith("@pci", i);
}

/** One capability with its continuation lines joined by a space. */
interface CapText {
  kind: "cap" | "ecap";
  text: string;
}

/** Record being assembled from a header and its indented lines. */
interface Draft {
  line: number;
  address: PciAddress;
  name: string;
  fields: HeaderFields;
  /** The `-v` lines: vendor, device (model), class and subclass strings. */
  verbose: Partial<Record<"vendor" | "device" | "class" | "subclass", string>>;
  verboseSeen: boolean;
  caps: CapText[];
  bars: Bar[];
  /** Where continuation lines go: the last cap, or nowhere after a non-cap line. */
  openCap: CapText | null;
}

/** The `-v` keys pciconf prints, as they start an indented line. */
const VERBOSE_KEYS = ["vendor ", "device ", "class ", "subclass "];

/** `    vendor     = 'Intel Corporation'` -> ["vendor", "Intel Corporation"]; `at` is the indent. */
function readVerboseAt(
  text: string,
  at: number,
  end: number,
): ["vendor" | "device" | "class" | "subclass", string] | null {
  let key: string | undefined;
  for (const k of VERBOSE_KEYS) {
    if (text.startsWith(k, at)) {
      key = k;
      break;
    }
  }
  if (key === undefined) return null;
  const eq = text.indexOf(" = ", at);
  if (eq < 0 || eq >= end) return null;
  for (let i = at + key.length; i < eq; i++) if (!isSpace(text.charCodeAt(i))) return null;
  let value = text.slice(eq + 3, end).trim();
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
    value = value.slice(1, -1);
  }
  return [key.trimEnd() as "vendor" | "device" | "class" | "subclass", value];
}

/** Capability texts pptkit reads; the others (power, AER, vendor, ...) are never stored. */
const USED_CAPS = ["MSI", "PCI-Express ", "PCI Advanced Features", "SR-IOV", "SRIOV"];

/**
 * A `cap XX[YY] = ` or `ecap XXXX[YYY] = ` line in `text` from `at` (after the indent) to `end`:
 * "other" for a capability pptkit does not read, null when the line is not a capability.
 * Works on offsets into the whole listing, so the lines of a large capture cost no copies.
 */
function readCapAt(text: string, at: number, end: number): CapText | "other" | null {
  const kind = text.startsWith("cap ", at) ? "cap" : text.startsWith("ecap ", at) ? "ecap" : null;
  if (kind === null) return null;
  const eq = text.indexOf("] = ", at);
  if (eq < 0 || eq >= end) return null;
  const from = eq + 4;
  if (!USED_CAPS.some((p) => text.startsWith(p, from))) return "other";
  return { kind, text: text.slice(from, end) };
}

/** `    bar   [10] = type Memory, range 32, base 0x30100000, size 1048576, enabled`. */
function readBarAt(text: string, at: number, end: number): Bar | null {
  if (!text.startsWith("bar ", at)) return null;
  const open = text.indexOf("[", at);
  const close = text.indexOf("] = type ", at);
  if (open < 0 || close < open || close >= end) return null;
  const register = text.slice(open + 1, close);
  const body = text.slice(close + "] = type ".length, end).trimEnd();
  const comma = body.indexOf(",");
  const range = numberAfter(body, "range ");
  const size = numberAfter(body, "size ");
  const base = tokenAfter(body, "base ");
  if (comma < 0 || range === null || size === null || base === null) return null;
  return {
    register,
    type: body.slice(0, comma),
    range,
    base,
    size,
    enabled: body.endsWith(" enabled"),
  };
}

/** Reads the number right after `prefix` in `text`; null when absent. */
function numberAfter(text: string, prefix: string): number | null {
  const at = text.indexOf(prefix);
  if (at < 0) return null;
  let i = at + prefix.length;
  const start = i;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  return i > start ? Number(text.slice(start, i)) : null;
}

/** `MSI supports 8 messages, 64 bit enabled with 1 message`. */
function readMsi(text: string): Msi | null {
  const messages = numberAfter(text, "MSI supports ");
  if (messages === null) return null;
  return {
    messages,
    bits64: text.includes("64 bit"),
    enabled: numberAfter(text, "enabled with ") ?? 0,
  };
}

/** Text between `prefix` and the next `,` or blank. */
function tokenAfter(text: string, prefix: string): string | null {
  const at = text.indexOf(prefix);
  if (at < 0) return null;
  let i = at + prefix.length;
  const start = i;
  while (i < text.length && text[i] !== "," && !isSpace(text.charCodeAt(i))) i++;
  return i > start ? text.slice(start, i) : null;
}

/**
 * `MSI-X supports 64 messages, enabled` + `Table in map 0x20[0x0], PBA in map 0x20[0x2000]`;
 * older cap.c: `MSI-X supports 17 messages in map 0x20 enabled` or `in maps 0x10 and 0x14`.
 */
function readMsix(text: string): Msix | null {
  const messages = numberAfter(text, "MSI-X supports ");
  if (messages === null) return null;
  let table = tokenAfter(text, "Table in map ");
  let pba = tokenAfter(text, "PBA in map ");
  if (table === null) {
    table = tokenAfter(text, "in maps ") ?? tokenAfter(text, "in map ");
    pba = tokenAfter(text, " and ") ?? table;
  }
  return { messages, table, pba, enabled: hasWord(text, "enabled") };
}

/** Port types pciconf's cap.c prints, longest first so `root endpoint` beats `root port`. */
const PCIE_TYPES = [
  "PCI to PCIe bridge",
  "downstream port",
  "legacy endpoint",
  "event collector",
  "root endpoint",
  "upstream port",
  "PCI bridge",
  "root port",
  "endpoint",
];

/** True when `word` stands alone in `text` (blanks, commas or the ends around it). */
function hasWord(text: string, word: string): boolean {
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
    const before = i === 0 ? 32 : text.charCodeAt(i - 1);
    const after = i + word.length >= text.length ? 32 : text.charCodeAt(i + word.length);
    if ((isSpace(before) || before === 44) && (isSpace(after) || after === 44)) return true;
  }
  return false;
}

/** `PCI-Express 2 root endpoint max data 128(128) FLR` (the first line says all pptkit needs). */
function readPcie(text: string): Pcie | null {
  if (!text.startsWith("PCI-Express ")) return null;
  let i = "PCI-Express ".length;
  while (i < text.length && !isSpace(text.charCodeAt(i))) i++; // capability version
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  let type = PCIE_TYPES.find((t) => text.startsWith(t, i));
  if (type === undefined) {
    const n = numberAfter(text.slice(i), "type ");
    type = n === null ? "unknown" : `type ${n}`;
  }
  const rest = i + type.length;
  const ari = text.indexOf(" ARI ", rest);
  return {
    type,
    flr: hasWord(text.slice(rest), "FLR"),
    ari: ari < 0 ? null : text.startsWith("enabled", ari + 5),
  };
}

/** `SR-IOV 1 IOV enabled, ...` + `4 VFs configured out of 64 supported` + `VF Device ID 0x10ed`. */
function readSriov(text: string): Sriov | null {
  if (!text.startsWith("SR-IOV") && !text.startsWith("SRIOV")) return null;
  const total = numberAfter(text, "configured out of ");
  const configuredAt = text.indexOf(" VFs configured");
  let configured = 0;
  if (configuredAt > 0) {
    let i = configuredAt;
    while (i > 0 && text.charCodeAt(i - 1) >= 48 && text.charCodeAt(i - 1) <= 57) i--;
    configured = Number(text.slice(i, configuredAt)) || 0;
  }
  const vf = tokenAfter(text, "VF Device ID ");
  return {
    totalVFs: total ?? 0,
    configuredVFs: configured,
    enabled: text.includes("IOV enabled"),
    vfDeviceId: vf === null ? null : hexField(vf, 4, true),
  };
}

function finish(d: Draft, capabilitiesKnown: boolean, barsKnown: boolean): PciDevice {
  const name = splitDeviceName(d.name);
  let msi: Msi | null = null, msix: Msix | null = null, pcie: Pcie | null = null;
  let sriov: Sriov | null = null, afFlr = false;
  for (const cap of d.caps) {
    if (cap.kind === "cap") {
      if (cap.text.startsWith("MSI-X ")) msix ??= readMsix(cap.text);
      else if (cap.text.startsWith("MSI ")) msi ??= readMsi(cap.text);
      else if (cap.text.startsWith("PCI-Express ")) pcie ??= readPcie(cap.text);
      else if (cap.text.startsWith("PCI Advanced Features")) {
        afFlr = words(cap.text).includes("FLR");
      }
    } else {
      sriov ??= readSriov(cap.text);
    }
  }
  const [cls, sub] = classNames(d.fields.classCode);
  return {
    address: d.address,
    name: d.name,
    driver: name?.driver ?? d.name,
    unit: name?.unit ?? 0,
    classCode: d.fields.classCode,
    vendorId: d.fields.vendorId,
    deviceId: d.fields.deviceId,
    subvendorId: d.fields.subvendorId,
    subdeviceId: d.fields.subdeviceId,
    revision: d.fields.revision,
    headerType: d.fields.hdr & 0x7f,
    multiFunction: (d.fields.hdr & 0x80) !== 0,
    vendor: d.verbose.vendor ?? null,
    model: d.verbose.device ?? null,
    class: d.verbose.class ?? cls,
    // With -v, pciconf prints a subclass line only when it knows one.
    subclass: d.verboseSeen ? (d.verbose.subclass ?? null) : sub,
    capabilitiesKnown,
    msi,
    msix,
    pcie,
    flr: (pcie?.flr ?? false) || afFlr,
    sriov,
    bars: barsKnown ? d.bars : null,
    line: d.line,
  };
}

/** Reads a header line; a string is the reason it was rejected. */
function readHeader(line: string, lineNo: number): Draft | string {
  const start = indentOf(line);
  let end = start;
  while (end < line.length && !isSpace(line.charCodeAt(end))) end++;
  const selector = line.slice(start, end);
  let token;
  try {
    token = parseAddress(selector);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  if (token.spelling !== "pciconf" || token.address === null || token.name === null) {
    return `bad selector "${clip(selector)}"`;
  }
  let first = end;
  while (first < line.length && isSpace(line.charCodeAt(first))) first++;
  if (first === line.length) return `no fields after "${clip(selector)}" (truncated line?)`;
  const firstField = line.indexOf(" ", first);
  const keyed = line.slice(first, firstField < 0 ? undefined : firstField).includes("=");
  const fields = keyed
    ? readKeyValueFields(line, first - 1)
    : readColumnFields(words(line.slice(end)));
  if (typeof fields === "string") return fields;
  return {
    line: lineNo,
    address: token.address,
    name: token.name,
    fields,
    verbose: {},
    verboseSeen: false,
    caps: [],
    bars: [],
    openCap: null,
  };
}

/** `pci0:1:0:` of a device: its selector up to the function. */
function slotOfDevice(d: PciDevice): string {
  return `pci${d.address.domain}:${d.address.bus}:${d.address.slot}:`;
}

/** `pci0:1:0:` of a header `ppt0@pci0:1:0:1: ...`: its selector up to the function. */
function slotOfHeader(line: string): string {
  const at = line.indexOf("@pci");
  let end = at + 1;
  for (let colons = 0; end < line.length && colons < 3; end++) {
    if (line.charCodeAt(end) === 58) colons++;
  }
  return line.slice(at + 1, end);
}

/**
 * Starts the record of a header line: the new draft; "unwanted" when a partial parse does not
 * want it (`wanted`: `pciD:B:S:` of the wanted slots); null (with a skipped line) when the
 * header is malformed. Pasted boots repeat devices: the key is the selector, the later record
 * wins, in the place where the device first appeared (a Map keeps the first insertion's order).
 * (A plain function, not a closure: the parse loop's variables stay in registers.)
 */
function startRecord(
  line: string,
  n: number,
  drafts: Map<string, Draft>,
  skipped: SkippedLine[],
  wanted: ReadonlySet<string> | null,
): Draft | null | "unwanted" {
  if (wanted !== null && !wanted.has(slotOfHeader(line))) return "unwanted";
  const draft = readHeader(line, n);
  if (typeof draft === "string") {
    skipped.push({ line: n, reason: draft });
    return null;
  }
  const a = draft.address;
  drafts.set(`${a.domain}:${a.bus}:${a.slot}:${a.function}`, draft);
  return draft;
}

/** Options of {@linkcode parsePciconf}. */
export interface ParseOptions {
  /**
   * Parse only the functions of these host slots (domain, bus and slot of each address; every
   * function of the slot is kept, siblings included). The records of other devices are
   * skipped at the cost of a look at their header line: `hook prestart` needs the few
   * devices of one VM, not the whole host.
   */
  readonly slots?: readonly PciAddress[];
}

/** A `cap`/`ecap` line anywhere: the capture was made with -c (for a partial parse). */
const CAPABILITY_LINE = /\n[ \t]+e?cap [0-9a-f]+\[/;

/**
 * Parses pciconf listing text. Throws a bad-input error (65) when the text holds no device;
 * `source` names the input in that message.
 */
export function parsePciconf(
  text: string,
  source = "pciconf output",
  options: ParseOptions = {},
): PciconfListing {
  if (text.includes("\0")) {
    throw dataError(
      `${source} is binary, not pciconf text`,
      "capture it with: pciconf -lbcv > pciconf.txt",
    );
  }
  const drafts = new Map<string, Draft>();
  const skipped: SkippedLine[] = [];
  let current: Draft | null = null;
  let capabilitiesKnown = false;
  let barsKnown = false;
  // `pci0:1:0:` for each slot of a partial parse: a header is wanted when its selector starts so.
  const wanted = options.slots === undefined
    ? null
    : new Set(options.slots.map((a) => `pci${a.domain}:${a.bus}:${a.slot}:`));
  // Headers a partial parse passed over unread: they may be devices, or malformed.
  let passedOver = 0;

  // Lone CR line ends (old Mac copies) become LF; CRLF loses its CR. Only then is text copied.
  const body = text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
  let n = 0;
  for (let pos = 0; pos < body.length;) {
    if (current === null && wanted !== null) {
      // A partial parse outside a wanted record: jump to the line of the next "@pci" (the next
      // possible header) and count the lines passed over, instead of reading each of them.
      const next = body.indexOf("@pci", pos);
      if (next < 0) break;
      const lineStart = body.lastIndexOf("\n", next) + 1;
      for (
        let i = body.indexOf("\n", pos);
        i >= 0 && i < lineStart;
        i = body.indexOf("\n", i + 1)
      ) {
        n++;
      }
      if (lineStart > pos) pos = lineStart;
    }
    n++;
    let end = body.indexOf("\n", pos);
    if (end < 0) end = body.length;
    const start = pos;
    pos = end + 1;
    let at = start;
    // The hottest loop of a large listing: the blank test is written out, no call per character.
    for (let c = body.charCodeAt(at); at < end && (c === 32 || c === 9); c = body.charCodeAt(++at));
    if (at === end) continue; // blank
    if (at === start || current === null) {
      // Headers start the line (web copies may indent them); anything else at the margin is a
      // prompt, an elision ("...") or other text between records, not part of any device.
      const line = body.slice(start, end);
      if (looksLikeHeader(line)) {
        const record = startRecord(line, n, drafts, skipped, wanted);
        if (record === "unwanted") passedOver++;
        current = record === "unwanted" ? null : record;
      } else if (at === start) current = null;
      continue;
    }
    const draft: Draft = current;
    // Dispatch on the first letter: cap, ecap, bar, or a -v line (vendor, device, class,
    // subclass); anything else is a continuation line or unknown.
    const first = body.charCodeAt(at);
    const cap = first === 99 || first === 101 ? readCapAt(body, at, end) : null;
    if (cap !== null) {
      capabilitiesKnown = true;
      if (cap === "other") {
        draft.openCap = null;
      } else {
        draft.caps.push(cap);
        // Only MSI-X (its table line) and SR-IOV (its VF lines) need their continuation lines.
        draft.openCap = cap.text.startsWith("MSI-X") || cap.text.startsWith("SR") ? cap : null;
      }
      continue;
    }
    const bar = first === 98 ? readBarAt(body, at, end) : null;
    if (bar !== null) {
      barsKnown = true;
      draft.bars.push(bar);
      draft.openCap = null;
      continue;
    }
    const verbose = first === 118 || first === 100 || first === 99 || first === 115
      ? readVerboseAt(body, at, end)
      : null;
    if (verbose !== null) {
      draft.verbose[verbose[0]] = verbose[1];
      draft.verboseSeen = true;
      draft.openCap = null;
      continue;
    }
    const eq = body.indexOf("] = ", at);
    if (body.startsWith("iov bar", at) || (eq >= 0 && eq < end)) {
      draft.openCap = null;
      continue;
    }
    if (headerAt(body, at, end)) {
      const record = startRecord(body.slice(start, end), n, drafts, skipped, wanted);
      if (record === "unwanted") passedOver++;
      current = record === "unwanted" ? null : record;
      continue;
    }
    // cap.c prints MSI-X table, PCIe link and SR-IOV details on deeper-indented lines.
    if (draft.openCap !== null) draft.openCap.text += " " + body.slice(at, end).trimEnd();
  }

  // A partial parse saw the capability lines of its own records only.
  if (wanted !== null && !capabilitiesKnown) capabilitiesKnown = CAPABILITY_LINE.test(body);
  const devices: PciDevice[] = [];
  for (const d of drafts.values()) devices.push(finish(d, capabilitiesKnown, barsKnown));
  if (devices.length === 0 && passedOver > 0) {
    // None of the wanted slots: read everything, so a broken listing is an error here too
    // rather than "no such device".
    const all = parsePciconf(text, source);
    return { ...all, devices: all.devices.filter((d) => wanted!.has(slotOfDevice(d))) };
  }
  if (devices.length === 0) {
    const why = skipped.length > 0 ? `: line ${skipped[0].line}: ${skipped[0].reason}` : "";
    throw dataError(
      `no PCI device found in ${source}${why}`,
      "expected pciconf -lbcv output, lines like: vgapci0@pci0:0:2:0: class=0x030000 rev=0x06 hdr=0x00 vendor=0x8086 ...",
    );
  }
  return { devices, skipped, capabilitiesKnown };
}

/**
 * Class and subclass names for a class code, from the table pciconf copies from
 * `sys/dev/pci/pci.c` (`pci_nomatch_tab`). Used when the listing had no `-v` lines.
 */
export function classNames(classCode: string): [string | null, string | null] {
  const cls = parseInt(classCode.slice(0, 2), 16);
  const sub = parseInt(classCode.slice(2, 4), 16);
  const entry = PCI_CLASSES[cls];
  if (entry === undefined) return [null, null];
  return [entry[0], entry[1][sub] ?? null];
}

/** class -> [name, {subclass -> name}] (pciconf.c / pci.c `pci_nomatch_tab`). */
const PCI_CLASSES: Record<number, [string, Record<number, string>]> = {
  0x00: ["old", { 0x00: "non-VGA display device", 0x01: "VGA-compatible display device" }],
  0x01: ["mass storage", {
    0x00: "SCSI",
    0x01: "ATA",
    0x02: "floppy disk",
    0x03: "IPI",
    0x04: "RAID",
    0x05: "ATA (ADMA)",
    0x06: "SATA",
    0x07: "SAS",
    0x08: "NVM",
    0x09: "UFS",
  }],
  0x02: ["network", {
    0x00: "ethernet",
    0x01: "token ring",
    0x02: "fddi",
    0x03: "ATM",
    0x04: "ISDN",
  }],
  0x03: ["display", { 0x00: "VGA", 0x01: "XGA", 0x02: "3D" }],
  0x04: ["multimedia", { 0x00: "video", 0x01: "audio", 0x02: "telephony", 0x03: "HDA" }],
  0x05: ["memory", { 0x00: "RAM", 0x01: "flash" }],
  0x06: ["bridge", {
    0x00: "HOST-PCI",
    0x01: "PCI-ISA",
    0x02: "PCI-EISA",
    0x03: "PCI-MCA",
    0x04: "PCI-PCI",
    0x05: "PCI-PCMCIA",
    0x06: "PCI-NuBus",
    0x07: "PCI-CardBus",
    0x08: "PCI-RACEway",
  }],
  0x07: ["simple comms", {
    0x00: "UART",
    0x01: "parallel port",
    0x02: "multiport serial",
    0x03: "generic modem",
  }],
  0x08: ["base peripheral", {
    0x00: "interrupt controller",
    0x01: "DMA controller",
    0x02: "timer",
    0x03: "realtime clock",
    0x04: "PCI hot-plug controller",
    0x05: "SD host controller",
    0x06: "IOMMU",
  }],
  0x09: ["input device", {
    0x00: "keyboard",
    0x01: "digitizer",
    0x02: "mouse",
    0x03: "scanner",
    0x04: "gameport",
  }],
  0x0a: ["docking station", {}],
  0x0b: ["processor", {}],
  0x0c: ["serial bus", {
    0x00: "FireWire",
    0x01: "AccessBus",
    0x02: "SSA",
    0x03: "USB",
    0x04: "Fibre Channel",
    0x05: "SMBus",
  }],
  0x0d: ["wireless controller", { 0x00: "iRDA", 0x01: "IR", 0x10: "RF" }],
  0x0e: ["intelligent I/O controller", { 0x00: "I2O" }],
  0x0f: ["satellite communication", {
    0x01: "sat TV",
    0x02: "sat audio",
    0x03: "sat voice",
    0x04: "sat data",
  }],
  0x10: ["encrypt/decrypt", { 0x00: "network/computer crypto", 0x10: "entertainment crypto" }],
  0x11: ["dasp", { 0x00: "DPIO module" }],
  0x12: ["processing accelerators", {}],
  0x13: ["non-essential instrumentation", {}],
};
