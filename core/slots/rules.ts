/**
 * The guest PCI rules (facts §4.1, §8 rule 11): one home for what makes a guest bus valid, so the
 * allocator, the wrapper layouts and the lint of a logged bhyve command line judge it alike.
 *
 * - Guest slots are 0-31; slot 0 holds the host bridge and 31 the LPC bridge (bhyve.8 and every
 *   wrapper); guest functions are 0-7.
 * - Two devices never share one slot:function (bhyve: "pci slot B:S:F already occupied!").
 * - A slot that has devices needs one at function 0: guests probe function 0 first and skip a
 *   slot without it, and bhyve does not check (facts §4.1).
 * - A group of host functions keeps its host function numbers in the guest when it holds host
 *   function 0 and every function is 0-7; otherwise it is renumbered 0, 1, 2, ... (DESIGN §9).
 *
 * - A whole bhyve command line (a wrapper's `-s` list, see core/slots/layout.ts) is judged by
 *   the same rules on every bus, plus: bhyve must be able to read each slot field
 *   (`pci_parse_slot`: `B:S:F`, `S:F` or `S`, decimal; else "Invalid PCI slot info field"), a
 *   passthru device never takes slot 0 or 31 of bus 0 (the host bridge and the LPC bridge),
 *   the LPC bridge lives on bus 0 (bhyve.8), buses are 0-255, and passthru needs wired guest
 *   memory (`-S`; pci_passthru.c "passthru requires guest memory to be wired").
 *
 * Pure. The callers word the problems for their wrapper (a pinned slot, a Hoster group).
 *
 * @module
 */

import { MAX_GUEST_FUNCTION, type PciAddress } from "../address.ts";

/** Where passthru devices start in the guest unless told otherwise (the guide's 6). */
export const DEFAULT_FIRST_SLOT = 6;
/** Guest slot of the host bridge. */
export const HOSTBRIDGE_SLOT = 0;
/** Guest slot of the LPC bridge; also the highest guest slot (bhyve `MAXSLOTS` - 1). */
export const LPC_SLOT = 31;
/** Functions one guest slot can hold (bhyve `MAXFUNCS`). */
export const FUNCTIONS_PER_SLOT = MAX_GUEST_FUNCTION + 1;

/** A guest address. */
export interface GuestAddress {
  readonly slot: number;
  readonly function: number;
}

/** A guest address on any bus (bus 0 when absent). */
export interface BusAddress extends GuestAddress {
  readonly bus?: number;
}

/** One device at a guest address, as a layout (a plan, a wrapper's, a command line) has it. */
export interface GuestDevice extends BusAddress {
  /** How the config or command line wrote it (`1/0/1=8:1`, `-s 6:0,passthru,1/0/0`). */
  readonly text: string;
  /**
   * The host device it passes through. Absent for an emulated device (`hostbridge`,
   * `virtio-blk`, ...), which takes a guest address and passes none, and for a passthru device
   * whose host address is not known (a `pptN` the host has not named, a spelling bhyve cannot
   * read).
   */
  readonly address?: PciAddress;
}

/** Something wrong with a guest layout; the caller words it. */
export type LayoutProblem<D extends BusAddress = GuestDevice> =
  /** Guest function above 7: bhyve refuses it. */
  | { readonly kind: "function-range"; readonly device: D }
  /** Guest slot outside 0-31 (or bus outside 0-255), or 0 / 31 taken from the bridges. */
  | { readonly kind: "slot-range"; readonly device: D }
  /** Two devices at one bus:slot:function. */
  | { readonly kind: "collision"; readonly devices: readonly D[] }
  /** A slot with devices but none at function 0: the guest does not see it. */
  | {
    readonly kind: "no-function0";
    readonly bus: number;
    readonly slot: number;
    readonly devices: readonly D[];
  };

/** The highest guest bus bhyve has (`MAXBUSES` - 1). */
export const MAX_GUEST_BUS = 255;

/** Rule 3: a group keeps its host function numbers when it has function 0 and all are 0-7. */
export function keepsHostFunctions(hostFunctions: readonly number[]): boolean {
  return hostFunctions.includes(0) && hostFunctions.every((f) => f <= MAX_GUEST_FUNCTION);
}

/** True for a slot passthru may use: 1-30. */
export function isPassthruSlot(slot: number): boolean {
  return Number.isInteger(slot) && slot > HOSTBRIDGE_SLOT && slot < LPC_SLOT;
}

/**
 * Every problem of a guest layout, in slot order: functions out of range, slots out of range or
 * taken from the bridges (`reserved` false checks only 0-31), collisions, slots without
 * function 0. A function out of range still counts for its slot's function 0 question.
 */
export function layoutProblems<D extends BusAddress>(
  devices: readonly D[],
  reserved = true,
): LayoutProblem<D>[] {
  const out: LayoutProblem<D>[] = [];
  const bySlot = new Map<number, D[]>();
  for (const d of devices) {
    const bus = d.bus ?? 0;
    if (d.function < 0 || d.function > MAX_GUEST_FUNCTION) {
      out.push({ kind: "function-range", device: d });
    }
    const outside = d.slot < 0 || d.slot > LPC_SLOT || bus < 0 || bus > MAX_GUEST_BUS;
    if (outside || (reserved && !isPassthruSlot(d.slot))) {
      out.push({ kind: "slot-range", device: d });
    }
    const key = bus * (LPC_SLOT + 1) + d.slot;
    const list = bySlot.get(key) ?? [];
    list.push(d);
    bySlot.set(key, list);
  }
  for (const key of [...bySlot.keys()].sort((a, b) => a - b)) {
    const list = bySlot.get(key)!;
    const byFunction = new Map<number, D[]>();
    for (const d of list) byFunction.set(d.function, [...(byFunction.get(d.function) ?? []), d]);
    for (const same of byFunction.values()) {
      if (same.length > 1) out.push({ kind: "collision", devices: same });
    }
    if (!byFunction.has(0)) {
      out.push({ kind: "no-function0", bus: list[0].bus ?? 0, slot: list[0].slot, devices: list });
    }
  }
  return out;
}

/** One `-s` of a bhyve command line, as the command-line lint needs it. */
export interface CommandLineDevice extends GuestDevice {
  readonly bus: number;
  /** bhyve's device model (`passthru`, `hostbridge`, `lpc`, `virtio-blk`, ...). */
  readonly model: string;
  /** False when bhyve cannot read the slot field ("Invalid PCI slot info field"). */
  readonly readable: boolean;
}

/** Something wrong with a whole bhyve command line, beyond the layout rules. */
export type CommandLineProblem<D extends CommandLineDevice> =
  | LayoutProblem<D>
  /** bhyve cannot read the slot field of this `-s`. */
  | { readonly kind: "slot-field"; readonly device: D }
  /** A passthru device on slot 0 or 31 of bus 0, or the LPC bridge off bus 0. */
  | { readonly kind: "reserved"; readonly device: D }
  /** Passthru devices without wired guest memory (`-S`). */
  | { readonly kind: "not-wired"; readonly devices: readonly D[] };

/**
 * Every problem of a whole bhyve command line (see the module comment), in this order: unreadable
 * slot fields, then the layout rules over the readable `-s`, then the bridges' slots, then `-S`.
 */
export function commandLineProblems<D extends CommandLineDevice>(
  devices: readonly D[],
  wired: boolean,
): CommandLineProblem<D>[] {
  const out: CommandLineProblem<D>[] = [];
  const readable: D[] = [];
  for (const d of devices) {
    if (d.readable) readable.push(d);
    else out.push({ kind: "slot-field", device: d });
  }
  out.push(...layoutProblems(readable, false));
  for (const d of readable) {
    const bridgeSlot = d.bus === 0 && (d.slot === HOSTBRIDGE_SLOT || d.slot === LPC_SLOT);
    if ((d.model === "passthru" && bridgeSlot) || (d.model === "lpc" && d.bus !== 0)) {
      out.push({ kind: "reserved", device: d });
    }
  }
  const passthru = devices.filter((d) => d.model === "passthru");
  if (passthru.length > 0 && !wired) out.push({ kind: "not-wired", devices: passthru });
  return out;
}
