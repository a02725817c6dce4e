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
import { judgeVm, requestOf } from "../core/verdict.ts";
import { loadVmConfig } from "../core/vms/index.ts";
import { requireUsable, type VmSource } from "../core/vms/types.ts";
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
  const vm = requireUsable(await loadVmConfig(host, config, request.vm, request.wrapper));
  // Only the host slots the VM uses (siblings included, for the plugins) are parsed.
  const state = await loadHostState(host, config, {
    vms: "none",
    slots: vm.passthru.map((e) => e.address),
  });
  const plugins = await hostPlugins(host, config);
  const mapPath = slotMapPath(config, vm.vm);
  const savedText = request.resetSlots ? null : await host.readText(mapPath);
  const saved = savedText === null ? null : parseSlotMap(savedText, mapPath);
  const verdict = judgeVm(requestOf(vm), {
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
