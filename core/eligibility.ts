/**
 * Findings (DESIGN §7): the finding type, and the per-host and per-device eligibility checks that
 * need no VM configs.
 *
 * Every finding has a stable `code` that scripts can match on, a level, a one-line message that
 * names the device (as B/S/F, or the selector when the device has no B/S/F), and a `fix` when
 * there is one. Findings are data: `check` prints them, `list --json` carries them, `hook
 * prestart` vetoes on the error-level ones.
 *
 * @module
 */

import { formatBsf, formatSelector } from "./address.ts";
import type { PciDevice } from "./pciconf.ts";

/** How bad a finding is: `error` blocks passthrough, `warn` may, `info` explains. */
export type Level = "error" | "warn" | "info";

/** The stable codes of DESIGN §7 (and a few more that pptkit reports). */
export type FindingCode =
  | "no-iommu"
  | "iommu-unknown"
  | "iommu-disabled"
  | "amdvi-disabled"
  | "vmm-not-from-loader"
  | "no-msi"
  | "not-endpoint"
  | "domain-unsupported"
  | "not-on-ppt"
  | "reboot-pending"
  | "pptdevs-syntax"
  | "pptdevs-too-long"
  | "pptdevs4-ignored"
  | "pptdevs-duplicate"
  | "pptdevs-multi-domain"
  | "loader-conf-duplicate"
  | "loader-conf-overridden"
  | "loader-order-assumed"
  | "loader-conf-unknown"
  | "unknown-device"
  | "conflict"
  | "held-by-vm"
  | "lock-stale"
  | "lock-unreadable"
  | "missing-function0"
  | "partial-device"
  | "no-flr"
  | "host-critical"
  | "capabilities-unknown"
  | "guest-renumbered"
  | "slot-moved"
  | "vm-config"
  | "plugin"
  | "quirk";

export interface Finding {
  readonly level: Level;
  readonly code: FindingCode;
  /** One line, lower case, no final period; names the device or file it is about. */
  readonly message: string;
  /** The exact change that resolves it, when there is one. */
  readonly fix?: string;
  /** Selector of the device it is about (`pci0:1:0:0`), when it is about one device. */
  readonly device?: string;
  /** File and 1-based line it is about, when it is about a line of a file. */
  readonly file?: string;
  readonly line?: number;
}

/** Order of severity, for sorting and for "worst level" questions. */
const LEVEL_RANK: Record<Level, number> = { error: 0, warn: 1, info: 2 };

/** Sorts findings worst first, keeping the order of equal levels. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => LEVEL_RANK[a.level] - LEVEL_RANK[b.level]);
}

/** True when any finding is error-level. */
export function hasError(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.level === "error");
}

/** B/S/F when the device has one, else its selector: how messages name a device. */
export function deviceLabel(device: PciDevice): string {
  return formatBsf(device.address) ?? formatSelector(device.address);
}

/** A friendly kind for messages: `PCI-PCI bridge`, `network/ethernet`. */
function kindOf(device: PciDevice): string {
  return [device.class, device.subclass].filter((x) => x !== null).join("/") ||
    `class 0x${device.classCode}`;
}

/** PCI class 0x06: bridges; 0x0806: IOMMU. Parts of the platform, never a guest's. */
function isPlatformDevice(device: PciDevice): boolean {
  return device.classCode.startsWith("06") || device.classCode.startsWith("0806");
}

/** True when a host driver (not ppt, not none) holds the device. */
export function hasHostDriver(device: PciDevice): boolean {
  return device.driver !== "ppt" && device.driver !== "none";
}

/**
 * How many devices of each PCI class (2 hex digits) a host driver holds: the "only one of its
 * kind" heuristics of host-critical, counted once per listing so each device costs O(1).
 */
export type HostDriverCounts = ReadonlyMap<string, number>;

/** Counts host-driver devices per class for {@linkcode deviceFindings}. */
export function countHostDrivers(devices: readonly PciDevice[]): HostDriverCounts {
  const counts = new Map<string, number>();
  for (const d of devices) {
    if (!hasHostDriver(d)) continue;
    const cls = d.classCode.slice(0, 2);
    counts.set(cls, (counts.get(cls) ?? 0) + 1);
  }
  return counts;
}

/**
 * Findings about one device that need nothing but pciconf: can ppt(4) and bhyve take it at all?
 * `counts` comes from {@linkcode countHostDrivers} over the whole listing.
 */
export function deviceFindings(device: PciDevice, counts: HostDriverCounts): Finding[] {
  const out: Finding[] = [];
  const label = deviceLabel(device);
  const at = { device: formatSelector(device.address) };
  if (device.address.domain !== 0) {
    out.push({
      level: "error",
      code: "domain-unsupported",
      message: `${label} is in PCI domain ${device.address.domain}: ` +
        "bhyve and pptdevs can only name devices in domain 0",
      ...at,
    });
  }
  if (device.headerType !== 0) {
    const what = device.headerType === 1
      ? "a PCI-PCI bridge"
      : device.headerType === 2
      ? "a CardBus bridge"
      : `header type ${device.headerType}`;
    out.push({
      level: "error",
      code: "not-endpoint",
      message: `${label} is ${what}: ppt(4) attaches only to endpoints (header type 0)`,
      fix: "pass the devices behind the bridge instead",
      ...at,
    });
  } else if (isPlatformDevice(device)) {
    out.push({
      level: "error",
      code: "host-critical",
      message: `${label} is a ${kindOf(device)} device, part of the host platform`,
      fix: "do not pass it through; the host needs it",
      ...at,
    });
  }
  if (device.capabilitiesKnown) {
    if (device.msi === null && device.msix === null && device.headerType === 0) {
      out.push({
        level: "error",
        code: "no-msi",
        message: `${label} has neither MSI nor MSI-X: bhyve passthrough needs ` +
          "message-signalled interrupts",
        fix: "pick another device; legacy INTx interrupts cannot be passed to a guest",
        ...at,
      });
    }
    if (!device.flr && device.headerType === 0 && !isPlatformDevice(device)) {
      out.push({
        level: "warn",
        code: "no-flr",
        message: `${label} has no function level reset: ppt(4) falls back to a power-state ` +
          "reset, so device state may leak between guests",
        fix: "acceptable for one long-lived guest; avoid moving it between VMs",
        ...at,
      });
    }
  }
  const critical = hostCriticalReason(device, counts);
  if (critical !== null) {
    out.push({
      level: "warn",
      code: "host-critical",
      message: `${label} ${critical}`,
      fix: "make sure the host can live without it before you reserve it",
      ...at,
    });
  }
  return out;
}

/**
 * Why the host probably needs this device, when pciconf alone can tell: the only display or the
 * only storage controller attached to a host driver is likely the console or the boot disk.
 * The NIC that carries the default route cannot be seen from pciconf and is not guessed.
 */
function hostCriticalReason(device: PciDevice, counts: HostDriverCounts): string | null {
  if (!hasHostDriver(device) || device.headerType !== 0) return null;
  const cls = device.classCode.slice(0, 2);
  if ((cls !== "03" && cls !== "01") || counts.get(cls) !== 1) return null;
  return cls === "03"
    ? `is probably the console display (${device.name}, the only display with a host driver)`
    : `probably holds the boot disk (${device.name}, the only storage controller with a host driver)`;
}

/**
 * Whether a device can be passed through, from its own findings: null when capabilities are
 * unknown and nothing structural already rules it out.
 */
export function isEligible(device: PciDevice, findings: readonly Finding[]): boolean | null {
  if (hasError(findings)) return false;
  return device.capabilitiesKnown ? true : null;
}
