/**
 * `plan VM`: the VM's guest slots from the verdict engine (the plugins' grouping, the
 * allocator, the wrapper's own layout, every finding about the VM's devices), with the saved
 * slot map read before and written back when it changed (DESIGN §9 rule 5).
 *
 * @module
 */

import { type PptkitConfig, slotMapPath } from "../core/config.ts";
import { ExitCode, PptkitError } from "../core/errors.ts";
import type { Finding } from "../core/findings.ts";
import type { Host } from "../core/host/host.ts";
import type { Plan } from "../core/slots/plan.ts";
import { parseSlotMap, renderSlotMap, slotMapChanged } from "../core/slots/slot_map.ts";
import { type BhyveCommand, configFilesOf } from "../core/slots/wrappers/bhyve.ts";
import { judgeVm, requestOf } from "../core/verdict.ts";
import { loadVmConfig } from "../core/vms/index.ts";
import { requireUsable, resolveNamed, type VmSource } from "../core/vms/types.ts";
import { loadHostState } from "./host_state.ts";
import { hostPlugins, loadingWarnings } from "./plugins.ts";

/** Options of {@linkcode planOnHost}. */
export interface PlanRequest {
  readonly vm: string;
  /** Read the VM from this source only. */
  readonly wrapper?: VmSource;
  readonly firstSlot?: number;
  readonly usedSlots?: readonly number[];
  /** Forget the saved guest addresses (after a card swap). */
  readonly resetSlots: boolean;
  /**
   * The bhyve command line (without the VM name) the plan goes into: `plan VM -- ARGS`, what
   * bhyve-run passes. Its `-s` slots are left free, its `-k` files are read.
   */
  readonly bhyveArgs?: readonly string[];
}

/** The bhyve command line with its `-k` files read (an unreadable one is null). */
async function bhyveCommand(host: Host, args: readonly string[]): Promise<BhyveCommand> {
  const files = new Map<string, string | null>();
  for (const file of configFilesOf(args)) {
    if (files.has(file)) continue;
    // A relative path is bhyve-run's working directory, which pptkit does not know.
    const text = file.startsWith("/") ? await host.readText(file).catch(() => null) : null;
    files.set(file, text);
  }
  return { args, files };
}

/** A plan and every finding about the VM behind it. */
export interface PlanResult {
  readonly plan: Plan;
  readonly findings: readonly Finding[];
}

/**
 * Plans a VM on its host. Throws 66 for an unknown VM, 65 / 78 for a broken config or a slot
 * rule its entries cannot meet, 65 for a swapped card at a saved address.
 */
export async function planOnHost(
  host: Host,
  config: PptkitConfig,
  request: PlanRequest,
): Promise<PlanResult> {
  const read = requireUsable(await loadVmConfig(host, config, request.vm, request.wrapper));
  // Only the host slots the VM uses (siblings included, for the plugins) are parsed; a device
  // named by its unit (ppt2) needs the whole listing.
  const named = (read.named ?? []).length > 0;
  const state = await loadHostState(host, config, {
    vms: "none",
    slots: named ? undefined : read.passthru.map((e) => e.address),
  });
  const vm = requireUsable(
    resolveNamed(read, state.inventory.devices.map((d) => d.device), host.description),
  );
  const command = request.bhyveArgs === undefined || request.bhyveArgs.length === 0
    ? null
    : await bhyveCommand(host, request.bhyveArgs);
  const plugins = await hostPlugins(host, config);
  const mapPath = slotMapPath(config, vm.vm);
  // A slots directory another user can write is one where they can move this VM's slots.
  await host.checkDir(mapPath.slice(0, mapPath.lastIndexOf("/")));
  const savedText = request.resetSlots ? null : await host.readText(mapPath);
  const saved = savedText === null ? null : parseSlotMap(savedText, mapPath);
  const verdict = judgeVm({ ...requestOf(vm), command }, {
    inventory: state.inventory,
    plugins,
    ownership: null,
    locks: state.locks,
    plan: { firstSlot: request.firstSlot, usedSlots: request.usedSlots, saved },
  });
  const { plan } = verdict;
  if (plan === null) {
    const why = verdict.planError!;
    throw new PptkitError(
      vm.source === "native" ? ExitCode.Config : ExitCode.DataError,
      why.message,
      why.fix,
      {},
      verdict.findings,
    );
  }
  if (slotMapChanged(saved, plan.slotMap)) {
    await host.ensureDir(mapPath.slice(0, mapPath.lastIndexOf("/")));
    await host.writeFileAtomic(mapPath, renderSlotMap(plan.slotMap), { mode: 0o644 });
  }
  return { plan, findings: [...verdict.findings, ...loadingWarnings(plugins)] };
}
