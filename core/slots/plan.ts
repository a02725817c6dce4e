/**
 * Planning a VM (DESIGN §9): its config, the host's devices and the plugins in, the guest slot
 * of every passthru entry out, with the slot map to save.
 *
 * @module
 */

import { addressKey, formatSelector } from "../address.ts";
import { ExitCode } from "../errors.ts";
import type { Finding } from "../findings.ts";
import type { PciDevice } from "../pciconf.ts";
import type { GroupEntry, PluginContext, PluginHooks } from "../plugins/api.ts";
import { pluginContext } from "../plugins/context.ts";
import { joinAnd } from "../text.ts";
import type { GuestConfig } from "../vms/guest.ts";
import { type Entry, requireUsable, type VmConfig, type VmSource } from "../vms/types.ts";
import { allocateGuestSlots, type Placement, type SlotRequest } from "./allocate.ts";
import type { GuestLayout } from "./layout.ts";
import { fitPlan, type LayoutRequest, type WrapperChange } from "./layouts.ts";
import { DEFAULT_FIRST_SLOT, HOSTBRIDGE_SLOT, LPC_SLOT } from "./rules.ts";
import { type BhyveCommand, bhyveCommandLayout } from "./wrappers/bhyve.ts";
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
  /** In the order of the VM's passthru list, where the wrapper really puts them. */
  readonly placements: readonly Placement[];
  /** Plugin advice, renumbering, moved addresses, devices missing from the host. */
  readonly findings: readonly Finding[];
  /** The slot map to save (`stateDir/slots/VM.json`). */
  readonly slotMap: SlotMap;
  /** The VM's passthru list as Hoster needs it to build the same groups. */
  readonly hoster: readonly string[];
  /** The whole `-s` list that runs with the plan: the wrapper's devices and the passthru ones. */
  readonly layout: GuestLayout;
  /** The change to the wrapper's config that makes it place the plan (vm-bhyve, Hoster). */
  readonly change: WrapperChange | null;
}

/** What is planned: a VM's entries, after the plugins' grouping (see {@linkcode groupEntries}). */
export interface PlanRequest {
  readonly vm: string;
  readonly source: VmSource | "--devices";
  readonly file: string | null;
  readonly entries: readonly GroupEntry[];
  /** What the config says about the wrapper's own devices. */
  readonly guest?: GuestConfig | null;
  /** The bhyve command line the plan goes into (`bhyve-run`). */
  readonly command?: BhyveCommand | null;
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
  const layoutRequest: LayoutRequest = {
    vm,
    source: request.source,
    file: request.file,
    entries: entries.map((e) => e.entry),
    guest: request.guest ?? null,
    command: request.command ?? null,
  };
  const given = request.command == null ? [] : commandSlots(request.command);
  // A wrapper that places the devices itself takes from pptkit's allocation only its groups
  // and functions: --first-slot and --used-slots are about slots pptkit chooses.
  const wrapper = request.command == null ? request.guest?.kind ?? null : null;
  if (
    (wrapper === "hoster" || wrapper === "cbsd") &&
    (firstSlot !== DEFAULT_FIRST_SLOT || usedSlots.length > 0)
  ) {
    findings.push({
      level: "warn",
      code: "wrapper-layout",
      message: `VM ${vm}: ${wrapper === "hoster" ? "Hoster" : "CBSD"} chooses the guest slots ` +
        "itself: --first-slot and --used-slots do not apply",
    });
  }
  const allocation = allocateGuestSlots(slotRequests(entries), {
    vm,
    firstSlot: wrapper === null ? firstSlot : DEFAULT_FIRST_SLOT,
    usedSlots: wrapper === null ? [...new Set([...usedSlots, ...given])] : [],
    saved: savedAddresses(saved),
    exitCode: request.source === "native" ? ExitCode.Config : ExitCode.DataError,
  });
  const fit = fitPlan(layoutRequest, allocation.placements, { usedSlots });
  const placements = fit.addresses === null
    ? allocation.placements
    : allocation.placements.map((p) => wrapperPlacement(p, fit.addresses!, fit.change));
  // The allocator's moves are about its own slots; under a wrapper the wrapper's count.
  findings.push(
    ...allocation.findings.filter((f) => fit.addresses === null || f.code !== "slot-moved"),
  );
  if (fit.addresses !== null) findings.push(...movedFindings(vm, placements, saved));
  findings.push(...fit.findings);
  const deviceOf = new Map(entries.map((e) => [addressKey(e.entry.address), e.device]));
  const mapDevices: Record<string, SlotMapDevice> = {};
  for (const p of placements) {
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
  const change = fit.change;
  const hoster = change?.kind === "hoster"
    ? { passthru: change.items.map((i) => i.text), findings: () => [] }
    : hosterArray(placements);
  if (request.source === "hoster" && change === null) findings.push(...hoster.findings(vm));
  return {
    vm,
    source: request.source,
    file: request.file,
    firstSlot,
    usedSlots,
    placements,
    findings,
    slotMap: { schema: SLOT_MAP_SCHEMA, vm, devices: mapDevices },
    hoster: hoster.passthru,
    layout: fit.layout,
    change,
  };
}

/** Slots of bus 0 the given bhyve command line uses (the allocator skips them). */
function commandSlots(command: BhyveCommand): number[] {
  return bhyveCommandLayout(command).lines.filter((l) =>
    l.readable && l.bus === 0 && l.slot >= HOSTBRIDGE_SLOT && l.slot <= LPC_SLOT
  ).map((l) => l.slot);
}

/** A placement moved to where the wrapper puts its entry. */
function wrapperPlacement(
  p: Placement,
  addresses: ReadonlyMap<string, { bus: number; slot: number; function: number }>,
  change: WrapperChange | null,
): Placement {
  const at = addresses.get(addressKey(p.address));
  if (at === undefined) return p;
  let pinned = p.pinned;
  let split = p.split;
  if (change?.kind === "vm-bhyve") {
    const setting = change.settings.find((s) => same(s.entry, p));
    pinned = setting?.value.includes("=") ?? pinned;
  } else if (change?.kind === "hoster") {
    split = change.items.find((i) => same(i.entry, p))?.text.startsWith("-") ?? split;
  }
  return {
    ...p,
    bus: at.bus,
    slot: at.slot,
    function: at.function,
    pinned,
    split,
    renumbered: at.function !== p.address.function,
  };
}

function same(entry: Entry | null, p: Placement): boolean {
  return entry !== null && addressKey(entry.address) === addressKey(p.address);
}

/** `slot-moved` for entries the wrapper now places elsewhere than the saved slot map says. */
function movedFindings(
  vm: string,
  placements: readonly Placement[],
  saved: SlotMap | null,
): Finding[] {
  if (saved === null) return [];
  const out: Finding[] = [];
  for (const p of placements) {
    const before = saved.devices[addressKey(p.address)];
    if (before === undefined || (before.slot === p.slot && before.function === p.function)) {
      continue;
    }
    out.push({
      level: "info",
      code: "slot-moved",
      message: `VM ${vm}: ${p.text} moves from guest ${before.slot}:${before.function} to ` +
        `${p.slot}:${p.function}, where the VM's wrapper now puts it`,
      fix: "a guest may see it as a new device",
      device: formatSelector(p.address),
    });
  }
  return out;
}

/**
 * Plans a VM config on its own (no verdict): refuses a config with errors (65, or 78 for a
 * native config), lets the plugins group its entries, then {@linkcode planGroups}.
 */
export function planVm(
  config: VmConfig,
  devices: readonly PciDevice[],
  options: PlanOptions & {
    readonly plugins?: PluginHooks | null;
    readonly command?: BhyveCommand | null;
  } = {},
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
    {
      vm: config.vm,
      source: config.source,
      file: config.file,
      entries,
      guest: config.guest ?? null,
      command: options.command ?? null,
    },
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
function hosterArray(placements: readonly Placement[]): {
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
