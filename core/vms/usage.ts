/**
 * Who uses which device: VM configs joined with the host's devices and the running VMs.
 *
 * {@linkcode computeUsage} is pure and linear in devices plus entries. It returns, per device,
 * the VMs that name it (`usedBy`, the inventory's `UsageMap`), a status with the guide's Status
 * text, and findings: `conflict` (two VMs, one device), `not-on-ppt` (configured but another
 * driver has it), `unknown-device` (configured but not on this host), `missing-function0` (a
 * guest slot the wrapper would build without function 0) and, through plugins,
 * `partial-device`. Plugins are optional and reached only through the {@linkcode PluginHooks}
 * type, so that listing without plugins never loads plugin code.
 *
 * @module
 */

import { addressKey, formatBsf, formatSelector, type PciAddress } from "../address.ts";
import { deviceLabel, type Finding } from "../eligibility.ts";
import type { PciDevice } from "../pciconf.ts";
import type { PluginContext, PluginHooks, VmUser } from "../plugins.ts";
import { compareText, configFinding, type Entry, type VmConfig } from "./types.ts";

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
  /** `conflict`, `not-on-ppt` and plugin findings about this device. */
  readonly findings: readonly Finding[];
}

/** The whole usage picture. */
export interface Usage {
  /** Every device of the host, by canonical key (`domain:bus:slot:function`). */
  readonly byDevice: ReadonlyMap<string, DeviceUsage>;
  /** Users per device key, only for used devices: the inventory's `UsageMap`. */
  readonly usedBy: ReadonlyMap<string, readonly VmUser[]>;
  /** Findings about VM configs rather than one host device (`unknown-device`, ...). */
  readonly findings: readonly Finding[];
}

const AVAILABLE: DeviceUsage = {
  usedBy: [],
  status: "available",
  statusText: "Available",
  findings: [],
};

/** `domain:bus:slot` of an address: the host slot its functions share. */
export function slotKey(a: PciAddress): string {
  return `${a.domain}:${a.bus}:${a.slot}`;
}

/**
 * A plugin context over a device listing. `usersOf` defaults to "nobody"; `report` to dropping
 * findings.
 */
export function pluginContext(
  devices: readonly PciDevice[],
  vm: string | null,
  usersOf: (device: PciDevice) => readonly VmUser[] = () => [],
  report: (finding: Finding) => void = () => {},
): PluginContext {
  let slots: Map<string, PciDevice[]> | null = null;
  return {
    devices,
    vm,
    slotOf(device) {
      if (slots === null) {
        slots = new Map();
        for (const d of devices) {
          const key = slotKey(d.address);
          const list = slots.get(key);
          if (list === undefined) slots.set(key, [d]);
          else list.push(d);
        }
        for (const list of slots.values()) {
          list.sort((a, b) => a.address.function - b.address.function);
        }
      }
      return slots.get(slotKey(device.address)) ?? [device];
    },
    usersOf,
    report,
  };
}

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

function bsfOf(entry: Entry): string {
  return formatBsf(entry.address) ?? entry.token.text;
}

/**
 * Grouping problems of a wrapper's own slot allocation, which pptkit does not control: pinned
 * guest slots without function 0 (any wrapper), and for Hoster (which keeps host function
 * numbers inside a host slot) a group without host function 0 or with a function above 7.
 */
function wrapperSlotFindings(config: VmConfig): Finding[] {
  const out: Finding[] = [];
  const pinned = new Map<number, Entry[]>();
  for (const e of config.passthru) {
    const pin = e.token.pin;
    if (pin === null) continue;
    const list = pinned.get(pin.slot) ?? [];
    list.push(e);
    pinned.set(pin.slot, list);
  }
  for (const [slot, list] of pinned) {
    if (list.some((e) => e.token.pin!.function === 0)) continue;
    const e = list[0];
    out.push({
      ...configFinding(
        config.file,
        e.line,
        `${config.vm} pins ${list.map((x) => x.token.text).join(", ")} to guest slot ${slot} ` +
          `but nothing to ${slot}:0: the guest will not see slot ${slot}`,
        `pin one of them to ${slot}:0`,
      ),
      code: "missing-function0",
    });
  }
  if (config.source === "hoster") {
    const groups = new Map<string, Entry[]>();
    for (const e of config.passthru) {
      if (e.token.split) continue;
      const key = slotKey(e.address);
      const list = groups.get(key) ?? [];
      list.push(e);
      groups.set(key, list);
    }
    for (const list of groups.values()) {
      const high = list.filter((e) => e.address.function > 7);
      for (const e of high) {
        out.push(configFinding(
          config.file,
          e.line,
          `Hoster would give ${bsfOf(e)} guest function ${e.address.function}, ` +
            "but bhyve guest functions are 0-7",
          `write "-${bsfOf(e)}" so that it gets a guest slot of its own`,
        ));
      }
      if (list.some((e) => e.address.function === 0)) continue;
      const e = list[0];
      out.push({
        ...configFinding(
          config.file,
          e.line,
          `${config.vm} passes ${list.map(bsfOf).join(", ")} without function 0 of that ` +
            "device: Hoster keeps host function numbers, so the guest slot has no function 0 " +
            "and the guest will not see it",
          `add "${slotKey(e.address).split(":").slice(1).join("/")}/0" to "passthru", or write ` +
            list.map((x) => `"-${bsfOf(x)}"`).join(", "),
        ),
        code: "missing-function0",
      });
    }
  }
  return out;
}

/**
 * Joins VM configs with the host's devices. `running` holds the names of running VMs.
 * With `plugins`, every device's plugin findings (`inspect`, with usage known) are included.
 */
export function computeUsage(
  devices: readonly PciDevice[],
  vms: readonly VmConfig[],
  running: ReadonlySet<string>,
  plugins: PluginHooks | null = null,
): Usage {
  const byKey = new Map<string, PciDevice>();
  for (const d of devices) byKey.set(addressKey(d.address), d);
  const users = new Map<string, VmUser[]>();
  const findings: Finding[] = [];

  for (const config of vms) {
    for (const f of config.findings) findings.push(f);
    for (const f of wrapperSlotFindings(config)) findings.push(f);
    for (const entry of config.passthru) {
      const key = addressKey(entry.address);
      if (!byKey.has(key)) {
        findings.push({
          ...configFinding(
            config.file,
            entry.line,
            `${config.vm} passes ${bsfOf(entry)}, which is not on this host`,
            "fix the address (pptkit list --all shows the devices), or remove the entry",
          ),
          code: "unknown-device",
        });
        continue;
      }
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

  const usersOf = (d: PciDevice): readonly VmUser[] => users.get(addressKey(d.address)) ?? [];
  const ctx = plugins === null ? null : pluginContext(devices, null, usersOf);
  const byDevice = new Map<string, DeviceUsage>();
  for (const device of devices) {
    const key = addressKey(device.address);
    const list = users.get(key) ?? [];
    const own: Finding[] = [];
    if (list.length > 0) own.push(...deviceUsageFindings(device, list));
    if (plugins !== null && ctx !== null) own.push(...plugins.inspect(device, ctx));
    if (list.length === 0 && own.length === 0) {
      byDevice.set(key, AVAILABLE);
      continue;
    }
    const { status, text } = usageStatus(list);
    byDevice.set(key, { usedBy: list, status, statusText: text, findings: own });
  }
  return { byDevice, usedBy: users, findings };
}

function deviceUsageFindings(device: PciDevice, list: readonly VmUser[]): Finding[] {
  const out: Finding[] = [];
  const label = deviceLabel(device);
  const selector = formatSelector(device.address);
  const names = [...new Set(list.map((u) => u.vm))];
  if (names.length > 1) {
    const runningNames = [...new Set(list.filter((u) => u.running).map((u) => u.vm))];
    out.push({
      level: runningNames.length > 1 ? "error" : "warn",
      code: "conflict",
      message: `${label} is configured for ${names.length} VMs: ` +
        list.map((u) => `${u.vm} (${u.source}${u.running ? ", running" : ""})`).join(", "),
      fix: "remove it from all but one VM: only one VM at a time can hold a device",
      device: selector,
    });
  }
  if (device.driver !== "ppt") {
    const holder = device.driver === "none" ? "no driver is attached" : `${device.name} has it`;
    out.push({
      level: "error",
      code: "not-on-ppt",
      message: `PCI device at ${label} is not using the ppt(4) driver (${holder}), but ` +
        `${names.join(", ")} ${names.length > 1 ? "pass" : "passes"} it`,
      fix: `pptkit reserve ${label} and reboot, or bind it now: pptkit reserve --now ${label}`,
      device: selector,
    });
  }
  return out;
}

/** The usage of one device; `Available` when the VM configs do not name it. */
export function usageOf(usage: Usage, device: PciDevice): DeviceUsage {
  return usage.byDevice.get(addressKey(device.address)) ?? AVAILABLE;
}
