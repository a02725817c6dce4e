/**
 * The plan's output formats (`pptkit plan --format`).
 *
 * @module
 */

import { formatSelector } from "../address.ts";
import type { Finding } from "../findings.ts";
import type { DeviceOptions } from "../vms/types.ts";
import type { Placement } from "./allocate.ts";
import type { Plan } from "./plan.ts";
/** The output formats of `pptkit plan --format`. */
export type PlanFormat = "args" | "bhyve-config" | "vm-bhyve" | "hoster" | "json";

/** Every format, for `--format` validation and help. */
export const PLAN_FORMATS: readonly PlanFormat[] = [
  "args",
  "bhyve-config",
  "vm-bhyve",
  "hoster",
  "json",
];

function bySlot(plan: Plan): Placement[] {
  return [...plan.placements].sort((a, b) => a.slot - b.slot || a.function - b.function);
}

function optionText(options: DeviceOptions): string {
  return Object.entries(options).map(([k, v]) => `,${k}=${v}`).join("");
}

/** The bhyve arguments: `-S -s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1` (empty: no devices). */
export function planArgs(plan: Plan): string {
  if (plan.placements.length === 0) return "";
  const parts = ["-S"];
  for (const p of bySlot(plan)) {
    parts.push("-s", `${p.slot}:${p.function},passthru,${p.bsf}${optionText(p.options)}`);
  }
  return parts.join(" ");
}

/** The plan as `pptkit.plan/1` JSON data. */
export function planJson(
  plan: Plan,
  findings: readonly Finding[] = plan.findings,
): Record<string, unknown> {
  return {
    schema: "pptkit.plan/1",
    vm: plan.vm,
    source: plan.source,
    file: plan.file,
    firstSlot: plan.firstSlot,
    usedSlots: plan.usedSlots,
    wired: plan.placements.length > 0,
    devices: plan.placements.map((p) => ({
      bsf: p.bsf,
      selector: formatSelector(p.address),
      entry: p.text,
      slot: p.slot,
      function: p.function,
      pinned: p.pinned,
      split: p.split,
      renumbered: p.renumbered,
      options: p.options,
    })),
    args: planArgs(plan),
    hoster: plan.hoster,
    findings,
  };
}

/** Renders a plan in one of the formats of `pptkit plan --format`, ending in a newline. */
export function formatPlan(
  plan: Plan,
  format: PlanFormat,
  findings: readonly Finding[] = plan.findings,
): string {
  switch (format) {
    case "args":
      return planArgs(plan) + "\n";
    case "bhyve-config": {
      // bhyve_config(5): memory.wired is what -S sets; pci.BUS.SLOT.FUNC.* per device.
      const lines = plan.placements.length > 0 ? ["memory.wired=true"] : [];
      for (const p of bySlot(plan)) {
        const node = `pci.0.${p.slot}.${p.function}`;
        lines.push(
          `${node}.device=passthru`,
          `${node}.bus=${p.address.bus}`,
          `${node}.slot=${p.address.slot}`,
          `${node}.func=${p.address.function}`,
        );
        for (const [k, v] of Object.entries(p.options)) lines.push(`${node}.${k}=${v}`);
      }
      return lines.map((l) => l + "\n").join("");
    }
    case "vm-bhyve": {
      const lines: string[] = [];
      bySlot(plan).forEach((p, n) => {
        lines.push(`passthru${n}="${p.bsf}=${p.slot}:${p.function}"`);
        const opts = Object.entries(p.options).map(([k, v]) => `${k}=${v}`).join(",");
        if (opts.length > 0) lines.push(`passthru${n}_options="${opts}"`);
      });
      return lines.map((l) => l + "\n").join("");
    }
    case "hoster":
      return JSON.stringify(plan.hoster) + "\n";
    case "json":
      return JSON.stringify(planJson(plan, findings), null, 2) + "\n";
  }
}
