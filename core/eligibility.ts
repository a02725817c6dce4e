/**
 * Eligibility (DESIGN §7): the per-device checks that need nothing but pciconf: can ppt(4) and
 * bhyve take this device at all?
 *
 * @module
 */

import { formatSelector } from "./address.ts";
import { type Finding, hasError } from "./findings.ts";
import { deviceKind, deviceLabel, type PciDevice } from "./pciconf.ts";

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
      message: `${label} is a ${deviceKind(device)} device, part of the host platform`,
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
