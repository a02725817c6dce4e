/**
 * Planning a VM (DESIGN §9): its config, the host's devices and the plugins in, the guest slot
 * of every passthru entry out, with the slot map to save.
 *
 * @module
 */

import { addressKey } from "../address.ts";
import { ExitCode } from "../errors.ts";
import type { Finding } from "../findings.ts";
import type { PciDevice } from "../pciconf.ts";
import type { GroupEntry, PluginContext, PluginHooks } from "../plugins/api.ts";
import { pluginContext } from "../plugins/context.ts";
import { joinAnd } from "../text.ts";
import { type Entry, requireUsable, type VmConfig, type VmSource } from "../vms/types.ts";
import { allocateGuestSlots, type Placement, type SlotRequest } from "./allocate.ts";
import { DEFAULT_FIRST_SLOT } from "./rules.ts";
import {
  checkCardSwaps,
  savedAddresses,
  SLOT_MAP_SCHEMA,
  type SlotMap,
  type SlotMapDevice,
} from "./slot_map.ts";
/** Options of {@linkcode planVm}. */
export interface PlanOptions {
  readonly firstSlot?: number;
  readonly usedSlots?: readonly number[];
  /** The saved slot map; null or absent for none (and for `--reset-slots`). */
  readonly saved?: SlotMap | null;
}

/** A VM's guest slot plan. */
export interface Plan {
  readonly vm: string;
  readonly source: VmSource | "--devices";
  /** The VM's config file; null for `--devices`. */
  readonly file: string | null;
  readonly firstSlot: number;
  readonly usedSlots: readonly number[];
  /** In the order of the VM's passthru list. */
  readonly placements: readonly Placement[];
  /** Plugin advice, renumbering, moved addresses, devices missing from the host. */
  readonly findings: readonly Finding[];
  /** The slot map to save (`stateDir/slots/VM.json`). */
  readonly slotMap: SlotMap;
  /** The VM's passthru list as Hoster needs it to build the same groups. */
  readonly hoster: readonly string[];
}

/** What is planned: a VM's entries, after the plugins' grouping (see {@linkcode groupEntries}). */
export interface PlanRequest {
  readonly vm: string;
  readonly source: VmSource | "--devices";
  readonly file: string | null;
  readonly entries: readonly GroupEntry[];
}

/** A VM's entries with the host device at each address (null when the host has none). */
export function entriesOnHost(
  entries: readonly Entry[],
  byKey: ReadonlyMap<string, PciDevice>,
): GroupEntry[] {
  return entries.map((entry, index) => ({
    index,
    entry,
    device: byKey.get(addressKey(entry.address)) ?? null,
    grouping: "auto",
    reason: null,
  }));
}

/** Lets the plugins group a VM's entries; their advice goes to `report`. */
export function groupEntries(
  vm: string,
  entries: readonly GroupEntry[],
  devices: readonly PciDevice[],
  plugins: PluginHooks | null,
  usersOf: PluginContext["usersOf"],
  report: (finding: Finding) => void,
): GroupEntry[] {
  if (plugins === null) return [...entries];
  return plugins.group(entries, pluginContext(devices, vm, usersOf, report));
}

/** The allocator's view of grouped entries. */
function slotRequests(entries: readonly GroupEntry[]): SlotRequest[] {
  return entries.map((e): SlotRequest => {
    const userSplit = e.entry.token.split;
    // A - prefix always asks for a slot of its own; for same-function devices the allocator
    // refuses it with the plugin's reason.
    return {
      text: e.entry.token.text,
      address: e.entry.address,
      pin: e.entry.token.pin,
      split: e.grouping === "split" || userSplit,
      userSplit,
      sameFunction: e.grouping === "same-function",
      keepTogether: e.grouping === "keep-together",
      reason: e.reason,
      options: e.entry.options,
    };
  });
}

/**
 * Plans grouped entries: refuses swapped cards, allocates guest slots (a {@linkcode SlotError}
 * when the rules cannot be met) and computes the slot map to save.
 */
export function planGroups(request: PlanRequest, options: PlanOptions = {}): Plan {
  const { vm, entries } = request;
  const findings: Finding[] = [];
  const saved = options.saved ?? null;
  checkCardSwaps(saved, vm, entries.flatMap((e) => e.device === null ? [] : [e.device]));
  const firstSlot = options.firstSlot ?? DEFAULT_FIRST_SLOT;
  const usedSlots = [...new Set(options.usedSlots ?? [])].sort((a, b) => a - b);
  const allocation = allocateGuestSlots(slotRequests(entries), {
    vm,
    firstSlot,
    usedSlots,
    saved: savedAddresses(saved),
    exitCode: request.source === "native" ? ExitCode.Config : ExitCode.DataError,
  });
  findings.push(...allocation.findings);
  const deviceOf = new Map(entries.map((e) => [addressKey(e.entry.address), e.device]));
  const mapDevices: Record<string, SlotMapDevice> = {};
  for (const p of allocation.placements) {
    const d = deviceOf.get(addressKey(p.address)) ?? null;
    mapDevices[addressKey(p.address)] = {
      slot: p.slot,
      function: p.function,
      vendorId: d?.vendorId ?? null,
      deviceId: d?.deviceId ?? null,
      subvendorId: d?.subvendorId ?? null,
      subdeviceId: d?.subdeviceId ?? null,
    };
  }
  const hoster = hosterPassthru(allocation.placements);
  if (request.source === "hoster") findings.push(...hoster.findings(vm));
  return {
    vm,
    source: request.source,
    file: request.file,
    firstSlot,
    usedSlots,
    placements: allocation.placements,
    findings,
    slotMap: { schema: SLOT_MAP_SCHEMA, vm, devices: mapDevices },
    hoster: hoster.passthru,
  };
}

/**
 * Plans a VM config on its own (no verdict): refuses a config with errors (65, or 78 for a
 * native config), lets the plugins group its entries, then {@linkcode planGroups}.
 */
export function planVm(
  config: VmConfig,
  devices: readonly PciDevice[],
  options: PlanOptions & { readonly plugins?: PluginHooks | null } = {},
): Plan {
  requireUsable(config);
  const byKey = new Map(devices.map((d) => [addressKey(d.address), d]));
  const advice: Finding[] = [];
  const entries = groupEntries(
    config.vm,
    entriesOnHost(config.passthru, byKey),
    devices,
    options.plugins ?? null,
    () => [],
    (f) => advice.push(f),
  );
  const plan = planGroups(
    { vm: config.vm, source: config.source, file: config.file, entries },
    options,
  );
  return { ...plan, findings: [...advice, ...plan.findings] };
}

/**
 * The passthru array that makes Hoster build the plan's groups. Hoster keeps host function
 * numbers inside a host slot and cannot pin, so entries of renumbered groups and pinned entries
 * are written split (`-B/S/F`, a guest slot each), with an info finding. Hoster numbers its guest
 * slots itself, after its disks and NICs: only the grouping carries over.
 */
function hosterPassthru(placements: readonly Placement[]): {
  passthru: string[];
  findings: (vm: string) => Finding[];
} {
  const sorted = [...placements].sort((a, b) => a.slot - b.slot || a.function - b.function);
  const bySlot = new Map<number, Placement[]>();
  for (const p of sorted) bySlot.set(p.slot, [...(bySlot.get(p.slot) ?? []), p]);
  const passthru: string[] = [];
  const changed: string[] = [];
  for (const group of bySlot.values()) {
    const asIs = group.every((p) => !p.pinned && !p.renumbered) &&
      (group.length > 1 || (!group[0].split && group[0].function === group[0].address.function));
    for (const p of group) {
      if (asIs) passthru.push(p.bsf);
      else {
        passthru.push(`-${p.bsf}`);
        if (group.length > 1 || p.pinned || p.renumbered) changed.push(p.bsf);
      }
    }
  }
  return {
    passthru,
    findings: (vm) =>
      changed.length === 0 ? [] : [{
        level: "info",
        code: "guest-renumbered",
        message: `VM ${vm}: Hoster cannot renumber or pin functions, so the hoster format ` +
          `writes ${joinAnd(changed.map((b) => "-" + b))}: a guest slot each`,
      }],
  };
}
