/**
 * The capability lines pciconf -c prints (freebsd/freebsd-src `usr.sbin/pciconf/cap.c`), read
 * into the facts passthrough cares about: MSI, MSI-X, PCI Express (type, FLR) and SR-IOV.
 *
 * @module
 */

import { isSpaceOrTab } from "../text.ts";
import { hexField } from "./header.ts";

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

/** Reads the number right after `prefix` in `text`; null when absent. */
export function numberAfter(text: string, prefix: string): number | null {
  const at = text.indexOf(prefix);
  if (at < 0) return null;
  let i = at + prefix.length;
  const start = i;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  return i > start ? Number(text.slice(start, i)) : null;
}

/** `MSI supports 8 messages, 64 bit enabled with 1 message`. */
export function readMsi(text: string): Msi | null {
  const messages = numberAfter(text, "MSI supports ");
  if (messages === null) return null;
  return {
    messages,
    bits64: text.includes("64 bit"),
    enabled: numberAfter(text, "enabled with ") ?? 0,
  };
}

/** Text between `prefix` and the next `,` or blank. */
export function tokenAfter(text: string, prefix: string): string | null {
  const at = text.indexOf(prefix);
  if (at < 0) return null;
  let i = at + prefix.length;
  const start = i;
  while (i < text.length && text[i] !== "," && !isSpaceOrTab(text.charCodeAt(i))) i++;
  return i > start ? text.slice(start, i) : null;
}

/**
 * `MSI-X supports 64 messages, enabled` + `Table in map 0x20[0x0], PBA in map 0x20[0x2000]`;
 * older cap.c: `MSI-X supports 17 messages in map 0x20 enabled` or `in maps 0x10 and 0x14`.
 */
export function readMsix(text: string): Msix | null {
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
    if ((isSpaceOrTab(before) || before === 44) && (isSpaceOrTab(after) || after === 44)) {
      return true;
    }
  }
  return false;
}

/** `PCI-Express 2 root endpoint max data 128(128) FLR` (the first line says all pptkit needs). */
export function readPcie(text: string): Pcie | null {
  if (!text.startsWith("PCI-Express ")) return null;
  let i = "PCI-Express ".length;
  while (i < text.length && !isSpaceOrTab(text.charCodeAt(i))) i++; // capability version
  while (i < text.length && isSpaceOrTab(text.charCodeAt(i))) i++;
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
export function readSriov(text: string): Sriov | null {
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
