/**
 * The inventory: every PCI device of a host joined with what pptkit knows about it —
 * reservations (loader.conf, the running kernel's kenv), VM usage, running VMs, findings
 * (DESIGN §6). `list`, `show`, `check` and the hooks all read this one structure.
 *
 * {@linkcode buildInventory} is pure: it takes parsed facts. {@linkcode loadInventory} gathers
 * the facts from a {@linkcode Host} and calls it.
 *
 * @module
 */

import type { IommuFacts, IommuKind } from "./acpi.ts";
import {
  addressKey,
  formatBsf,
  formatSelector,
  parseAddress,
  type PciAddress,
  slotKey,
} from "./address.ts";
import { countHostDrivers, deviceFindings, isEligible, sriovParents } from "./eligibility.ts";
import { dataError } from "./errors.ts";
import { type Finding, sortFindings } from "./findings.ts";
import {
  amdviEnabled,
  amdviFinding,
  bomFindings,
  multiDomainFindings,
  pptdevsFindings,
  tunableNumber,
  typoFindings,
  vmmLoadedByLoader,
  vmmLoadFinding,
} from "./loader/findings.ts";
import { kenvReservedDevices, reservationWhere, reservedDevices } from "./loader/kernel.ts";
import type { LoaderConf } from "./loader/lines.ts";
import type { LoaderFileOrder } from "./loader/order.ts";
import { duplicateFindings, loaderValues } from "./loader/values.ts";
import { deviceLabel, type PciconfListing, type PciDevice } from "./pciconf.ts";
import { compareText, lines } from "./text.ts";

/** The inventory statuses of DESIGN §6. */
export type DeviceStatus =
  | "available"
  | "in-use"
  | "running"
  | "conflict"
  | "reboot-pending"
  | "not-reserved";

/** Where a device is reserved for ppt(4). */
export interface Reservation {
  /** The running kernel booted with it in pptdevs (kenv); null when kenv is unknown. */
  readonly atBoot: boolean | null;
  /** The next boot reserves it (effective loader.conf value). */
  readonly inLoaderConf: boolean;
  /** `/boot/loader.conf:1 pptdevs`, where the effective token is. */
  readonly where: string | null;
}

/** One VM that names a device. */
export interface DeviceUser {
  readonly vm: string;
  readonly source: string;
  readonly running: boolean;
  /** The VM config file that names it; null for a lock (a VM started with --devices). */
  readonly file?: string | null;
}

/** A device as the inventory sees it. */
export interface InventoryDevice {
  readonly device: PciDevice;
  readonly selector: string;
  readonly bsf: string | null;
  readonly reserved: Reservation;
  readonly usedBy: readonly DeviceUser[];
  readonly status: DeviceStatus;
  /** The Status column: `Available`, `In use by: vm1`, `Reserved (reboot)`, ... */
  readonly statusText: string;
  readonly eligible: boolean | null;
  readonly findings: readonly Finding[];
  /**
   * Those of `findings` that plugins' inspect hooks gave (quirk rules): cautions about the
   * hardware, which a VM's verdict carries as warnings, never as a veto. Absent: none.
   */
  readonly pluginFindings?: readonly Finding[];
}

/** Facts about the host as a whole. */
export interface HostFacts {
  readonly iommu: IommuKind;
  /** vmm.ko is loaded in the running kernel; null when unknown. */
  readonly vmmLoaded: boolean | null;
  /** loader.conf loads vmm at boot (`vmm_load="YES"`); null when no loader.conf was readable. */
  readonly vmmFromLoader: boolean | null;
  /** AMD-Vi enabled (`hw.vmm.amdvi.enable=1`); null on hosts without AMD-Vi. */
  readonly amdviEnabled: boolean | null;
  /** loader.conf and the running kernel disagree about pptdevs. */
  readonly rebootPending: boolean;
  /** Release of the host (`uname -r`), when known. */
  readonly release: string | null;
  /** Hardware platform (`uname -m`: amd64, arm64), when known. */
  readonly machine: string | null;
  readonly findings: readonly Finding[];
}

/** The whole picture. */
export interface Inventory {
  readonly host: HostFacts;
  readonly devices: readonly InventoryDevice[];
  /** Malformed pciconf lines that were skipped. */
  readonly skipped: PciconfListing["skipped"];
  /** Device by canonical key (`domain:bus:slot:function`). */
  readonly byKey: ReadonlyMap<string, InventoryDevice>;
  /** "this host" or "snapshot DIR", for messages. */
  readonly hostDescription: string;
}

/** What loader.conf (next boot) and kenv (this boot) say about reservations. */
export interface LoaderFacts {
  /** B/S/F -> `file:line variable` for every device the next boot reserves. */
  readonly reserved: ReadonlyMap<string, string>;
  /** B/S/F reserved by the running kernel (kenv pptdevs*); null when kenv is unknown. */
  readonly bootReserved: ReadonlySet<string> | null;
  /** Effective `vmm_load="YES"`; null when no loader.conf could be read. */
  readonly vmmLoad: boolean | null;
  /** Effective `hw.vmm.amdvi.enable=1` in loader.conf or kenv. */
  readonly amdviEnabled: boolean;
  /** Something other than pptdevs differs between loader.conf and kenv (vmm, amdvi). */
  readonly rebootPending: boolean;
  /** pptdevs syntax, length, ignored variables, duplicates... */
  readonly findings: readonly Finding[];
}

/** Usage of devices by VMs, keyed by canonical device key; filled by the VM config readers. */
export type UsageMap = ReadonlyMap<string, readonly DeviceUser[]>;

/** Parsed inputs of {@linkcode buildInventory}. */
export interface InventoryInput {
  readonly listing: PciconfListing;
  readonly iommu: IommuFacts;
  readonly loader: LoaderFacts;
  /** `kldstat` output; null when unknown. */
  readonly kldstat: string | null;
  /** `sysctl hw.vmm` values; null when unknown. */
  readonly sysctl: ReadonlyMap<string, string> | null;
  readonly release: string | null;
  /** `uname -m`: amd64, arm64; null or absent when unknown. */
  readonly machine?: string | null;
  /** Interfaces of the default routes (`netstat -rn`); null or absent when unknown. */
  readonly defaultRoute?: ReadonlySet<string> | null;
  /** Hint for messages: how to supply a missing fact (differs for live hosts and snapshots). */
  readonly snapshot: boolean;
  /** "this host" or "snapshot DIR", for messages. */
  readonly hostDescription?: string;
  readonly usage?: UsageMap;
  /** Findings about single devices from their VM users (conflict, not-on-ppt, plugins). */
  readonly usageFindings?: ReadonlyMap<string, readonly Finding[]>;
  /** Findings about the VM configs themselves (malformed, unknown device, no function 0). */
  readonly vmFindings?: readonly Finding[];
}

/** `sysctl` output (`name: value` lines) -> map. */
export function parseSysctl(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [, line] of lines(text)) {
    const colon = line.indexOf(": ");
    if (colon > 0) out.set(line.slice(0, colon).trim(), line.slice(colon + 2).trim());
  }
  return out;
}

/** Whether `kldstat` lists vmm.ko; null when kldstat is unknown. */
export function vmmInKldstat(kldstat: string | null): boolean | null {
  if (kldstat === null) return null;
  for (const [, line] of lines(kldstat)) {
    const t = line.trimEnd();
    if (t.endsWith(" vmm.ko") || t.endsWith("/vmm.ko")) return true;
  }
  return false;
}

function hostFindings(input: InventoryInput, vmmLoaded: boolean | null): Finding[] {
  const out: Finding[] = [...input.loader.findings];
  const { iommu } = input;
  const machine = input.machine ?? null;
  if (machine !== null && machine !== "amd64") {
    out.push({
      level: "error",
      code: "arch-unsupported",
      message: `this host is ${machine}: ppt(4) and bhyve PCI passthrough exist only on amd64, ` +
        "so no device can be passed through",
      fix: "run the VMs that need passthrough on an amd64 host",
    });
  }
  if (iommu.kind === "none") {
    out.push({
      level: "error",
      code: "no-iommu",
      message: "no DMAR or IVRS table in the ACPI tables: the firmware exposes no IOMMU " +
        "(VT-d / AMD-Vi), so bhyve cannot pass devices through",
      fix: "enable VT-d (Intel) or IOMMU / AMD-Vi (AMD) in the firmware setup, then check: " +
        "acpidump -t | grep -E 'DMAR|IVRS'",
    });
  } else if (iommu.kind === "unknown") {
    out.push({
      level: "warn",
      code: "iommu-unknown",
      message: "acpidump output is not available: cannot tell whether the host has an IOMMU",
      fix: input.snapshot
        ? "add the output of acpidump -t to the snapshot as acpidump.txt"
        : "run pptkit as root (acpidump reads /dev/mem)",
    });
  }
  const iommuEnable = input.sysctl?.get("hw.vmm.iommu.enable");
  if (iommuEnable === "0") {
    out.push({
      level: "error",
      code: "iommu-disabled",
      message: "hw.vmm.iommu.enable is 0: vmm will never use the IOMMU",
      fix: "remove hw.vmm.iommu.enable=0 from /boot/loader.conf and reboot",
    });
  }
  if (input.loader.vmmLoad === true && vmmLoaded === false) {
    out.push({
      level: "warn",
      code: "vmm-not-from-loader",
      message: 'loader.conf has vmm_load="YES" but vmm.ko is not loaded: ' +
        "the host has not been rebooted since",
      fix: "reboot to load vmm.ko with the kernel",
    });
  }
  if (!input.listing.capabilitiesKnown) {
    out.push({
      level: "info",
      code: "capabilities-unknown",
      message: "the pciconf capture has no capability lines: MSI, MSI-X and FLR are unknown, " +
        "so eligibility is unknown",
      fix: input.snapshot
        ? "capture with pciconf -lbcv (needs root) into pciconf.txt"
        : "run pptkit as root so pciconf -c can read the capabilities",
    });
  }
  return out;
}

/**
 * Status and Status text of a device, the state that matters first: a running VM (with the
 * others that name it: `Running in: vm1; conflict: vm2`), two VMs naming it
 * (`Conflict: vm1, vm2`), a VM naming a device that is not on ppt(4) yet
 * (`Reserved (reboot): vm1`, `Not on ppt: vm1`), a VM naming it (`In use by: vm1`); an unused
 * device is available on ppt, reserved for the next boot, or not reserved.
 */
function statusOf(
  device: PciDevice,
  reserved: Reservation,
  users: readonly DeviceUser[],
): { status: DeviceStatus; text: string } {
  if (users.length > 0) {
    const names = [...new Set(users.map((u) => u.vm))].sort(compareText);
    const running = names.filter((n) => users.some((u) => u.vm === n && u.running));
    if (running.length > 0) {
      const others = names.filter((n) => !running.includes(n));
      return {
        status: names.length > 1 ? "conflict" : "running",
        text: `Running in: ${running.join(", ")}` +
          (others.length > 0 ? `; conflict: ${others.join(", ")}` : ""),
      };
    }
    if (names.length > 1) return { status: "conflict", text: `Conflict: ${names.join(", ")}` };
    if (device.driver !== "ppt") {
      return reserved.inLoaderConf
        ? { status: "reboot-pending", text: `Reserved (reboot): ${names[0]}` }
        : { status: "not-reserved", text: `Not on ppt: ${names[0]}` };
    }
    return { status: "in-use", text: `In use by: ${names[0]}` };
  }
  if (device.driver === "ppt") return { status: "available", text: "Available" };
  if (reserved.inLoaderConf) return { status: "reboot-pending", text: "Reserved (reboot)" };
  return { status: "not-reserved", text: "Not reserved" };
}

/** Joins parsed facts into the inventory. Pure; linear in the number of devices. */
export function buildInventory(input: InventoryInput): Inventory {
  const vmmLoaded = vmmInKldstat(input.kldstat) ??
    (input.sysctl === null ? null : input.sysctl.size > 0);
  const { loader } = input;
  const pendingBoot: string[] = [];
  const pendingRelease: string[] = [];
  const devices: InventoryDevice[] = [];
  const byKey = new Map<string, InventoryDevice>();

  const hostDrivers = countHostDrivers(input.listing.devices);
  const hostDeviceFacts = {
    defaultRoute: input.defaultRoute ?? null,
    parentOf: sriovParents(input.listing.devices),
  };
  for (const device of input.listing.devices) {
    const bsf = formatBsf(device.address);
    const where = bsf === null ? undefined : loader.reserved.get(bsf);
    const atBoot = loader.bootReserved === null
      ? null
      : bsf !== null && loader.bootReserved.has(bsf);
    const reserved: Reservation = {
      atBoot,
      inLoaderConf: where !== undefined,
      where: where ?? null,
    };
    if (reserved.inLoaderConf && atBoot === false && device.driver !== "ppt") {
      pendingBoot.push(deviceLabel(device));
    }
    // Reserved by the running kernel but no longer by loader.conf: host driver after reboot.
    // (A device bound since by devctl or iovctl is not claimed: iovctl configs persist.)
    if (
      !reserved.inLoaderConf && loader.vmmLoad !== null && atBoot === true
    ) {
      pendingRelease.push(deviceLabel(device));
    }
    const users = input.usage?.get(addressKey(device.address)) ?? [];
    const key = addressKey(device.address);
    const intrinsic = deviceFindings(device, hostDrivers, hostDeviceFacts);
    const own = [...intrinsic, ...(input.usageFindings?.get(key) ?? [])];
    const { status, text } = statusOf(device, reserved, users);
    const entry: InventoryDevice = {
      device,
      selector: formatSelector(device.address),
      bsf,
      reserved,
      usedBy: users,
      status,
      statusText: text,
      eligible: isEligible(device, intrinsic),
      findings: sortFindings(own),
    };
    devices.push(entry);
    byKey.set(key, entry);
  }

  const findings = [...hostFindings(input, vmmLoaded), ...(input.vmFindings ?? [])];
  const rebootPending = pendingBoot.length > 0 || pendingRelease.length > 0 ||
    loader.rebootPending;
  if (pendingBoot.length > 0 || pendingRelease.length > 0) {
    const parts: string[] = [];
    if (pendingBoot.length > 0) parts.push(`${pendingBoot.join(" ")} become ppt`);
    if (pendingRelease.length > 0) {
      parts.push(`${pendingRelease.join(" ")} go back to their host drivers`);
    }
    // --now needs vmm.ko (ppt(4) is part of it): without it, only a reboot applies the change.
    const now = [
      ...(pendingBoot.length > 0 ? [`pptkit reserve --now ${pendingBoot.join(" ")}`] : []),
      ...(pendingRelease.length > 0 ? [`pptkit release --now ${pendingRelease.join(" ")}`] : []),
    ];
    findings.push({
      level: "warn",
      code: "reboot-pending",
      message: `loader.conf and the running kernel disagree on pptdevs: after a reboot ${
        parts.join("; ")
      }`,
      fix: vmmLoaded === true
        ? `reboot to apply, or apply it now: ${now.join("; ")}`
        : "reboot to apply",
    });
  }

  return {
    host: {
      iommu: input.iommu.kind,
      vmmLoaded,
      vmmFromLoader: loader.vmmLoad,
      amdviEnabled: input.iommu.ivrs
        ? loader.amdviEnabled || input.sysctl?.get("hw.vmm.amdvi.enable") === "1"
        : null,
      rebootPending,
      release: input.release,
      machine: input.machine ?? null,
      findings: sortFindings(findings),
    },
    devices,
    skipped: input.listing.skipped,
    byKey,
    hostDescription: input.hostDescription ?? "this host",
  };
}

/** `uname -mr` -> machine (`amd64`); null when the capture names none. */
export function machineOf(uname: string | null): string | null {
  if (uname === null) return null;
  const word = uname.trim().split(/\s+/)[1];
  return word === undefined || word === "" ? null : word;
}

/** `uname -mr` -> release (`14.1-RELEASE`). */
export function releaseOf(uname: string | null): string | null {
  if (uname === null) return null;
  const first = uname.trim().split(/\s+/)[0];
  return first === undefined || first === "" ? null : first;
}

/** The loader configuration files of a host, parsed, in the order the loader reads them. */
export interface LoaderFiles {
  readonly order: LoaderFileOrder;
  /** Every file in read order; a missing file is parsed as empty. */
  readonly files: readonly LoaderConf[];
  /** How many of the files exist. */
  readonly present: number;
}

/**
 * What the loader configuration (next boot) and kenv (this boot, null when unknown) say.
 * `captured` is false for a snapshot without any loader file: the next boot is then unknown
 * rather than empty.
 */
export function loaderFacts(
  loader: LoaderFiles,
  kenv: ReadonlyMap<string, string> | null,
  hasAmdVi: boolean,
  devices: readonly PciDevice[],
  captured: boolean,
): LoaderFacts {
  if (!captured) {
    return {
      ...runningKernelFacts(kenv),
      findings: [{
        level: "info",
        code: "loader-conf-unknown",
        message: "the snapshot has no loader configuration (root/boot/loader.conf): " +
          "reservations for the next boot are unknown",
        fix: "copy /boot/loader.conf into the snapshot as root/boot/loader.conf",
      }],
    };
  }
  const bootReserved = runningKernelFacts(kenv).bootReserved;
  const values = loaderValues(loader.files);
  const reservedList = reservedDevices(values);
  const findings: Finding[] = [
    ...(loader.order.finding === null ? [] : [loader.order.finding]),
    ...pptdevsFindings(values),
    ...bomFindings(values),
    ...typoFindings(values),
    ...duplicateFindings(values),
    ...multiDomainFindings(reservedList, devices.map((d) => d.address)),
  ];
  // A reservation the host has no device for: a card removed or moved, or a typo.
  const present = new Set(devices.map((d) => formatBsf(d.address)));
  for (const r of reservedList) {
    if (present.has(r.bsf)) continue;
    findings.push({
      level: "warn",
      code: "unknown-device",
      message: `${reservationWhere(r)} reserves ${r.bsf}, but this host has no device there`,
      fix: `remove it: pptkit release ${r.bsf}`,
      ...(r.file === null ? {} : { file: r.file, line: r.line! }),
    });
  }
  const vmm = vmmLoadFinding(values);
  if (vmm !== null) findings.push(vmm);
  const amdvi = amdviFinding(values, hasAmdVi);
  if (amdvi !== null) findings.push(amdvi);
  const vmmLoad = vmmLoadedByLoader(values);
  // vmm as the running kernel booted it, when kenv tells.
  const bootVmm = kenv === null ? null : kenv.get("vmm_load")?.toUpperCase() === "YES";
  return {
    reserved: new Map(reservedList.map((r) => [r.bsf, reservationWhere(r)])),
    bootReserved,
    vmmLoad,
    amdviEnabled: amdviEnabled(values),
    rebootPending: bootVmm !== null && bootVmm !== vmmLoad,
    findings,
  };
}

/**
 * Reservation facts of the running kernel alone (kenv), for a check about this boot: what the
 * next boot will do does not decide whether a VM can start now.
 */
export function runningKernelFacts(kenv: ReadonlyMap<string, string> | null): LoaderFacts {
  return {
    reserved: new Map(),
    bootReserved: kenv === null ? null : new Set(kenvReservedDevices(kenv).map((d) => d.bsf)),
    vmmLoad: null,
    amdviEnabled: kenv !== null && tunableNumber(kenv.get("hw.vmm.amdvi.enable") ?? "0") === 1,
    rebootPending: false,
    findings: [],
  };
}

/** Resolves a device in the inventory by address; undefined when the host has no such device. */
export function findDevice(inventory: Inventory, address: PciAddress): InventoryDevice | undefined {
  return inventory.byKey.get(addressKey(address));
}

/**
 * The devices `list` shows by default: on the ppt driver, reserved in loader.conf or by the
 * running kernel, or named by a VM config.
 */
export function isPassthroughCandidate(entry: InventoryDevice): boolean {
  return entry.device.driver === "ppt" || entry.reserved.inLoaderConf ||
    entry.reserved.atBoot === true || entry.usedBy.length > 0;
}

/** The other functions of a device's host slot: passed together or split, they belong together. */
export function slotSiblings(inventory: Inventory, entry: InventoryDevice): InventoryDevice[] {
  const key = slotKey(entry.device.address);
  return inventory.devices.filter((o) => o !== entry && slotKey(o.device.address) === key);
}

/**
 * Finds the device an address token names (any spelling of DESIGN §3, or a device name such
 * as `ppt0`). Throws 65 when the host has no such device.
 */
export function resolveDevice(inventory: Inventory, text: string): InventoryDevice {
  const token = parseAddress(text);
  const found = token.address !== null
    ? findDevice(inventory, token.address)
    : inventory.devices.find((d) => d.device.name === token.name);
  if (found === undefined) {
    throw dataError(
      `no PCI device at ${text} on ${inventory.hostDescription}`,
      "see the devices with: pptkit list --all",
    );
  }
  return found;
}
