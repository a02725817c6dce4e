/**
 * Who uses which device: VM configs joined with the host's devices and the running VMs.
 *
 * {@linkcode computeUsage} is pure and linear in devices plus entries. It returns, per device,
 * the VMs that name it (`usedBy`, the inventory's `UsageMap`), a status with the guide's Status
 * text, and the one finding that is about the device rather than one VM's use of it: `conflict`
 * (two VMs, one device). Everything about one VM's use of its devices (not on ppt(4), slots,
 * plugins) is the verdict engine's (core/verdict.ts).
 *
 * @module
 */

import { addressKey, formatSelector } from "../address.ts";
import type { Finding } from "../findings.ts";
import { deviceLabel, type PciDevice } from "../pciconf.ts";
import type { VmUser } from "../plugins/api.ts";
import { compareText } from "../text.ts";
import type { VmConfig } from "./types.ts";

export type { VmUser };

/** The usage part of a device's status (the inventory adds reservation states). */
export type UsageStatus = "available" | "in-use" | "running" | "conflict";

/** What the VM configs say about one device. */
export interface DeviceUsage {
  /** Sorted by VM name, then source. */
  readonly usedBy: readonly VmUser[];
  readonly status: UsageStatus;
  /** `Available`, `In use by: vm1`, `Running in: vm1`, `Conflict: vm1, vm2`. */
  readonly statusText: string;
  /** `conflict` when two VMs name the device. */
  readonly findings: readonly Finding[];
}

/** The whole usage picture. */
export interface Usage {
  /** Every device of the host, by canonical key (`domain:bus:slot:function`). */
  readonly byDevice: ReadonlyMap<string, DeviceUsage>;
  /** Users per device key, only for used devices: the inventory's `UsageMap`. */
  readonly usedBy: ReadonlyMap<string, readonly VmUser[]>;
}

const AVAILABLE: DeviceUsage = {
  usedBy: [],
  status: "available",
  statusText: "Available",
  findings: [],
};

/**
 * Status and text for a device's users. A device named by two VMs is a conflict even when one
 * of them runs (the inventory's rule); otherwise a running user makes it `running`.
 */
export function usageStatus<U extends Pick<VmUser, "vm" | "running">>(
  users: readonly U[],
): { status: UsageStatus; text: string } {
  if (users.length === 0) return { status: "available", text: "Available" };
  const names = [...new Set(users.map((u) => u.vm))].sort(compareText);
  if (names.length > 1) return { status: "conflict", text: `Conflict: ${names.join(", ")}` };
  if (users.some((u) => u.running)) return { status: "running", text: `Running in: ${names[0]}` };
  return { status: "in-use", text: `In use by: ${names[0]}` };
}

/** Joins VM configs with the host's devices. `running` holds the names of running VMs. */
export function computeUsage(
  devices: readonly PciDevice[],
  vms: readonly VmConfig[],
  running: ReadonlySet<string>,
): Usage {
  const present = new Set(devices.map((d) => addressKey(d.address)));
  const users = new Map<string, VmUser[]>();
  for (const config of vms) {
    // A VM its wrapper does not run on this host (a Hoster replica) holds nothing here.
    if (config.inactive !== undefined) continue;
    for (const entry of config.passthru) {
      const key = addressKey(entry.address);
      if (!present.has(key)) continue;
      const list = users.get(key) ?? [];
      // The same VM in two sources names a device once per source; keep both (they differ).
      if (!list.some((u) => u.vm === config.vm && u.source === config.source)) {
        list.push({ vm: config.vm, source: config.source, running: running.has(config.vm) });
      }
      users.set(key, list);
    }
  }
  for (const list of users.values()) {
    list.sort((a, b) => compareText(a.vm, b.vm) || compareText(a.source, b.source));
  }
  const byDevice = new Map<string, DeviceUsage>();
  for (const device of devices) {
    const key = addressKey(device.address);
    const list = users.get(key);
    if (list === undefined) {
      byDevice.set(key, AVAILABLE);
      continue;
    }
    const { status, text } = usageStatus(list);
    byDevice.set(key, {
      usedBy: list,
      status,
      statusText: text,
      findings: conflictFindings(device, list),
    });
  }
  return { byDevice, usedBy: users };
}

/** `conflict`: a warning while at most one of the VMs runs, an error when two do. */
function conflictFindings(device: PciDevice, list: readonly VmUser[]): Finding[] {
  const names = [...new Set(list.map((u) => u.vm))];
  if (names.length < 2) return [];
  const runningNames = [...new Set(list.filter((u) => u.running).map((u) => u.vm))];
  return [{
    level: runningNames.length > 1 ? "error" : "warn",
    code: "conflict",
    message: `${deviceLabel(device)} is configured for ${names.length} VMs: ` +
      list.map((u) => `${u.vm} (${u.source}${u.running ? ", running" : ""})`).join(", "),
    fix: "remove it from all but one VM: only one VM at a time can hold a device",
    device: formatSelector(device.address),
  }];
}

/** The usage of one device; `Available` when the VM configs do not name it. */
export function usageOf(usage: Usage, device: PciDevice): DeviceUsage {
  return usage.byDevice.get(addressKey(device.address)) ?? AVAILABLE;
}
