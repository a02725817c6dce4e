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

/** One device at a guest address, as a layout (a plan, a wrapper's, a command line) has it. */
export interface GuestDevice extends GuestAddress {
  /** How the config or command line wrote it (`1/0/1=8:1`, `-6/0/130`), for messages. */
  readonly text: string;
  readonly address: PciAddress;
}

/** Something wrong with a guest layout; the caller words it. */
export type LayoutProblem =
  /** Guest function above 7: bhyve refuses it. */
  | { readonly kind: "function-range"; readonly device: GuestDevice }
  /** Guest slot outside 0-31, or 0 / 31 taken from the host bridge / LPC bridge. */
  | { readonly kind: "slot-range"; readonly device: GuestDevice }
  /** Two devices at one slot:function. */
  | { readonly kind: "collision"; readonly devices: readonly GuestDevice[] }
  /** A slot with devices but none at function 0: the guest does not see it. */
  | {
    readonly kind: "no-function0";
    readonly slot: number;
    readonly devices: readonly GuestDevice[];
  };

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
export function layoutProblems(
  devices: readonly GuestDevice[],
  reserved = true,
): LayoutProblem[] {
  const out: LayoutProblem[] = [];
  const bySlot = new Map<number, GuestDevice[]>();
  for (const d of devices) {
    if (d.function < 0 || d.function > MAX_GUEST_FUNCTION) {
      out.push({ kind: "function-range", device: d });
    }
    const outside = d.slot < 0 || d.slot > LPC_SLOT;
    if (outside || (reserved && !isPassthruSlot(d.slot))) {
      out.push({ kind: "slot-range", device: d });
    }
    const list = bySlot.get(d.slot) ?? [];
    list.push(d);
    bySlot.set(d.slot, list);
  }
  for (const slot of [...bySlot.keys()].sort((a, b) => a - b)) {
    const list = bySlot.get(slot)!;
    const byFunction = new Map<number, GuestDevice[]>();
    for (const d of list) byFunction.set(d.function, [...(byFunction.get(d.function) ?? []), d]);
    for (const same of byFunction.values()) {
      if (same.length > 1) out.push({ kind: "collision", devices: same });
    }
    if (!byFunction.has(0)) out.push({ kind: "no-function0", slot, devices: list });
  }
  return out;
}
