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

import { formatLabel, parseAddress, type PciAddress, splitDeviceName } from "./address.ts";
import { dataError } from "./errors.ts";
import {
  type Msi,
  type Msix,
  numberAfter,
  type Pcie,
  readMsi,
  readMsix,
  readPcie,
  readSriov,
  type Sriov,
  tokenAfter,
} from "./pciconf/caps.ts";
import { classNames } from "./pciconf/classes.ts";
import { type HeaderFields, readColumnFields, readKeyValueFields } from "./pciconf/header.ts";
import { clip, isSpaceOrTab, words } from "./text.ts";

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

/** How messages name a device: its B/S/F, or its selector outside domain 0. */
export function deviceLabel(device: PciDevice): string {
  return formatLabel(device.address);
}

/** A friendly kind for messages: `display/VGA`, `bridge/PCI-PCI`, or `class 0x0c0330`. */
export function deviceKind(device: PciDevice): string {
  return [device.class, device.subclass].filter((x) => x !== null).join("/") ||
    `class 0x${device.classCode}`;
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

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && isSpaceOrTab(line.charCodeAt(i))) i++;
  return i;
}

/** A header line is `name@pci...:` at the start of the line (copies may indent it). */
function looksLikeHeader(line: string): boolean {
  return headerAt(line, indentOf(line), line.length);
}

/** A device name (no blanks) then `@pci`, starting at `at` and within `end`. */
function headerAt(text: string, at: number, end: number): boolean {
  let i = at;
  while (i < end && !isSpaceOrTab(text.charCodeAt(i)) && text.charCodeAt(i) !== 64) i++;
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
  for (let i = at + key.length; i < eq; i++) if (!isSpaceOrTab(text.charCodeAt(i))) return null;
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
  while (end < line.length && !isSpaceOrTab(line.charCodeAt(end))) end++;
  const selector = line.slice(start, end);
  let token;
  try {
    token = parseAddress(selector);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  if (token.spelling !== "pciconf" || token.address === null || token.name === null) {
    return `bad selector "${clip(selector, 43)}"`;
  }
  let first = end;
  while (first < line.length && isSpaceOrTab(line.charCodeAt(first))) first++;
  if (first === line.length) return `no fields after "${clip(selector, 43)}" (truncated line?)`;
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

/** Where `@` + each wanted `pciD:B:S:` stands in `text`, in order: the lines to look at. */
function occurrences(text: string, wanted: ReadonlySet<string>): number[] {
  const at: number[] = [];
  for (const slot of wanted) {
    const needle = `@${slot}`;
    for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) {
      at.push(i);
    }
  }
  return at.sort((a, b) => a - b);
}

/** Every line end, for counting the lines a partial parse passes over. */
const LINE_ENDS = /\n/g;

/** A `cap`/`ecap` line anywhere: the capture was made with -c (for a partial parse). */
const CAPABILITY_LINE = /\n[ \t]+e?cap [0-9a-f]+\[/;
/** A `bar` line anywhere: the capture was made with -b (for a partial parse). */
const BAR_LINE = /\n[ \t]+bar +\[[0-9a-f]+\] = type /;

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

  // Lone CR line ends (old Mac copies) become LF; CRLF loses its CR. Only then is text copied.
  const body = text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
  // A partial parse reads only the lines where a wanted slot's `@pciD:B:S:` stands (the only
  // places one of its headers can start) and the records that follow them.
  const candidates = wanted === null ? null : occurrences(body, wanted);
  let candidate = 0;
  let n = 0;
  for (let pos = 0; pos < body.length;) {
    if (current === null && candidates !== null) {
      // Outside a wanted record: jump to the line of the next candidate, counting the lines
      // passed over instead of reading each of them.
      while (candidate < candidates.length && candidates[candidate] < pos) candidate++;
      if (candidate === candidates.length) break;
      const next = candidates[candidate];
      const lineStart = body.lastIndexOf("\n", next) + 1;
      if (lineStart > pos) {
        // One call counts them: a loop of indexOf calls, one a line, costs a jitless hook up to
        // 0.45 ms on 300 devices (a wanted slot near the end), one match about 0.2 ms.
        n += body.slice(pos, lineStart).match(LINE_ENDS)?.length ?? 0;
        pos = lineStart;
      }
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
      current = record === "unwanted" ? null : record;
      continue;
    }
    // cap.c prints MSI-X table, PCIe link and SR-IOV details on deeper-indented lines.
    if (draft.openCap !== null) draft.openCap.text += " " + body.slice(at, end).trimEnd();
  }

  // A partial parse saw the capability and BAR lines of its own records only.
  if (wanted !== null && !capabilitiesKnown) capabilitiesKnown = CAPABILITY_LINE.test(body);
  if (wanted !== null && !barsKnown) barsKnown = BAR_LINE.test(body);
  const devices: PciDevice[] = [];
  for (const d of drafts.values()) devices.push(finish(d, capabilitiesKnown, barsKnown));
  if (devices.length === 0 && wanted !== null) {
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
