/**
 * The JSON documents of DESIGN §6: field names here are a contract that scripts outside the
 * project read, so they are spelled out in one place.
 *
 * @module
 */

import { formatLabel } from "../core/address.ts";
import type { Finding } from "../core/findings.ts";
import type { HostFacts, Inventory, InventoryDevice } from "../core/inventory.ts";
import {
  DEFAULT_STALE_AFTER_SECONDS,
  type LockFile,
  lockState,
  lockStatus,
} from "../core/ownership/locks.ts";
import type { RunningVms } from "../core/ownership/running.ts";

/** A finding as JSON (optional fields omitted when absent). */
export function findingJson(f: Finding): Record<string, unknown> {
  const out: Record<string, unknown> = { level: f.level, code: f.code, message: f.message };
  if (f.fix !== undefined) out.fix = f.fix;
  if (f.device !== undefined) out.device = f.device;
  if (f.file !== undefined) out.file = f.file;
  if (f.line !== undefined) out.line = f.line;
  if (f.vm !== undefined) out.vm = f.vm;
  return out;
}

/** The `host` object of `pptkit.inventory/1`. */
export function hostJson(host: HostFacts): Record<string, unknown> {
  return {
    iommu: host.iommu,
    vmmLoaded: host.vmmLoaded,
    vmmFromLoader: host.vmmFromLoader,
    amdviEnabled: host.amdviEnabled,
    rebootPending: host.rebootPending,
    release: host.release,
    machine: host.machine,
    findings: host.findings.map(findingJson),
  };
}

/** One device of `pptkit.inventory/1`. */
export function deviceJson(entry: InventoryDevice): Record<string, unknown> {
  const d = entry.device;
  return {
    selector: entry.selector,
    bsf: entry.bsf,
    domain: d.address.domain,
    bus: d.address.bus,
    slot: d.address.slot,
    function: d.address.function,
    name: d.name,
    driver: d.driver,
    unit: d.unit,
    classCode: d.classCode,
    class: d.class,
    subclass: d.subclass,
    vendorId: d.vendorId,
    deviceId: d.deviceId,
    subvendorId: d.subvendorId,
    subdeviceId: d.subdeviceId,
    revision: d.revision,
    vendor: d.vendor,
    model: d.model,
    headerType: d.headerType,
    multiFunction: d.multiFunction,
    capabilitiesKnown: d.capabilitiesKnown,
    msi: d.msi,
    msix: d.msix,
    pcie: d.pcie,
    flr: d.capabilitiesKnown ? d.flr : null,
    sriov: d.sriov,
    bars: d.bars,
    reserved: entry.reserved,
    usedBy: entry.usedBy.map((u) => ({
      vm: u.vm,
      source: u.source,
      running: u.running,
      file: u.file ?? null,
    })),
    status: entry.status,
    statusText: entry.statusText,
    eligible: entry.eligible,
    findings: entry.findings.map(findingJson),
  };
}

/** The whole `pptkit.inventory/1` document body for the given devices. */
export function inventoryJson(
  inventory: Inventory,
  devices: readonly InventoryDevice[],
): Record<string, unknown> {
  return {
    host: hostJson(inventory.host),
    devices: devices.map(deviceJson),
    skippedLines: inventory.skipped,
  };
}

/**
 * A device lock as JSON (`locks` of `list`, `lock` of `show`): who holds the device, since
 * when, and how the lock stands (`state`, core/ownership/locks.ts).
 */
export function lockJson(
  lock: LockFile,
  running: RunningVms,
  now: number,
): Record<string, unknown> {
  const r = lock.record;
  const staleAfterMs = DEFAULT_STALE_AFTER_SECONDS * 1000;
  return {
    device: formatLabel(lock.address),
    vm: r?.vm ?? null,
    since: lock.since === null ? null : new Date(lock.since).toISOString(),
    pid: r?.pid ?? null,
    holder: r?.holder ?? null,
    bhyvePid: r === null ? null : running.pids.get(r.vm) ?? null,
    state: lockState(lock, "", running, now, staleAfterMs),
    status: lockStatus(lock, running, now, staleAfterMs),
    path: lock.path,
  };
}
