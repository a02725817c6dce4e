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

/** What the host tells about its devices beyond pciconf (each optional: unknown is nothing). */
export interface DeviceHostFacts {
  /** Interfaces that carry a default route (`netstat -rn`), e.g. `em0`. */
  readonly defaultRoute?: ReadonlySet<string> | null;
  /** The SR-IOV physical function a device is a virtual function of, from {@linkcode sriovParents}. */
  readonly parentOf?: ReadonlyMap<PciDevice, PciDevice>;
}

/** Routing ID of a function: bus, then slot and function (ARI functions above 7 have slot 0). */
function rid(d: PciDevice): number {
  return d.address.bus * 256 + d.address.slot * 8 + d.address.function;
}

/**
 * The virtual functions of the listing and their physical function: a device whose vendor and
 * device id are a PF's `VF Device ID`, in the same domain, at a routing ID after the PF's (the
 * nearest such PF when several share the id). PFs are indexed by those ids, each list sorted by
 * routing ID, so a device costs one lookup and a binary search.
 */
export function sriovParents(devices: readonly PciDevice[]): Map<PciDevice, PciDevice> {
  const out = new Map<PciDevice, PciDevice>();
  const byVf = new Map<string, PciDevice[]>();
  const vfKey = (vendor: string, device: string, domain: number) => `${vendor}:${device}:${domain}`;
  for (const d of devices) {
    if (d.sriov === null || d.sriov.vfDeviceId === null || d.sriov.configuredVFs === 0) continue;
    const key = vfKey(d.vendorId, d.sriov.vfDeviceId, d.address.domain);
    byVf.set(key, [...(byVf.get(key) ?? []), d]);
  }
  if (byVf.size === 0) return out;
  for (const list of byVf.values()) list.sort((a, b) => rid(a) - rid(b));
  const vfIds = new Set([...byVf.values()].map((list) => list[0].sriov!.vfDeviceId!));
  for (const d of devices) {
    if (!vfIds.has(d.deviceId)) continue;
    const pfs = byVf.get(vfKey(d.vendorId, d.deviceId, d.address.domain));
    if (pfs === undefined) continue;
    // The last PF whose routing ID is below the device's.
    let lo = 0;
    let hi = pfs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rid(pfs[mid]) < rid(d)) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) out.set(d, pfs[lo - 1]);
  }
  return out;
}

/**
 * Findings about one device that need nothing but pciconf (and, when known, the default route):
 * can ppt(4) and bhyve take it at all? `counts` comes from {@linkcode countHostDrivers} over
 * the whole listing.
 */
export function deviceFindings(
  device: PciDevice,
  counts: HostDriverCounts,
  host: DeviceHostFacts = {},
): Finding[] {
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
  const critical = hostCriticalReason(device, counts, host.defaultRoute ?? null);
  if (critical !== null) {
    out.push({
      level: "warn",
      code: "host-critical",
      message: `${label} ${critical}`,
      fix: "make sure the host can live without it before you reserve it",
      ...at,
    });
  }
  const vfs = device.sriov?.configuredVFs ?? 0;
  if (vfs > 0) {
    out.push({
      level: "warn",
      code: "sriov-pf",
      message: `${label} is an SR-IOV physical function with ${vfs} virtual function` +
        `${vfs === 1 ? "" : "s"} configured: giving it to ppt(4) takes the VFs away from ` +
        "the host and their guests",
      fix: `pass its virtual functions instead; to free the PF first: iovctl -D -d ${device.name}`,
      ...at,
    });
  }
  const pf = host.parentOf?.get(device);
  if (pf !== undefined) {
    out.push({
      level: "info",
      code: "sriov-vf",
      message: `${label} is an SR-IOV virtual function of ${deviceLabel(pf)} (${pf.name}): ` +
        "it exists only while iovctl(8) keeps the VFs configured",
      fix: `give it to ppt(4) with passthrough : true in its VF section of ${pf.name}'s ` +
        "iovctl.conf(5) file (applied at boot from iovctl_files in rc.conf); " +
        "pptdevs works too once iovctl creates the VF at the same address",
      ...at,
    });
  }
  return out;
}

/**
 * Why the host probably needs this device: the NIC that carries a default route (`netstat -rn`,
 * when captured; a route through a bridge, lagg or vlan interface is not traced to its member
 * NICs), and, when pciconf alone can tell, the only display or the only storage controller
 * attached to a host driver, likely the console or the boot disk.
 */
function hostCriticalReason(
  device: PciDevice,
  counts: HostDriverCounts,
  defaultRoute: ReadonlySet<string> | null,
): string | null {
  if (!hasHostDriver(device) || device.headerType !== 0) return null;
  const cls = device.classCode.slice(0, 2);
  if (cls === "02" && defaultRoute?.has(device.name)) {
    return `carries the default route (${device.name}): the host loses its network without it`;
  }
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
