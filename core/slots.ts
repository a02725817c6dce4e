/**
 * Guest slot allocation for a VM's passthru devices (DESIGN §9), the saved slot map that keeps
 * guest addresses stable, and the plan's output formats.
 *
 * The rules, in order:
 * 1. Pinned entries (`1/0/0=6:0`) take their place first. Two pins on one slot:function, a pin
 *    on slot 0 or 31, on a `--used-slots` slot, or a pinned slot without function 0 is an error.
 * 2. The other entries are grouped by host `domain:bus:slot`, except split ones (`-` prefix, or a
 *    plugin says so), which are alone. Groups and split entries take the next free guest slot
 *    from `firstSlot` (default 6), never 0 (host bridge) or 31 (LPC), skipping `usedSlots`, in
 *    the order of their first entry; a slot saved for them earlier is taken back when free.
 * 3. Inside a group: when it holds host function 0 and every host function is <= 7, guest
 *    functions are the host functions (the guide's `-s 6:0,... -s 6:1,...`). Otherwise they are
 *    0, 1, 2, ... in host function order (a `guest-renumbered` info finding), so every guest
 *    slot has a function 0; a `same-function` entry (QLogic) cannot be renumbered: error.
 * 4. More than 8 functions for one guest slot, or no free slot left: error naming the VM and the
 *    entries.
 * 5. `-S` (wired guest memory) always, as bhyve requires it for passthru.
 *
 * Everything here is pure. `plan` reads the saved map, calls {@linkcode planVm}, prints
 * {@linkcode formatPlan} and writes `plan.slotMap` back when it changed.
 *
 * @module
 */

import {
  addressKey,
  formatBsf,
  formatSelector,
  type GuestPin,
  MAX_GUEST_FUNCTION,
  type PciAddress,
} from "./address.ts";
import { isSyntaxError, parseJsonDoc } from "./config.ts";
import type { Finding } from "./eligibility.ts";
import { ExitCode, PptkitError } from "./errors.ts";
import type { PciDevice } from "./pciconf.ts";
import type { GroupEntry, PluginHooks } from "./plugins.ts";
import { type DeviceOptions, requireUsable, type VmConfig, type VmSource } from "./vms/types.ts";
import { pluginContext, slotKey } from "./vms/usage.ts";

/** Where passthru devices start in the guest unless told otherwise (the guide's 6). */
export const DEFAULT_FIRST_SLOT = 6;
/** Guest slot 0 holds the host bridge, 31 the LPC bridge (bhyve.8 and every wrapper). */
const HOSTBRIDGE_SLOT = 0;
const LPC_SLOT = 31;
const FUNCTIONS_PER_SLOT = MAX_GUEST_FUNCTION + 1;

/** One device to place, as the allocator sees it (plain data: no plugins here). */
export interface SlotRequest {
  /** The entry as the config wrote it (`-1/0/1`), for messages. */
  readonly text: string;
  readonly address: PciAddress;
  readonly pin: GuestPin | null;
  /** Gets a guest slot of its own. */
  readonly split: boolean;
  /** The config asked for the split (`-` prefix). */
  readonly userSplit: boolean;
  /** Guest function must equal host function (QLogic FC). */
  readonly sameFunction: boolean;
  /** Belongs with its host slot's other functions (a user split is honoured with a warning). */
  readonly keepTogether: boolean;
  /** Why `sameFunction` / `keepTogether` (a plugin's words), for messages. */
  readonly reason: string | null;
  readonly options: DeviceOptions;
}

/** A guest address. */
export interface GuestAddress {
  readonly slot: number;
  readonly function: number;
}

/** Options of {@linkcode allocateGuestSlots}. */
export interface AllocateOptions {
  /** The VM, for messages. */
  readonly vm: string;
  readonly firstSlot?: number;
  /** Guest slots the VM's other devices use. */
  readonly usedSlots?: readonly number[];
  /** Guest addresses saved by earlier plans, by device key (`domain:bus:slot:function`). */
  readonly saved?: ReadonlyMap<string, GuestAddress> | null;
  /** Exit code of errors caused by the VM config: 65, or 78 for pptkit's own configs. */
  readonly exitCode?: ExitCode;
}

/** Where one entry goes in the guest. */
export interface Placement {
  /** Position of the entry in the VM's passthru list. */
  readonly index: number;
  readonly text: string;
  /** Host B/S/F as bhyve takes it. */
  readonly bsf: string;
  readonly address: PciAddress;
  readonly slot: number;
  readonly function: number;
  readonly options: DeviceOptions;
  readonly pinned: boolean;
  /** Alone in its guest slot because split (not merely the only function of its group). */
  readonly split: boolean;
  /** Guest function differs from the host function because the group was renumbered. */
  readonly renumbered: boolean;
}

/** The result of {@linkcode allocateGuestSlots}. */
export interface Allocation {
  /** In entry order. */
  readonly placements: Placement[];
  readonly findings: Finding[];
}

interface Unit {
  readonly members: number[];
  readonly split: boolean;
  slot: number;
  functions: number[];
  renumbered: boolean;
}

function list(texts: readonly string[]): string {
  return texts.length <= 1
    ? texts.join("")
    : `${texts.slice(0, -1).join(", ")} and ${texts[texts.length - 1]}`;
}

/** Like {@linkcode list}, but a long error line names 8 entries and counts the rest. */
function brief(texts: readonly string[]): string {
  return texts.length <= 12
    ? list(texts)
    : `${texts.slice(0, 8).join(", ")} and ${texts.length - 8} more`;
}

function checkSlotOption(name: string, slot: number, min: number, max: number): void {
  if (!Number.isInteger(slot) || slot < min || slot > max) {
    throw new PptkitError(
      ExitCode.Usage,
      `bad ${name} ${slot}: expected a guest slot ${min}-${max}`,
      "guest slots are 0-31; 0 holds the host bridge and 31 the LPC bridge",
    );
  }
}

/**
 * Places a VM's passthru requests in guest slots (DESIGN §9, see the module comment). Throws a
 * {@linkcode PptkitError} naming the VM and the entries when the rules cannot be met.
 */
export function allocateGuestSlots(
  requests: readonly SlotRequest[],
  options: AllocateOptions,
): Allocation {
  const { vm } = options;
  const firstSlot = options.firstSlot ?? DEFAULT_FIRST_SLOT;
  checkSlotOption("--first-slot", firstSlot, HOSTBRIDGE_SLOT + 1, LPC_SLOT - 1);
  const used = new Set(options.usedSlots ?? []);
  for (const s of used) checkSlotOption("--used-slots slot", s, HOSTBRIDGE_SLOT, LPC_SLOT);
  const saved = options.saved ?? null;
  const exitCode = options.exitCode ?? ExitCode.DataError;
  const fail = (message: string, hint?: string) =>
    new PptkitError(exitCode, `VM ${vm}: ${message}`, hint);
  const findings: Finding[] = [];

  // Each host device once.
  const seen = new Map<string, number>();
  requests.forEach((r, i) => {
    const key = addressKey(r.address);
    const first = seen.get(key);
    if (first !== undefined) {
      throw fail(`${requests[first].text} and ${r.text} name the same device`, "list it once");
    }
    seen.set(key, i);
  });

  // 1. Pins.
  /** Who holds each guest slot; null = free. */
  const owner: (string | null)[] = new Array(LPC_SLOT + 1).fill(null);
  owner[HOSTBRIDGE_SLOT] = "host bridge";
  owner[LPC_SLOT] = "LPC bridge";
  for (const s of used) owner[s] = "used";
  const placed: (GuestAddress | null)[] = requests.map(() => null);
  const pinnedAt = new Map<number, Map<number, number>>();
  requests.forEach((r, i) => {
    if (r.pin === null) return;
    const { slot, function: fn } = r.pin;
    if (slot === HOSTBRIDGE_SLOT || slot === LPC_SLOT || used.has(slot)) {
      const taken = slot === HOSTBRIDGE_SLOT
        ? "which the host bridge uses"
        : slot === LPC_SLOT
        ? "which the LPC bridge uses"
        : "which --used-slots reserves";
      throw fail(
        `${r.text} is pinned to guest slot ${slot}, ${taken}`,
        `pin it to a free slot from ${firstSlot} on`,
      );
    }
    if (r.sameFunction && fn !== r.address.function) {
      throw fail(
        `${r.text} is pinned to guest function ${fn}, not its host function ` +
          `${r.address.function}: ${r.reason ?? "its functions must keep their numbers"}`,
        `pin it to ${slot}:${r.address.function}`,
      );
    }
    const fns = pinnedAt.get(slot) ?? new Map<number, number>();
    const other = fns.get(fn);
    if (other !== undefined) {
      throw fail(`${requests[other].text} and ${r.text} are both pinned to ${slot}:${fn}`);
    }
    fns.set(fn, i);
    pinnedAt.set(slot, fns);
    placed[i] = { slot, function: fn };
  });
  for (const [slot, fns] of pinnedAt) {
    owner[slot] = "pinned";
    if (!fns.has(0)) {
      const texts = [...fns.values()].map((i) => requests[i].text);
      throw fail(
        `guest slot ${slot} has ${list(texts)} pinned but no function 0: the guest would not ` +
          "see the slot",
        `pin one of them to ${slot}:0`,
      );
    }
  }

  // 2. Groups and split entries, in the order of their first entry.
  const units: Unit[] = [];
  /** Split entries whose plugin wants them kept together, by host slot. */
  const splitApart = new Map<string, SlotRequest[]>();
  const byHostSlot = new Map<string, Unit>();
  requests.forEach((r, i) => {
    if (r.pin !== null) return;
    if (r.split) {
      if (r.sameFunction && r.userSplit) {
        throw fail(
          `${r.text} cannot be split into its own guest slot: ${r.reason}`,
          `write ${r.text.slice(1)} without the - prefix`,
        );
      }
      if (r.keepTogether && r.userSplit) {
        const key = slotKey(r.address);
        splitApart.set(key, [...(splitApart.get(key) ?? []), r]);
      }
      units.push({ members: [i], split: true, slot: -1, functions: [0], renumbered: false });
      return;
    }
    const key = slotKey(r.address);
    let unit = byHostSlot.get(key);
    if (unit === undefined) {
      unit = { members: [], split: false, slot: -1, functions: [], renumbered: false };
      byHostSlot.set(key, unit);
      units.push(unit);
    }
    unit.members.push(i);
  });

  for (const [key, split] of splitApart) {
    const others = requests.filter((r) => slotKey(r.address) === key);
    if (others.length < 2) continue;
    const texts = split.map((r) => r.text);
    findings.push({
      level: "warn",
      code: "plugin",
      message:
        `VM ${vm}: ${list(texts)} ${texts.length > 1 ? "get guest slots" : "gets a guest slot"} ` +
        `of ${texts.length > 1 ? "their" : "its"} own as the config asks, although ${
          split[0].reason
        }`,
      fix: `if the guest driver fails, write ${
        list(texts.map((t) => t.slice(1)))
      } without the - prefix`,
      device: formatSelector(split[0].address),
    });
  }

  // 3. Functions inside each group.
  for (const unit of units) {
    if (unit.split) continue;
    unit.functions = groupFunctions(unit, requests, vm, fail, findings);
  }

  // 2 (cont.). Slots: saved ones first when still free, then the next free from firstSlot.
  const savedSlotOf = (unit: Unit): number | null => {
    if (saved === null) return null;
    for (const i of unit.members) {
      const s = saved.get(addressKey(requests[i].address));
      if (s !== undefined) return s.slot;
    }
    return null;
  };
  for (const unit of units) {
    const s = savedSlotOf(unit);
    if (s === null || s < firstSlot || s >= LPC_SLOT || owner[s] !== null) continue;
    owner[s] = "passthru";
    unit.slot = s;
    if (!unit.split) keepSavedFunctions(unit, requests, saved!);
  }
  let cursor = firstSlot;
  for (const [n, unit] of units.entries()) {
    if (unit.slot >= 0) continue;
    while (cursor < LPC_SLOT && owner[cursor] !== null) cursor++;
    if (cursor >= LPC_SLOT) {
      const left = units.slice(n).filter((u) => u.slot < 0)
        .flatMap((u) => u.members.map((i) => requests[i].text));
      throw fail(
        `no free guest slot left for ${brief(left)}: slots ${firstSlot}-${LPC_SLOT - 1} are taken`,
        "use a lower --first-slot, fewer --used-slots, or group functions of one device " +
          "(without the - prefix) so that they share a slot",
      );
    }
    owner[cursor] = "passthru";
    unit.slot = cursor;
  }
  for (const unit of units) {
    unit.members.forEach((i, k) => {
      placed[i] = { slot: unit.slot, function: unit.functions[k] };
    });
  }

  const unitOf = new Map<number, Unit>();
  for (const u of units) for (const i of u.members) unitOf.set(i, u);
  const placements = requests.map((r, i): Placement => {
    const at = placed[i]!;
    const unit = unitOf.get(i);
    const previous = saved?.get(addressKey(r.address));
    if (
      previous !== undefined && r.pin === null &&
      (previous.slot !== at.slot || previous.function !== at.function)
    ) {
      findings.push({
        level: "info",
        code: "slot-moved",
        message: `VM ${vm}: ${r.text} moves from guest ${previous.slot}:${previous.function} ` +
          `to ${at.slot}:${at.function}: its saved address is taken or no longer fits the plan`,
        fix: "a guest may see it as a new device; pin it (B/S/F=S:F) to keep an address for good",
        device: formatSelector(r.address),
      });
    }
    return {
      index: i,
      text: r.text,
      bsf: formatBsf(r.address) ?? formatSelector(r.address),
      address: r.address,
      slot: at.slot,
      function: at.function,
      options: r.options,
      pinned: r.pin !== null,
      split: unit?.split ?? false,
      renumbered: unit?.renumbered ?? false,
    };
  });
  return { placements, findings };
}

/** Rule 3: host function numbers when possible, else 0, 1, 2, ... in host function order. */
function groupFunctions(
  unit: Unit,
  requests: readonly SlotRequest[],
  vm: string,
  fail: (message: string, hint?: string) => PptkitError,
  findings: Finding[],
): number[] {
  const members = unit.members.map((i) => requests[i]);
  const hostFns = members.map((r) => r.address.function);
  if (hostFns.includes(0) && hostFns.every((f) => f <= MAX_GUEST_FUNCTION)) return hostFns;
  const strict = members.find((r) => r.sameFunction);
  const texts = members.map((r) => r.text);
  if (strict !== undefined) {
    const why = hostFns.includes(0)
      ? `host functions above ${MAX_GUEST_FUNCTION} cannot keep their numbers in a guest`
      : "function 0 of the device is not passed";
    const zero = formatBsf({ ...strict.address, function: 0 });
    throw fail(
      `${list(texts)} cannot be placed: ${why}, and ${strict.reason}`,
      hostFns.includes(0) ? undefined : `add ${zero} to the VM's passthru list`,
    );
  }
  if (members.length > FUNCTIONS_PER_SLOT) {
    throw fail(
      `${members.length} functions of one device (${brief(texts)}) do not fit one guest slot, ` +
        `which holds at most ${FUNCTIONS_PER_SLOT}`,
      "split some of them into guest slots of their own with the - prefix",
    );
  }
  const order = members.map((r, k) => ({ fn: r.address.function, k }))
    .sort((a, b) => a.fn - b.fn);
  const out = new Array<number>(members.length);
  order.forEach((o, rank) => out[o.k] = rank);
  unit.renumbered = true;
  findings.push({
    level: "info",
    code: "guest-renumbered",
    message: `VM ${vm}: ${
      list(order.map((o, rank) => `${members[o.k].text} as function ${rank}`))
    } of one guest slot, in host function order: ${
      hostFns.includes(0)
        ? `host functions above ${MAX_GUEST_FUNCTION} (ARI / SR-IOV) do not exist in a guest`
        : "the group has no host function 0, and a guest looks for function 0 first"
    }`,
    device: formatSelector(members[order[0].k].address),
  });
  return out;
}

/**
 * Keeps the saved guest functions of a group that got its saved slot back, when they still make
 * a valid slot (distinct, 0-7, function 0 present, same-function respected); members that are
 * new take their host function when free, else the lowest free one.
 */
function keepSavedFunctions(
  unit: Unit,
  requests: readonly SlotRequest[],
  saved: ReadonlyMap<string, GuestAddress>,
): void {
  const members = unit.members.map((i) => requests[i]);
  const fns: (number | null)[] = members.map((r) => {
    const s = saved.get(addressKey(r.address));
    return s !== undefined && s.slot === unit.slot ? s.function : null;
  });
  if (fns.every((f) => f === null)) return;
  const taken = new Set(fns.filter((f) => f !== null) as number[]);
  if (taken.size !== fns.filter((f) => f !== null).length) return;
  const out = fns.map((f, k) => {
    if (f !== null) return f;
    const host = members[k].address.function;
    let pick = host <= MAX_GUEST_FUNCTION && !taken.has(host) ? host : 0;
    while (taken.has(pick)) pick++;
    taken.add(pick);
    return pick;
  });
  const valid = out.includes(0) && out.every((f) => f <= MAX_GUEST_FUNCTION) &&
    members.every((r, k) => !r.sameFunction || out[k] === r.address.function);
  if (!valid) return;
  unit.functions = out;
  unit.renumbered = members.some((r, k) => out[k] !== r.address.function);
}

// ---------------------------------------------------------------------------------------------
// Saved slot maps

/** What the slot map remembers of one device. */
export interface SlotMapDevice {
  readonly slot: number;
  readonly function: number;
  /** Ids of the device when it was placed; null when it was not on the host. */
  readonly vendorId: string | null;
  readonly deviceId: string | null;
  readonly subvendorId: string | null;
  readonly subdeviceId: string | null;
}

/** `stateDir/slots/VM.json`: a VM's guest addresses, by device key. */
export interface SlotMap {
  readonly schema: "pptkit.slots/1";
  readonly vm: string;
  /** Keyed by `domain:bus:slot:function`. */
  readonly devices: Readonly<Record<string, SlotMapDevice>>;
}

const SLOT_MAP_SCHEMA = "pptkit.slots/1";
const ID_KEYS = ["vendorId", "deviceId", "subvendorId", "subdeviceId"] as const;

/** Parses a saved slot map. Throws 65 naming the file (and line) when it is not one. */
export function parseSlotMap(text: string, file: string): SlotMap {
  const bad = (line: number, detail: string) =>
    new PptkitError(
      ExitCode.DataError,
      `${file}:${line}: bad slot map: ${detail}`,
      "pptkit writes this file; run pptkit plan VM --reset-slots to start it afresh",
      { file, line },
    );
  const doc = parseJsonDoc(text, file, true);
  if (isSyntaxError(doc)) throw bad(doc.line, doc.message);
  const value = JSON.parse(text) as Record<string, unknown>;
  if (typeof value !== "object" || value === null || value.schema !== SLOT_MAP_SCHEMA) {
    throw bad(1, `expected "schema": "${SLOT_MAP_SCHEMA}"`);
  }
  if (typeof value.vm !== "string" || typeof value.devices !== "object" || !value.devices) {
    throw bad(1, `expected "vm" and "devices"`);
  }
  const devices: Record<string, SlotMapDevice> = {};
  for (const [key, raw] of Object.entries(value.devices as Record<string, unknown>)) {
    const d = raw as Record<string, unknown>;
    const ok = typeof d === "object" && d !== null && Number.isInteger(d.slot) &&
      Number.isInteger(d.function) && ID_KEYS.every((k) =>
        d[k] === null || typeof d[k] === "string"
      );
    if (!ok) throw bad(1, `bad entry "${key}"`);
    devices[key] = {
      slot: d.slot as number,
      function: d.function as number,
      vendorId: d.vendorId as string | null,
      deviceId: d.deviceId as string | null,
      subvendorId: d.subvendorId as string | null,
      subdeviceId: d.subdeviceId as string | null,
    };
  }
  return { schema: SLOT_MAP_SCHEMA, vm: value.vm, devices };
}

/** The slot map as pptkit writes it: keys sorted, one device a line group, final newline. */
export function renderSlotMap(map: SlotMap): string {
  const devices: Record<string, SlotMapDevice> = {};
  for (const key of Object.keys(map.devices).sort()) devices[key] = map.devices[key];
  return JSON.stringify({ schema: map.schema, vm: map.vm, devices }, null, 2) + "\n";
}

/** True when saving `next` would change what is saved (`previous` null = nothing saved). */
export function slotMapChanged(previous: SlotMap | null, next: SlotMap): boolean {
  return previous === null || renderSlotMap(previous) !== renderSlotMap(next);
}

/** Guest addresses of a slot map, by device key, as {@linkcode allocateGuestSlots} takes them. */
export function savedAddresses(map: SlotMap | null): Map<string, GuestAddress> | null {
  if (map === null) return null;
  const out = new Map<string, GuestAddress>();
  for (const [key, d] of Object.entries(map.devices)) {
    out.set(key, { slot: d.slot, function: d.function });
  }
  return out;
}

function idsText(ids: Pick<SlotMapDevice, (typeof ID_KEYS)[number]>): string {
  return `${ids.vendorId}:${ids.deviceId} (subsystem ${ids.subvendorId}:${ids.subdeviceId})`;
}

/**
 * Throws when a device at a saved address now has other ids than when it was placed: the card
 * in that slot was probably swapped, and the guest would get another device at the old address.
 */
export function checkCardSwaps(
  map: SlotMap | null,
  vm: string,
  devices: readonly PciDevice[],
): void {
  if (map === null) return;
  for (const device of devices) {
    const key = addressKey(device.address);
    const before = map.devices[key];
    if (before === undefined || before.vendorId === null) continue;
    if (ID_KEYS.every((k) => before[k] === device[k])) continue;
    const bsf = formatBsf(device.address) ?? formatSelector(device.address);
    throw new PptkitError(
      ExitCode.DataError,
      `VM ${vm}: the device at ${bsf} was ${idsText(before)} when it was given guest address ` +
        `${before.slot}:${before.function}, and is now ${idsText(device)}: card swapped?`,
      `check the hardware, then run: pptkit plan ${vm} --reset-slots`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Planning a VM

/** Options of {@linkcode planVm}. */
export interface PlanOptions {
  readonly firstSlot?: number;
  readonly usedSlots?: readonly number[];
  /** The saved slot map; null or absent for none (and for `--reset-slots`). */
  readonly saved?: SlotMap | null;
  /** Loaded plugins; null or absent to plan without them. */
  readonly plugins?: PluginHooks | null;
}

/** A VM's guest slot plan. */
export interface Plan {
  readonly vm: string;
  readonly source: VmSource;
  readonly file: string;
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

/**
 * Plans a VM: checks its config (65, or 78 for a native config, on error findings), resolves
 * its entries on the host, lets plugins adjust the grouping, refuses swapped cards, allocates
 * guest slots and computes the slot map to save.
 */
export function planVm(
  config: VmConfig,
  devices: readonly PciDevice[],
  options: PlanOptions = {},
): Plan {
  requireUsable(config);
  const vm = config.vm;
  const findings: Finding[] = [];
  const byKey = new Map<string, PciDevice>();
  for (const d of devices) byKey.set(addressKey(d.address), d);

  let entries: GroupEntry[] = config.passthru.map((entry, index) => ({
    index,
    entry,
    device: byKey.get(addressKey(entry.address)) ?? null,
    grouping: "auto",
    reason: null,
  }));
  for (const e of entries) {
    if (e.device !== null) continue;
    findings.push({
      level: "warn",
      code: "unknown-device",
      message: `VM ${vm}: ${e.entry.token.text} is not on this host; bhyve will refuse to start ` +
        "the VM with it",
      fix: `check the address with pptkit list --all, or remove it from ${config.file}`,
      file: config.file,
      line: e.entry.line,
    });
  }
  if (options.plugins) {
    const ctx = pluginContext(devices, vm, () => [], (f) => findings.push(f));
    entries = options.plugins.group(entries, ctx);
  }

  const saved = options.saved ?? null;
  checkCardSwaps(
    saved,
    vm,
    entries.flatMap((e) => e.device === null ? [] : [e.device]),
  );

  const requests = entries.map((e): SlotRequest => {
    const userSplit = e.entry.token.split;
    // A - prefix always asks for a slot of its own; for same-function devices the allocator
    // refuses it with the plugin's reason.
    const split = e.grouping === "split" || userSplit;
    return {
      text: e.entry.token.text,
      address: e.entry.address,
      pin: e.entry.token.pin,
      split,
      userSplit,
      sameFunction: e.grouping === "same-function",
      keepTogether: e.grouping === "keep-together",
      reason: e.reason,
      options: e.entry.options,
    };
  });
  const firstSlot = options.firstSlot ?? DEFAULT_FIRST_SLOT;
  const usedSlots = [...new Set(options.usedSlots ?? [])].sort((a, b) => a - b);
  const allocation = allocateGuestSlots(requests, {
    vm,
    firstSlot,
    usedSlots,
    saved: savedAddresses(saved),
    exitCode: config.source === "native" ? ExitCode.Config : ExitCode.DataError,
  });
  findings.push(...allocation.findings);

  const mapDevices: Record<string, SlotMapDevice> = {};
  for (const p of allocation.placements) {
    const d = byKey.get(addressKey(p.address)) ?? null;
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
  if (config.source === "hoster") findings.push(...hoster.findings(vm));
  return {
    vm,
    source: config.source,
    file: config.file,
    firstSlot,
    usedSlots,
    placements: allocation.placements,
    findings,
    slotMap: { schema: SLOT_MAP_SCHEMA, vm, devices: mapDevices },
    hoster: hoster.passthru,
  };
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
          `writes ${list(changed.map((b) => "-" + b))}: a guest slot each`,
      }],
  };
}

// ---------------------------------------------------------------------------------------------
// Output formats

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
export function planJson(plan: Plan): Record<string, unknown> {
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
    findings: plan.findings,
  };
}

/** Renders a plan in one of the formats of `pptkit plan --format`, ending in a newline. */
export function formatPlan(plan: Plan, format: PlanFormat): string {
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
      return JSON.stringify(planJson(plan), null, 2) + "\n";
  }
}
