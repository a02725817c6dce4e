/**
 * Loading what a command knows about its host: the inventory, with who uses which device. Users
 * come from three places, joined into the inventory's usage map:
 *
 * - VM configs (core/vms): `In use by: vm1`; running when the VM runs;
 * - running VMs (`ps`: `bhyve: NAME`, and `/dev/vmm`): a configured VM that runs makes its
 *   devices `Running in: vm1`;
 * - the hook's device locks (core/ownership.ts): a device locked by a running VM is
 *   `Running in: vm1` even when no config names it (a VM started with `--devices`).
 *
 * @module
 */

import { addressKey, type PciAddress } from "../core/address.ts";
import type { PptkitConfig } from "../core/config.ts";
import type { Finding } from "../core/findings.ts";
import { PptkitError } from "../core/errors.ts";
import type { Host } from "../core/host/host.ts";
import {
  buildInventory,
  type DeviceUser,
  type Inventory,
  loadHostFacts,
  type UsageMap,
} from "../core/inventory.ts";
import { computeUsage } from "../core/vms/usage.ts";
import { type LockFile, readLocks, readRunningVms, type RunningVms } from "../core/ownership.ts";
import type { VmConfig } from "../core/vms/index.ts";
import type { Context } from "./command.ts";

/** Which VM configs to read: every one (list, show, check), those of running VMs, or none. */
export type VmScope = "all" | "running" | "none";

/** Options of {@linkcode loadHostState}. */
export interface HostStateOptions {
  readonly vms: VmScope;
  /** A VM to leave out of the `running` scope (the one a hook is about). */
  readonly except?: string;
  /** pptkit.jsonc when the caller has read it already. */
  readonly config?: PptkitConfig;
  /**
   * Only these host slots, as the running kernel sees them (see loadHostFacts): the hook's
   * view of the few devices of one VM.
   */
  readonly slots?: readonly PciAddress[];
}

/** Everything a command about devices and VMs reads from its host. */
export interface HostState {
  readonly host: Host;
  readonly config: PptkitConfig;
  readonly running: RunningVms;
  /** Lock files in the run dir (empty when it cannot be read). */
  readonly locks: readonly LockFile[];
  /** The VM configs that were read. */
  readonly vms: readonly VmConfig[];
  readonly inventory: Inventory;
}

/** pptkit.jsonc of the host the command runs against (`--config FILE`, else the default). */
export async function loadConfigFor(ctx: Context, host: Host): Promise<PptkitConfig> {
  const { loadConfig } = await import("../core/config.ts");
  return await loadConfig(host, ctx.global.config);
}

/**
 * The usage map: config users (running when their VM runs), plus a running user for every
 * device locked by a running VM that its config does not already name.
 */
export function usageWithLocks(
  configUsers: ReadonlyMap<string, readonly DeviceUser[]>,
  running: RunningVms,
  locks: readonly LockFile[],
): UsageMap {
  const out = new Map<string, DeviceUser[]>();
  for (const [key, users] of configUsers) out.set(key, [...users]);
  for (const lock of locks) {
    const vm = lock.record?.vm;
    if (vm === undefined || !running.names.has(vm)) continue;
    const key = addressKey(lock.address);
    const users = out.get(key) ?? [];
    if (!users.some((u) => u.vm === vm)) users.push({ vm, source: "lock", running: true });
    out.set(key, users);
  }
  return out;
}

/** Reads the VM configs a scope asks for; never throws for a VM that is not configured. */
async function readVmConfigs(
  host: Host,
  config: PptkitConfig,
  running: RunningVms,
  options: HostStateOptions,
): Promise<{ vms: VmConfig[]; findings: Finding[] }> {
  if (options.vms === "none") return { vms: [], findings: [] };
  const vmsModule = await import("../core/vms/index.ts");
  if (options.vms === "all") {
    const scan = await vmsModule.loadVmConfigs(host, config);
    return { vms: scan.vms, findings: scan.findings };
  }
  const vms: VmConfig[] = [];
  for (const name of [...running.names].sort()) {
    if (name === options.except) continue;
    try {
      vms.push(await vmsModule.loadVmConfig(host, config, name));
    } catch (e) {
      // A VM started by hand has no config; a name that is not a path component has none either.
      if (!(e instanceof PptkitError)) throw e;
    }
  }
  return { vms, findings: [] };
}

/** Loads the host, its VM configs (as `options.vms` says), running VMs and locks. */
export async function loadHostState(
  ctx: Context,
  options: HostStateOptions = { vms: "all" },
): Promise<HostState> {
  const host = await ctx.host();
  const config = options.config ?? await loadConfigFor(ctx, host);
  const running = await readRunningVms(host);
  let locks: LockFile[] = [];
  try {
    locks = await readLocks(host, config.runDir);
  } catch (e) {
    // An unreadable run dir hides who runs what; it must not stop list or check.
    if (!(e instanceof PptkitError)) throw e;
  }
  const { vms, findings } = await readVmConfigs(host, config, running, options);
  const facts = await loadHostFacts(host, { slots: options.slots });
  const usage = computeUsage(facts.listing.devices, vms, running.names);
  const usageFindings = new Map<string, readonly Finding[]>();
  for (const [key, u] of usage.byDevice) {
    if (u.findings.length > 0) usageFindings.set(key, u.findings);
  }
  const inventory = buildInventory({
    ...facts,
    usage: usageWithLocks(usage.usedBy, running, locks),
    usageFindings,
    vmFindings: [...findings, ...usage.findings],
  });
  return { host, config, running, locks, vms, inventory };
}

/** The inventory of the host the command runs against, with VM users and running VMs. */
export async function loadInventoryFor(ctx: Context): Promise<Inventory> {
  return (await loadHostState(ctx)).inventory;
}
