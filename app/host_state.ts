/**
 * What a command knows about its host: the facts (pciconf, ACPI, loader.conf, kenv, ...), the
 * VM configs, running VMs and device locks, joined into the inventory, with the verdict engine's
 * findings filed under each device. Users of a device come from three places:
 *
 * - VM configs (core/vms): `In use by: vm1`; running when the VM runs;
 * - running VMs (`ps`: `bhyve: NAME`, and `/dev/vmm`): a configured VM that runs makes its
 *   devices `Running in: vm1`;
 * - the hook's device locks (core/ownership): a device locked by a running VM is
 *   `Running in: vm1` even when no config names it (a VM started with `--devices`).
 *
 * With every VM config read (scope `all`), the plugins' findings about each device (inspect:
 * the quirk rules' notes, reports and cautions) are filed in too, so `list`, `show` and `check`
 * print them.
 *
 * @module
 */

import { detectIommu } from "../core/acpi.ts";
import { addressKey, type PciAddress } from "../core/address.ts";
import type { PptkitConfig } from "../core/config.ts";
import { PptkitError } from "../core/errors.ts";
import type { Finding } from "../core/findings.ts";
import type { Host } from "../core/host/host.ts";
import {
  buildInventory,
  type DeviceUser,
  type Inventory,
  type InventoryInput,
  type LoaderFacts,
  loaderFacts,
  type LoaderFiles,
  machineOf,
  parseSysctl,
  releaseOf,
  runningKernelFacts,
  type UsageMap,
} from "../core/inventory.ts";
import { parseKenv } from "../core/loader/kernel.ts";
import { BOM, parseLoaderConf } from "../core/loader/lines.ts";
import { loaderFileOrder } from "../core/loader/order.ts";
import { type LockFile, readLocks } from "../core/ownership/locks.ts";
import { readRunningVms, type RunningVms } from "../core/ownership/running.ts";
import { LOADER_CONF_DIR } from "../core/paths.ts";
import { parsePciconf } from "../core/pciconf.ts";
import { defaultRouteInterfaces } from "../core/routes.ts";
import type { PluginRegistry } from "../core/plugins/registry.ts";
import { judgeHost, withPluginFindings, withVerdicts } from "../core/verdict.ts";
import { loadVmConfig, loadVmConfigs } from "../core/vms/index.ts";
import { resolveNamed, type VmConfig } from "../core/vms/types.ts";
import { computeUsage } from "../core/vms/usage.ts";
import { hostPlugins, loadingWarnings } from "./plugins.ts";
/**
 * A loader file's exact text, null when it does not exist. `Host.readText` decodes UTF-8 and
 * drops a leading byte order mark; the file's size tells that one was there (the 3 bytes the
 * text lacks), and it is put back so that an edit keeps the file byte for byte.
 */
export async function readLoaderText(host: Host, path: string): Promise<string | null> {
  const text = await host.readText(path);
  if (text === null || text.startsWith(BOM)) return text;
  const info = await host.stat(path);
  const bytes = new TextEncoder().encode(text).length;
  return info !== null && info.isFile && info.size === bytes + 3 ? BOM + text : text;
}

/** Reads /boot/loader.conf, /boot/loader.conf.d/*.conf and /boot/loader.conf.local. */
export async function readLoaderFiles(host: Host, release: string | null): Promise<LoaderFiles> {
  const dropIns = (await host.readDir(LOADER_CONF_DIR)) ?? [];
  const order = loaderFileOrder(release, dropIns);
  let present = 0;
  const files = await Promise.all(order.files.map(async (path) => {
    const text = await readLoaderText(host, path);
    if (text !== null) present++;
    return parseLoaderConf(text ?? "", path);
  }));
  return { order, files, present };
}

/** An optional capture that a restricted launcher may not allow yet: unknown, not an error. */
async function optionalCapture(host: Host, name: "netstat"): Promise<string | null> {
  try {
    return await host.capture(name);
  } catch (e) {
    if (e instanceof PptkitError) return null;
    throw e;
  }
}

/** Options of {@linkcode loadHostFacts}. */
export interface HostFactsOptions {
  /**
   * Only the devices of these host slots, as the running kernel sees them (no loader.conf,
   * which is about the next boot): what `hook prestart` needs before a VM starts.
   */
  readonly slots?: readonly PciAddress[];
}

/** Gathers and parses every fact of a host: the input of {@linkcode buildInventory}, without VM usage. */
export async function loadHostFacts(
  host: Host,
  options: HostFactsOptions = {},
): Promise<InventoryInput> {
  const [pciconf, acpidump, kldstat, sysctl, uname, kenv, netstat] = await Promise.all([
    host.capture("pciconf"),
    host.capture("acpidump"),
    host.capture("kldstat"),
    host.capture("sysctl"),
    host.capture("uname"),
    host.capture("kenv"),
    // The hook judges a VM's own devices as they are: it does not need the default route.
    options.slots === undefined ? optionalCapture(host, "netstat") : Promise.resolve(null),
  ]);
  const source = host.kind === "snapshot" ? `${host.description}/pciconf.txt` : "pciconf output";
  const listing = parsePciconf(pciconf ?? "", source, { slots: options.slots });
  const release = releaseOf(uname);
  const iommu = detectIommu(acpidump);
  const kernelEnv = kenv === null ? null : parseKenv(kenv);
  let loader: LoaderFacts;
  if (options.slots !== undefined) {
    loader = runningKernelFacts(kernelEnv);
  } else {
    const files = await readLoaderFiles(host, release);
    const captured = host.kind === "live" || files.present > 0;
    loader = loaderFacts(files, kernelEnv, iommu.ivrs, listing.devices, captured);
  }
  return {
    listing,
    iommu,
    loader,
    kldstat,
    sysctl: sysctl === null ? null : parseSysctl(sysctl),
    release,
    machine: machineOf(uname),
    defaultRoute: defaultRouteInterfaces(netstat),
    snapshot: host.kind === "snapshot",
    hostDescription: host.description,
  };
}

/** Gathers every fact from a host and builds the inventory (without VM configs). */
export async function loadInventory(host: Host): Promise<Inventory> {
  return buildInventory(await loadHostFacts(host));
}

/** Which VM configs to read: every one (list, show, check), those of running VMs, or none. */
export type VmScope = "all" | "running" | "none";

/** Options of {@linkcode loadHostState}. */
export interface HostStateOptions {
  readonly vms: VmScope;
  /** A VM to leave out of the `running` scope (the one a hook is about). */
  readonly except?: string;
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
  /** Devices, users, findings; with scope `all`, every VM's verdict filed in. */
  readonly inventory: Inventory;
  /** The plugins, loaded for scope `all` (the verdicts need them); null otherwise. */
  readonly plugins: PluginRegistry | null;
}

/**
 * The usage map: config users (running when their VM runs, with the config file when `vms`
 * names it), plus a running user for every device locked by a running VM that its config does
 * not already name.
 */
export function usageWithLocks(
  configUsers: ReadonlyMap<string, readonly DeviceUser[]>,
  running: RunningVms,
  locks: readonly LockFile[],
  vms: readonly VmConfig[] = [],
): UsageMap {
  const fileOf = new Map(vms.map((c) => [`${c.vm}\0${c.source}`, c.file]));
  const out = new Map<string, DeviceUser[]>();
  for (const [key, users] of configUsers) {
    out.set(
      key,
      users.map((u) => ({ ...u, file: u.file ?? fileOf.get(`${u.vm}\0${u.source}`) ?? null })),
    );
  }
  for (const lock of locks) {
    const vm = lock.record?.vm;
    if (vm === undefined || !running.names.has(vm)) continue;
    const key = addressKey(lock.address);
    const users = out.get(key) ?? [];
    if (!users.some((u) => u.vm === vm)) {
      users.push({ vm, source: "lock", running: true, file: null });
    }
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
  if (options.vms === "all") {
    const scan = await loadVmConfigs(host, config);
    return { vms: scan.vms, findings: scan.findings };
  }
  const vms: VmConfig[] = [];
  for (const name of [...running.names].sort()) {
    if (name === options.except) continue;
    try {
      vms.push(await loadVmConfig(host, config, name));
    } catch (e) {
      // A VM started by hand has no config; a name that is not a path component has none either.
      if (!(e instanceof PptkitError)) throw e;
    }
  }
  return { vms, findings: [] };
}

/**
 * Lock files of the run dir; an unreadable run dir hides who runs what but stops nothing. A run
 * dir another user can write is refused (77): its locks could be anyone's.
 */
async function readLocksOrNone(host: Host, runDir: string): Promise<LockFile[]> {
  await host.checkDir(runDir);
  try {
    return await readLocks(host, runDir);
  } catch (e) {
    if (!(e instanceof PptkitError)) throw e;
    return [];
  }
}

/**
 * Loads the host, its VM configs (as `options.vms` says), running VMs and locks. With scope
 * `all` every VM is judged (core/verdict.ts) and its findings are filed under its devices.
 */
export async function loadHostState(
  host: Host,
  config: PptkitConfig,
  options: HostStateOptions = { vms: "all" },
): Promise<HostState> {
  const running = await readRunningVms(host);
  const locks = await readLocksOrNone(host, config.runDir);
  const read = await readVmConfigs(host, config, running, options);
  const { findings } = read;
  const facts = await loadHostFacts(host, { slots: options.slots });
  // Entries named by device name (vm-bhyve's ppt2) are resolved against the listing.
  const vms = read.vms.map((v) => resolveNamed(v, facts.listing.devices, host.description));
  const usage = computeUsage(facts.listing.devices, vms, running.names);
  const usageFindings = new Map<string, readonly Finding[]>();
  for (const [key, u] of usage.byDevice) {
    if (u.findings.length > 0) usageFindings.set(key, u.findings);
  }
  let inventory = buildInventory({
    ...facts,
    usage: usageWithLocks(usage.usedBy, running, locks, vms),
    usageFindings,
    vmFindings: findings,
  });
  let plugins: PluginRegistry | null = null;
  if (options.vms === "all") {
    plugins = await hostPlugins(host, config);
    // What the plugins say about each device itself (quirk rules), then every VM's verdict.
    inventory = withPluginFindings(inventory, plugins, locks);
    const verdict = judgeHost(vms, { inventory, plugins, locks });
    inventory = withVerdicts(inventory, {
      ...verdict,
      vmFindings: [...verdict.vmFindings, ...loadingWarnings(plugins)],
    });
  }
  return { host, config, running, locks, vms, inventory, plugins };
}
