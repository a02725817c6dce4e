/**
 * The guest bus each wrapper really builds, and the plan that fits it (DESIGN §9 rule 6).
 *
 * A VM that a wrapper runs gets its layout from the wrapper's model, read from the VM's own
 * config (core/slots/wrappers/): vm-bhyve (`lib/vm-run`), Hoster (`GenerateBhyveStartCmd`),
 * CBSD (its bus map and `compile_pci_passthru_args`). A VM that pptkit places itself gets the
 * plan's passthru lines, after the `-s` of the bhyve command line it was given (`bhyve-run`,
 * `plan VM -- ARGS`, with its `-k` files), or alone (a native config, `--devices`).
 *
 * - {@linkcode asWrittenLayout}: what the wrapper runs with the config as it is: what the
 *   verdict engine lints, so that `plan`, `check --vm` and `hook prestart` all say it.
 * - {@linkcode fitPlan}: pptkit's groups placed the way the wrapper places them: for vm-bhyve
 *   and Hoster the smallest change to the config that makes the wrapper build the plan's groups
 *   (none when it already does), for CBSD its own placement; the final whole `-s` list.
 *
 * Pure.
 *
 * @module
 */

import { addressKey, formatLabel } from "../address.ts";
import type { Finding } from "../findings.ts";
import { joinAnd } from "../text.ts";
import type { GuestConfig } from "../vms/guest.ts";
import type { Entry, VmSource } from "../vms/types.ts";
import type { Placement } from "./allocate.ts";
import {
  type BusSlot,
  entryAddresses,
  type GuestLayout,
  type PlanUnit,
  type SlotLine,
  slotLine,
} from "./layout.ts";
import { layoutLint, type LintHost } from "./lint.ts";
import { type BhyveCommand, bhyveCommandLayout } from "./wrappers/bhyve.ts";
import { cbsdLayout } from "./wrappers/cbsd.ts";
import {
  hosterLayout,
  hosterPassthru,
  type HosterPassthruItem,
  proposeHoster,
} from "./wrappers/hoster.ts";
import { vmBhyveLayout, type VmBhyvePassthru, vmBhyvePassthru } from "./wrappers/vm_bhyve.ts";
import { proposeVmBhyve } from "./wrappers/vm_bhyve_change.ts";

/** The VM a layout is about. */
export interface LayoutRequest {
  readonly vm: string;
  readonly source: VmSource | "--devices";
  readonly file: string | null;
  readonly entries: readonly Entry[];
  /** What the config says about the wrapper's own devices (vm-bhyve, Hoster, CBSD). */
  readonly guest?: GuestConfig | null;
  /** The bhyve command line pptkit's plan goes into (`bhyve-run`). */
  readonly command?: BhyveCommand | null;
}

/** A change to the VM's config that makes the wrapper place the plan. */
export type WrapperChange =
  | {
    readonly kind: "vm-bhyve";
    readonly changed: boolean;
    readonly settings: readonly VmBhyvePassthru[];
  }
  | {
    readonly kind: "hoster";
    readonly changed: boolean;
    readonly items: readonly HosterPassthruItem[];
  };

/** The plan fitted to its wrapper. */
export interface FittedPlan {
  /** The whole `-s` list that runs once the change (if any) is made. */
  readonly layout: GuestLayout;
  /** Where each entry ends up (by address key); null when pptkit's placements stand. */
  readonly addresses: ReadonlyMap<string, BusSlot> | null;
  readonly change: WrapperChange | null;
  readonly findings: readonly Finding[];
}

/** `6:0,passthru,1/0/0,rom=...`: a placement as a `-s` value (bus only when not 0). */
export function placementArg(p: Placement): string {
  const at = p.bus === 0 ? `${p.slot}:${p.function}` : `${p.bus}:${p.slot}:${p.function}`;
  const options = Object.entries(p.options).map(([k, v]) => `,${k}=${v}`).join("");
  return `${at},passthru,${p.bsf}${options}`;
}

/** pptkit's own passthru lines, after the `-s` of the command line they go into. */
function pptkitLayout(
  request: LayoutRequest,
  placements: readonly Placement[],
): GuestLayout {
  const lines: SlotLine[] = placements.map((p) =>
    slotLine(placementArg(p), "plan", { entry: request.entries[p.index] })
  );
  if (request.command === undefined || request.command === null) {
    return { runner: "pptkit", detail: "pptkit plan", lines, wired: lines.length > 0, notes: [] };
  }
  const given = bhyveCommandLayout(request.command, request.entries);
  return { ...given, lines: [...given.lines, ...lines], wired: lines.length > 0 || given.wired };
}

/** The notes of a model, placed in the VM's config file. */
function withFile(layout: GuestLayout, file: string | null): GuestLayout {
  if (file === null) return layout;
  return {
    ...layout,
    notes: layout.notes.map((n) => n.line === undefined ? n : { ...n, file }),
  };
}

/**
 * What the VM's wrapper runs with its config as written; null when pptkit places the devices
 * itself (native, `--devices`, a bhyve command line: then the plan is what runs).
 */
export function asWrittenLayout(request: LayoutRequest): GuestLayout | null {
  const guest = request.guest ?? null;
  if (request.command !== undefined && request.command !== null) return null;
  if (guest === null) return null;
  switch (guest.kind) {
    case "vm-bhyve":
      return withFile(
        vmBhyveLayout(guest, vmBhyvePassthru(guest, request.entries)).layout,
        request.file,
      );
    case "hoster":
      return withFile(hosterLayout(guest, hosterPassthru(guest, request.entries)), request.file);
    case "cbsd":
      return cbsdLayout(guest, request.entries, request.vm);
  }
}

/** The command `plan` offers to fix a wrapper's layout, for the lint's findings. */
export function layoutFix(request: LayoutRequest): string | undefined {
  const guest = request.guest ?? null;
  if (guest?.kind === "vm-bhyve") {
    return `put the lines of "pptkit plan ${request.vm} --format vm-bhyve" into ${request.file} ` +
      "in place of its passthruN lines";
  }
  if (guest?.kind === "hoster") {
    return `write the "passthru" array of "pptkit plan ${request.vm} --format hoster" into ` +
      `${request.file}`;
  }
  return undefined;
}

/**
 * The lint of the layout the VM runs with now (the wrapper's), or of pptkit's plan, on `host`
 * (its release judges the passthru spellings).
 */
export function lintLayout(
  request: LayoutRequest,
  layout: GuestLayout,
  host?: LintHost,
): Finding[] {
  const subject = { vm: request.vm, file: request.file, fix: layoutFix(request) };
  return [
    ...layout.notes,
    ...layoutLint(layout, host === undefined ? subject : { ...subject, host }),
  ];
}

/** The plan's guest slots as units: members and their functions, with the plan's slot. */
export function planUnits(
  request: LayoutRequest,
  placements: readonly Placement[],
): PlanUnit[] {
  const bySlot = new Map<string, { entry: Entry; function: number }[]>();
  const slotOf = new Map<string, number>();
  for (const p of placements) {
    const key = `${p.bus}:${p.slot}`;
    bySlot.set(key, [...(bySlot.get(key) ?? []), {
      entry: request.entries[p.index],
      function: p.function,
    }]);
    slotOf.set(key, p.slot);
  }
  return [...bySlot].map(([key, members]) => ({ members, slot: slotOf.get(key)! }));
}

/** Options of {@linkcode fitPlan}. */
export interface FitOptions {
  /** Slots of bus 0 to keep free (`--used-slots`). */
  readonly usedSlots?: readonly number[];
}

/** pptkit's plan as the VM's wrapper will place it (see the module comment). */
export function fitPlan(
  request: LayoutRequest,
  placements: readonly Placement[],
  options: FitOptions = {},
): FittedPlan {
  const guest = request.guest ?? null;
  const command = request.command ?? null;
  if (guest === null || command !== null) {
    return {
      layout: pptkitLayout(request, placements),
      addresses: null,
      change: null,
      findings: [],
    };
  }
  const units = planUnits(request, placements);
  const findings: Finding[] = [];
  switch (guest.kind) {
    case "vm-bhyve": {
      const settings = vmBhyvePassthru(guest, request.entries);
      const proposal = proposeVmBhyve(guest, settings, units, options);
      if (!proposal.ok) findings.push(cannotFit(request, "vm-bhyve"));
      else if (proposal.changed) findings.push(fitted(request, "vm-bhyve", "--format vm-bhyve"));
      const { changed, settings: proposed } = proposal;
      const change = { kind: "vm-bhyve" as const, changed, settings: proposed };
      return placed(withFile(proposal.run.layout, request.file), change, findings);
    }
    case "hoster": {
      const items = hosterPassthru(guest, request.entries);
      const proposal = proposeHoster(guest, items, units);
      const split = proposal.items.filter((item) =>
        item.text.startsWith("-") &&
        !items.find((o) => o.entry === item.entry)?.text.startsWith("-")
      );
      if (proposal.changed) {
        findings.push(
          split.length > 0
            ? {
              level: "info",
              code: "guest-renumbered",
              message: `VM ${request.vm}: Hoster cannot renumber or pin functions, so the hoster ` +
                `format writes ${joinAnd(split.map((i) => i.text))}: a guest slot each`,
              ...(request.file === null ? {} : { file: request.file }),
            }
            : fitted(request, "Hoster", "--format hoster"),
        );
      }
      const change = { kind: "hoster" as const, changed: proposal.changed, items: proposal.items };
      return placed(withFile(proposal.layout, request.file), change, findings);
    }
    case "cbsd": {
      const layout = cbsdLayout(guest, request.entries, request.vm);
      const split = units.filter((u) => u.members.length > 1);
      if (split.length > 0) {
        findings.push({
          level: "info",
          code: "wrapper-layout",
          message: `CBSD gives every function a guest slot of its own at function 0: ${
            split.map((u) => u.members.map((m) => formatLabel(m.entry.address)).join(" "))
              .join("; ")
          } do not share one slot as in pptkit's plan`,
        });
      }
      return placed(layout, null, findings);
    }
  }
}

/** The fitted plan of a layout the wrapper builds: each entry where the layout puts it. */
function placed(
  layout: GuestLayout,
  change: WrapperChange | null,
  findings: Finding[],
): FittedPlan {
  return { layout, addresses: entryAddresses(layout), change, findings };
}

/** The plan needs a change to the wrapper's config (a wrapper that places it as is: none). */
function fitted(request: LayoutRequest, runner: string, format: string): Finding {
  return {
    level: "info",
    code: "wrapper-layout",
    message: `${runner} does not place ${request.vm}'s devices as planned with the config as ` +
      `written: pptkit plan ${request.vm} ${format} gives the change that makes it`,
    ...(request.file === null ? {} : { file: request.file }),
  };
}

function cannotFit(request: LayoutRequest, runner: string): Finding {
  return {
    level: "warn",
    code: "wrapper-layout",
    message: `no change to the passthru lines makes ${runner} place ${request.vm}'s devices ` +
      "as planned: the guest bus has no free slot for them",
    ...(request.file === null ? {} : { file: request.file }),
  };
}

/** Entries that the wrapper's layout leaves out (CBSD without wired memory, a dropped pin ...). */
export function unplaced(request: LayoutRequest, addresses: ReadonlyMap<string, BusSlot>): Entry[] {
  return request.entries.filter((e) => !addresses.has(addressKey(e.address)));
}
