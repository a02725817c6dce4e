/**
 * Boot messages in a text (dmesg, /var/run/dmesg.boot, /var/log/messages): which driver took
 * each PCI device, and the IOMMU units the kernel found.
 *
 * - A PCI child attaches as `NAME: <description> ... at device S.F on pciN` (pci_print_child,
 *   sys/dev/pci/pci.c); ppt(4) sets no description: `ppt0 mem 0x...,... irq 16 at device 0.0
 *   on pci3`. pciN is the newbus unit of the bus, which is usually the bus number: with host
 *   facts the device's own name decides, else pptkit takes N as the bus and says so.
 * - IOMMU units: `dmarN: <DMA remap>` (Intel, sys/x86/iommu/intel_drv.c), `ivhdN: <AMD-Vi/IOMMU
 *   ivhd...>` (vmm's AMD-Vi, sys/amd64/vmm/amd/ivrs_drv.c), `amdiommuN: <DMA remap>` (the host's
 *   AMD IOMMU driver, sys/x86/iommu/amd_drv.c).
 * - `pptdevs="..."` in the same text (kenv output, a loader.conf) names the devices meant for
 *   ppt(4).
 *
 * Pure.
 *
 * @module
 */

import { bsfAddress, type PciAddress } from "../address.ts";

/** A device attach line. */
export interface Attach {
  readonly line: number;
  /** `ppt0`, `igb1`. */
  readonly name: string;
  readonly driver: string;
  readonly slot: number;
  readonly function: number;
  /** The N of `on pciN`. */
  readonly pciUnit: number;
}

/** An IOMMU unit of the boot messages. */
export interface IommuUnit {
  readonly line: number;
  readonly name: string;
  readonly kind: "vt-d" | "amd-vi" | "amd-iommu";
}

const AT_DEVICE = " at device ";
const ON_PCI = " on pci";

function digitsAt(text: string, pos: number): { value: number; end: number } | null {
  let end = pos;
  while (end < text.length && text[end] >= "0" && text[end] <= "9") end++;
  return end === pos ? null : { value: Number(text.slice(pos, end)), end };
}

/** `name` + unit at the start of a line; the driver part, or null. */
function driverOf(name: string): string | null {
  let i = name.length;
  while (i > 0 && name[i - 1] >= "0" && name[i - 1] <= "9") i--;
  if (i === name.length || i === 0) return null;
  const driver = name.slice(0, i);
  return [...driver].every((c) => (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c === "_")
    ? driver
    : null;
}

/** Reads a PCI attach line; null for any other line. */
export function readAttach(line: number, text: string): Attach | null {
  const at = text.indexOf(AT_DEVICE);
  if (at < 0) return null;
  const slot = digitsAt(text, at + AT_DEVICE.length);
  if (slot === null || text[slot.end] !== ".") return null;
  const fn = digitsAt(text, slot.end + 1);
  if (fn === null) return null;
  const on = text.indexOf(ON_PCI, fn.end);
  if (on < 0) return null;
  const unit = digitsAt(text, on + ON_PCI.length);
  if (unit === null || (unit.end < text.length && text[unit.end] !== " ")) return null;
  let end = 0;
  while (end < text.length && text[end] !== " " && text[end] !== ":") end++;
  const name = text.slice(0, end);
  const driver = driverOf(name);
  if (driver === null) return null;
  return { line, name, driver, slot: slot.value, function: fn.value, pciUnit: unit.value };
}

/** Reads an IOMMU unit's attach line; null for any other line. */
export function readIommuUnit(line: number, text: string): IommuUnit | null {
  const colon = text.indexOf(": <");
  if (colon <= 0) return null;
  const name = text.slice(0, colon);
  const driver = driverOf(name);
  const desc = text.slice(colon + 3);
  if (driver === "dmar" && desc.startsWith("DMA remap>")) return { line, name, kind: "vt-d" };
  if (driver === "amdiommu" && desc.startsWith("DMA remap>")) {
    return { line, name, kind: "amd-iommu" };
  }
  if (driver === "ivhd" && desc.startsWith("AMD-Vi/IOMMU")) return { line, name, kind: "amd-vi" };
  return null;
}

/** The devices of a `pptdevs="..."` (or `pptdevs2=`, `pptdevs3=`) line; null for others. */
export function readPptdevs(text: string): PciAddress[] | null {
  const t = text.trim();
  if (!t.startsWith("pptdevs")) return null;
  const eq = t.indexOf("=");
  const name = t.slice(0, eq);
  if (eq < 0 || !(name === "pptdevs" || name === "pptdevs2" || name === "pptdevs3")) return null;
  let value = t.slice(eq + 1);
  if (value.startsWith('"')) value = value.slice(1, value.endsWith('"') ? -1 : undefined);
  const out: PciAddress[] = [];
  // The kernel splits on single spaces and reads %d/%d/%d (vmm_is_pptdev).
  for (const token of value.split(" ")) {
    const parts = token.split("/");
    if (
      parts.length !== 3 ||
      !parts.every((p) => p !== "" && [...p].every((c) => c >= "0" && c <= "9"))
    ) continue;
    const a = bsfAddress(Number(parts[0]), Number(parts[1]), Number(parts[2]));
    if (a !== null) out.push(a);
  }
  return out;
}
