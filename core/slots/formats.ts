/**
 * The plan's output formats (`pptkit plan --format`):
 *
 * - `args`: `-S -s 6:0,passthru,1/0/0 ...`, ready for a bhyve command line (`B:S:F` when the
 *   wrapper puts a device on a bus other than 0);
 * - `layout`: the whole `-s` list the VM runs with, passthru lines marked (core/slots/layout.ts);
 * - `bhyve-config`: bhyve_config(5) lines, `memory.wired=true` and `pci.B.S.F.*`;
 * - `vm-bhyve`: the `passthruN` lines for the guest's config: for a vm-bhyve guest the change
 *   that makes vm-bhyve place the plan (its lines as they are when none is needed), for other
 *   VMs every device pinned `B/S/F=S:F`;
 * - `hoster`: the `passthru` array (for a Hoster VM the one that makes Hoster build the plan);
 * - `libvirt`: `<hostdev mode='subsystem' type='pci' managed='no'>` elements with the host
 *   `<source>` address and the guest `<address>` (libvirt's bhyve driver, 11.10 and later);
 * - `bmd`: the `passthru = ...;` statement of a bmd.conf(5) VM section;
 * - `json`: `pptkit.plan/1`.
 *
 * @module
 */

import { formatSelector } from "../address.ts";
import type { Finding } from "../findings.ts";
import type { DeviceOptions } from "../vms/types.ts";
import type { Placement } from "./allocate.ts";
import { renderLayout } from "./layout.ts";
import { placementArg } from "./layouts.ts";
import type { Plan } from "./plan.ts";
/** The output formats of `pptkit plan --format`. */
export type PlanFormat =
  | "args"
  | "layout"
  | "bhyve-config"
  | "vm-bhyve"
  | "hoster"
  | "libvirt"
  | "bmd"
  | "json";

/** Every format, for `--format` validation and help. */
export const PLAN_FORMATS: readonly PlanFormat[] = [
  "args",
  "layout",
  "bhyve-config",
  "vm-bhyve",
  "hoster",
  "libvirt",
  "bmd",
  "json",
];

function bySlot(plan: Plan): Placement[] {
  return [...plan.placements].sort((a, b) =>
    a.bus - b.bus || a.slot - b.slot || a.function - b.function
  );
}

function hex(n: number, digits: number): string {
  return "0x" + n.toString(16).padStart(digits, "0");
}

/** libvirt `<hostdev>` elements for the plan (libvirt >= 11.10, bhyve driver). */
function libvirtXml(plan: Plan): string {
  const sorted = bySlot(plan);
  const out = [
    `<!-- pptkit plan ${plan.vm}: libvirt's bhyve driver passes these since 11.10; the ` +
    "domain needs <memoryBacking><locked/></memoryBacking> -->",
  ];
  for (const p of sorted) {
    const shared = sorted.filter((q) => q.bus === p.bus && q.slot === p.slot).length > 1;
    const a = p.address;
    if (a.function > 7) {
      out.push(`<!-- ${p.bsf}: libvirt addresses host functions 0-7 only; left out -->`);
      continue;
    }
    const multi = shared && p.function === 0 ? " multifunction='on'" : "";
    out.push(
      "<hostdev mode='subsystem' type='pci' managed='no'>",
      "  <source>",
      `    <address domain='${hex(a.domain, 4)}' bus='${hex(a.bus, 2)}' slot='${
        hex(a.slot, 2)
      }' function='${hex(a.function, 1)}'/>`,
      "  </source>",
      `  <address type='pci' domain='0x0000' bus='${hex(p.bus, 2)}' slot='${
        hex(p.slot, 2)
      }' function='${hex(p.function, 1)}'${multi}/>`,
      "</hostdev>",
    );
    if (Object.keys(p.options).length > 0) {
      out.push(`<!-- ${p.bsf}: libvirt cannot pass ${optionText(p.options).slice(1)} -->`);
    }
  }
  return out.map((l) => l + "\n").join("");
}

/** bmd.conf(5) `passthru` statement: bmd gives every device a slot of its own at function 0. */
function bmdConf(plan: Plan): string {
  const sorted = bySlot(plan);
  if (sorted.length === 0) return "";
  const out = [
    `# pptkit plan ${plan.vm}: bmd puts each device in a guest slot of its own at function 0, ` +
    "after its disks and NICs",
    `passthru = ${sorted.map((p) => p.bsf).join(", ")};`,
  ];
  for (const p of sorted) {
    if (Object.keys(p.options).length > 0) {
      out.push(`# ${p.bsf}: bmd cannot pass ${optionText(p.options).slice(1)}`);
    }
  }
  return out.map((l) => l + "\n").join("");
}

/** vm-bhyve `passthruN` lines: the change for a vm-bhyve guest, else every device pinned. */
function vmBhyveLines(plan: Plan): string {
  const lines: string[] = [];
  if (plan.change?.kind === "vm-bhyve") {
    plan.change.settings.forEach((s, n) => {
      lines.push(`passthru${n}="${s.value}"`);
      if (s.options !== "") lines.push(`passthru${n}_options="${s.options}"`);
    });
  } else {
    bySlot(plan).forEach((p, n) => {
      lines.push(`passthru${n}="${p.bsf}=${p.slot}:${p.function}"`);
      const opts = Object.entries(p.options).map(([k, v]) => `${k}=${v}`).join(",");
      if (opts.length > 0) lines.push(`passthru${n}_options="${opts}"`);
    });
  }
  return lines.map((l) => l + "\n").join("");
}

function optionText(options: DeviceOptions): string {
  return Object.entries(options).map(([k, v]) => `,${k}=${v}`).join("");
}

/** The bhyve arguments: `-S -s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1` (empty: no devices). */
export function planArgs(plan: Plan): string {
  if (plan.placements.length === 0) return "";
  const parts = ["-S"];
  for (const p of bySlot(plan)) parts.push("-s", placementArg(p));
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
      ...(p.bus === 0 ? {} : { bus: p.bus }),
      slot: p.slot,
      function: p.function,
      pinned: p.pinned,
      split: p.split,
      renumbered: p.renumbered,
      options: p.options,
    })),
    args: planArgs(plan),
    hoster: plan.hoster,
    layout: {
      runner: plan.layout.runner,
      detail: plan.layout.detail,
      wired: plan.layout.wired,
      slots: plan.layout.lines.map((l) => ({
        arg: l.arg,
        bus: l.bus,
        slot: l.slot,
        function: l.function,
        model: l.model,
        from: l.from,
        passthru: l.passthru !== null,
      })),
    },
    change: plan.change === null ? null : {
      format: plan.change.kind,
      changed: plan.change.changed,
      ...(plan.change.kind === "vm-bhyve"
        ? {
          passthru: plan.change.settings.map((s) => ({ value: s.value, options: s.options })),
        }
        : { passthru: plan.change.items.map((i) => i.text) }),
    },
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
    case "layout":
      return plan.layout.lines.length === 0 ? "" : renderLayout(plan.layout, plan.vm);
    case "libvirt":
      return libvirtXml(plan);
    case "bmd":
      return bmdConf(plan);
    case "bhyve-config": {
      // bhyve_config(5): memory.wired is what -S sets; pci.BUS.SLOT.FUNC.* per device.
      const lines = plan.placements.length > 0 ? ["memory.wired=true"] : [];
      for (const p of bySlot(plan)) {
        const node = `pci.${p.bus}.${p.slot}.${p.function}`;
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
    case "vm-bhyve":
      return vmBhyveLines(plan);
    case "hoster":
      return JSON.stringify(plan.hoster) + "\n";
    case "json":
      return JSON.stringify(planJson(plan, findings), null, 2) + "\n";
  }
}
