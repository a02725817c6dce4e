/**
 * Guest slot allocation for a VM's passthru devices (DESIGN §9), over the rules of
 * core/slots/rules.ts:
 * 1. Pinned entries (`1/0/0=6:0`) take their place first. Two pins on one slot:function, a pin
 *    on slot 0 or 31, on a `--used-slots` slot, or a pinned slot without function 0 is an error.
 * 2. The other entries are grouped by host `domain:bus:slot`, except split ones (`-` prefix, or a
 *    plugin says so), which are alone. Groups and split entries take the next free guest slot
 *    from `firstSlot` (default 6), never 0 (host bridge) or 31 (LPC), skipping `usedSlots`, in
 *    the order of their first entry; a slot saved for them earlier is taken back when free.
 * 3. Inside a group: host function numbers when it holds host function 0 and every host
 *    function is <= 7 (the guide's `-s 6:0,... -s 6:1,...`); otherwise 0, 1, 2, ... in host
 *    function order (a `guest-renumbered` info finding), so every guest slot has a function 0;
 *    a `same-function` entry (QLogic) cannot be renumbered: error.
 * 4. More than 8 functions for one guest slot, or no free slot left: error naming the VM and the
 *    entries.
 *
 * Pure. The first rule that cannot be met throws a {@linkcode SlotError}, which carries the
 * finding code the verdict engine reports it under.
 *
 * @module
 */

import {
  addressKey,
  formatLabel,
  formatSelector,
  type GuestPin,
  type PciAddress,
  slotKey,
} from "../address.ts";
import { ExitCode, PptkitError } from "../errors.ts";
import type { Finding, FindingCode } from "../findings.ts";
import { joinAnd, joinBrief } from "../text.ts";
import type { DeviceOptions } from "../vms/types.ts";
import {
  DEFAULT_FIRST_SLOT,
  FUNCTIONS_PER_SLOT,
  type GuestAddress,
  HOSTBRIDGE_SLOT,
  keepsHostFunctions,
  layoutProblems,
  LPC_SLOT,
} from "./rules.ts";

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
export interface Placement extends GuestAddress {
  /** The guest bus: 0, unless a wrapper's own devices fill it (vm-bhyve moves on to bus 1). */
  readonly bus: number;
  /** Position of the entry in the VM's passthru list. */
  readonly index: number;
  readonly text: string;
  /** Host B/S/F as bhyve takes it. */
  readonly bsf: string;
  readonly address: PciAddress;
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

/** A slot rule the VM's entries cannot meet: a PptkitError with the finding code it stands for. */
export class SlotError extends PptkitError {
  readonly code: FindingCode;
  /** Selector of the device it is about, when one. */
  readonly device: string | undefined;
  constructor(
    exitCode: ExitCode,
    code: FindingCode,
    message: string,
    hint?: string,
    device?: PciAddress,
  ) {
    super(exitCode, message, hint);
    this.code = code;
    this.device = device === undefined ? undefined : formatSelector(device);
  }
}

/** The finding a {@linkcode SlotError} stands for. */
export function slotErrorFinding(e: SlotError): Finding {
  return {
    level: "error",
    code: e.code,
    message: e.message,
    ...(e.hint === undefined ? {} : { fix: e.hint }),
    ...(e.device === undefined ? {} : { device: e.device }),
  };
}

/** A group of entries that share one guest slot, or one split entry. */
interface Unit {
  readonly members: number[];
  readonly split: boolean;
  slot: number;
  functions: number[];
  renumbered: boolean;
}

/** Who holds each guest slot while allocating; null = free. */
type Owners = (string | null)[];

type Fail = (code: FindingCode, message: string, hint?: string, device?: PciAddress) => SlotError;

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
 * Places a VM's passthru requests in guest slots (see the module comment). Throws a
 * {@linkcode SlotError} naming the VM and the entries when the rules cannot be met.
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
  const fail: Fail = (code, message, hint, device) =>
    new SlotError(exitCode, code, `VM ${vm}: ${message}`, hint, device);
  const findings: Finding[] = [];

  refuseDuplicates(requests, fail);
  const owner: Owners = new Array(LPC_SLOT + 1).fill(null);
  owner[HOSTBRIDGE_SLOT] = "host bridge";
  owner[LPC_SLOT] = "LPC bridge";
  for (const s of used) owner[s] = "used";
  const placed = placePins(requests, owner, used, firstSlot, fail);
  const units = formUnits(requests, vm, fail, findings);
  for (const unit of units) {
    if (!unit.split) unit.functions = groupFunctions(unit, requests, vm, fail, findings);
  }
  assignSlots(units, requests, owner, firstSlot, saved, fail);
  for (const unit of units) {
    unit.members.forEach((i, k) => {
      placed[i] = { slot: unit.slot, function: unit.functions[k] };
    });
  }
  return { placements: toPlacements(requests, placed, units, saved, vm, findings), findings };
}

/** Each host device once. */
function refuseDuplicates(requests: readonly SlotRequest[], fail: Fail): void {
  const seen = new Map<string, number>();
  requests.forEach((r, i) => {
    const key = addressKey(r.address);
    const first = seen.get(key);
    if (first !== undefined) {
      throw fail(
        "vm-config",
        `${requests[first].text} and ${r.text} name the same device`,
        "list it once",
        r.address,
      );
    }
    seen.set(key, i);
  });
}

/** Rule 1: pins take their slots first; returns what is placed so far, by entry. */
function placePins(
  requests: readonly SlotRequest[],
  owner: Owners,
  used: ReadonlySet<number>,
  firstSlot: number,
  fail: Fail,
): (GuestAddress | null)[] {
  const placed: (GuestAddress | null)[] = requests.map(() => null);
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
        "slot-reserved",
        `${r.text} is pinned to guest slot ${slot}, ${taken}`,
        `pin it to a free slot from ${firstSlot} on`,
        r.address,
      );
    }
    if (r.sameFunction && fn !== r.address.function) {
      throw fail(
        "quirk",
        `${r.text} is pinned to guest function ${fn}, not its host function ` +
          `${r.address.function}: ${r.reason ?? "its functions must keep their numbers"}`,
        `pin it to ${slot}:${r.address.function}`,
        r.address,
      );
    }
    placed[i] = { slot, function: fn };
  });
  const pinned = requests.flatMap((r, i) =>
    r.pin === null ? [] : [{ text: r.text, address: r.address, ...placed[i]! }]
  );
  for (const problem of layoutProblems(pinned, false)) {
    if (problem.kind === "collision") {
      const [a, b] = problem.devices;
      throw fail(
        "slot-collision",
        `${a.text} and ${b.text} are both pinned to ${a.slot}:${a.function}`,
        undefined,
        b.address,
      );
    }
    if (problem.kind === "no-function0") {
      throw fail(
        "missing-function0",
        `guest slot ${problem.slot} has ${
          joinAnd(problem.devices.map((d) => d.text))
        } pinned but no function 0: the guest would not see the slot`,
        `pin one of them to ${problem.slot}:0`,
        problem.devices[0].address,
      );
    }
  }
  for (const p of pinned) owner[p.slot] = "pinned";
  return placed;
}

/** Rule 2: groups by host slot and split entries, in the order of their first entry. */
function formUnits(
  requests: readonly SlotRequest[],
  vm: string,
  fail: Fail,
  findings: Finding[],
): Unit[] {
  const units: Unit[] = [];
  /** Split entries whose plugin wants them kept together, by host slot. */
  const splitApart = new Map<string, SlotRequest[]>();
  const byHostSlot = new Map<string, Unit>();
  requests.forEach((r, i) => {
    if (r.pin !== null) return;
    if (r.split) {
      if (r.sameFunction && r.userSplit) {
        throw fail(
          "quirk",
          `${r.text} cannot be split into its own guest slot: ${r.reason}`,
          `write ${r.text.slice(1)} without the - prefix`,
          r.address,
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
    const many = texts.length > 1;
    findings.push({
      level: "warn",
      code: "plugin",
      message: `VM ${vm}: ${joinAnd(texts)} ${many ? "get guest slots" : "gets a guest slot"} ` +
        `of ${many ? "their" : "its"} own as the config asks, although ${split[0].reason}`,
      fix: `if the guest driver fails, write ${
        joinAnd(texts.map((t) => t.slice(1)))
      } without the - prefix`,
      device: formatSelector(split[0].address),
    });
  }
  return units;
}

/** Rule 3: host function numbers when possible, else 0, 1, 2, ... in host function order. */
function groupFunctions(
  unit: Unit,
  requests: readonly SlotRequest[],
  vm: string,
  fail: Fail,
  findings: Finding[],
): number[] {
  const members = unit.members.map((i) => requests[i]);
  const hostFns = members.map((r) => r.address.function);
  if (keepsHostFunctions(hostFns)) return hostFns;
  const strict = members.find((r) => r.sameFunction);
  const texts = members.map((r) => r.text);
  if (strict !== undefined) {
    const withZero = hostFns.includes(0);
    const why = withZero
      ? `host functions above ${FUNCTIONS_PER_SLOT - 1} cannot keep their numbers in a guest`
      : "function 0 of the device is not passed";
    throw fail(
      withZero ? "quirk" : "missing-function0",
      `${joinAnd(texts)} cannot be placed: ${why}, and ${strict.reason}`,
      withZero ? undefined : `add ${formatLabel({ ...strict.address, function: 0 })} to the ` +
        "VM's passthru list",
      strict.address,
    );
  }
  if (members.length > FUNCTIONS_PER_SLOT) {
    throw fail(
      "slot-full",
      `${members.length} functions of one device (${joinBrief(texts)}) do not fit one guest ` +
        `slot, which holds at most ${FUNCTIONS_PER_SLOT}`,
      "split some of them into guest slots of their own with the - prefix",
      members[0].address,
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
      joinAnd(order.map((o, rank) => `${members[o.k].text} as function ${rank}`))
    } of one guest slot, in host function order: ${
      hostFns.includes(0)
        ? `host functions above ${FUNCTIONS_PER_SLOT - 1} (ARI / SR-IOV) do not exist in a guest`
        : "the group has no host function 0, and a guest looks for function 0 first"
    }`,
    device: formatSelector(members[order[0].k].address),
  });
  return out;
}

/** Rule 2 (cont.): saved slots first when still free, then the next free from `firstSlot`. */
function assignSlots(
  units: readonly Unit[],
  requests: readonly SlotRequest[],
  owner: Owners,
  firstSlot: number,
  saved: ReadonlyMap<string, GuestAddress> | null,
  fail: Fail,
): void {
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
        "slot-full",
        `no free guest slot left for ${joinBrief(left)}: slots ${firstSlot}-${
          LPC_SLOT - 1
        } are taken`,
        "use a lower --first-slot, fewer --used-slots, or group functions of one device " +
          "(without the - prefix) so that they share a slot",
      );
    }
    owner[cursor] = "passthru";
    unit.slot = cursor;
  }
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
    let pick = host < FUNCTIONS_PER_SLOT && !taken.has(host) ? host : 0;
    while (taken.has(pick)) pick++;
    taken.add(pick);
    return pick;
  });
  const candidate = members.map((r, k) => ({
    text: r.text,
    address: r.address,
    slot: unit.slot,
    function: out[k],
  }));
  const valid = layoutProblems(candidate, false).length === 0 &&
    members.every((r, k) => !r.sameFunction || out[k] === r.address.function);
  if (!valid) return;
  unit.functions = out;
  unit.renumbered = members.some((r, k) => out[k] !== r.address.function);
}

/** The placements in entry order, with a `slot-moved` note for each saved address left. */
function toPlacements(
  requests: readonly SlotRequest[],
  placed: readonly (GuestAddress | null)[],
  units: readonly Unit[],
  saved: ReadonlyMap<string, GuestAddress> | null,
  vm: string,
  findings: Finding[],
): Placement[] {
  const unitOf = new Map<number, Unit>();
  for (const u of units) for (const i of u.members) unitOf.set(i, u);
  return requests.map((r, i): Placement => {
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
      bus: 0,
      index: i,
      text: r.text,
      bsf: formatLabel(r.address),
      address: r.address,
      slot: at.slot,
      function: at.function,
      options: r.options,
      pinned: r.pin !== null,
      split: unit?.split ?? false,
      renumbered: unit?.renumbered ?? false,
    };
  });
}
