/**
 * The smallest change to a vm-bhyve guest's `passthruN` lines that makes vm-bhyve place every
 * device where pptkit's plan wants it: each group of the plan alone in one guest slot with the
 * plan's functions, on a bus the lint finds nothing wrong with.
 *
 * 1. The config as written, when vm-bhyve already does that: no change.
 * 2. Otherwise a group vm-bhyve can build itself (functions 0, 1, ... and one host-bus text for
 *    all its members) is written unpinned, its members in function order, and the groups are
 *    ordered so that two next to each other never share a host bus (vm-bhyve would merge
 *    them); a group pinned in the config whose pins are right keeps them.
 * 3. Every other group is pinned (`B/S/F=S:F`) into a slot that stays free once vm-bhyve has
 *    placed everything else: its saved slot when free, else the first free one from where
 *    vm-bhyve's passthru starts, never slot 0, 31 or `install_slot` of bus 0, nor a
 *    `--used-slots` slot.
 * 4. If that still misses, every group is pinned.
 * The result is checked by running vm-bhyve's model again: what is proposed, read back, gives
 * exactly the planned slots.
 *
 * Pure.
 *
 * @module
 */

import type { VmBhyveGuest } from "../../vms/guest.ts";
import { placesUnits, type PlanUnit } from "../layout.ts";
import { LPC_SLOT } from "../rules.ts";
import { vmBhyveLayout, type VmBhyvePassthru, type VmBhyveRun } from "./vm_bhyve.ts";

/** What {@linkcode proposeVmBhyve} found. */
export interface VmBhyveProposal {
  readonly settings: readonly VmBhyvePassthru[];
  readonly changed: boolean;
  readonly run: VmBhyveRun;
  /** False when no change makes vm-bhyve place the units (then `run` is the config's own). */
  readonly ok: boolean;
}

/** The device text of a setting without its pin. */
function deviceText(value: string): string {
  const eq = value.indexOf("=");
  return eq < 0 ? value : value.slice(0, eq);
}

/** vm-bhyve's grouping key: the text before the first `/`. */
function hostBusText(value: string): string {
  const slash = value.indexOf("/");
  return slash < 0 ? value : value.slice(0, slash);
}

interface Work {
  readonly unit: PlanUnit;
  /** The settings of its members, in function order, and the function of each. */
  readonly settings: VmBhyvePassthru[];
  readonly functions: number[];
  readonly first: number;
  readonly key: string | null;
  readonly pinnedRight: boolean;
}

function prepare(
  units: readonly PlanUnit[],
  settings: readonly VmBhyvePassthru[],
): Work[] | null {
  const work: Work[] = [];
  for (const unit of units) {
    const members = [...unit.members].sort((a, b) => a.function - b.function);
    const own = members.map((m) => settings.findIndex((s) => s.entry === m.entry));
    if (own.some((i) => i < 0)) return null;
    const mine = own.map((i) => settings[i]);
    const keys = new Set(mine.map((s) => hostBusText(deviceText(s.value))));
    const consecutive = members.every((m, k) => m.function === k);
    const key = consecutive && keys.size === 1 && !keys.has("") ? [...keys][0] : null;
    // Pins as written that already give the unit's slot and functions.
    const pins = mine.map((s) =>
      s.value.includes("=") ? s.value.slice(s.value.lastIndexOf("=") + 1) : null
    );
    const pinnedRight = pins.every((p, k) => p !== null && p.endsWith(`:${members[k].function}`)) &&
      new Set(pins.map((p) => p!.split(":").slice(0, -1).join(":"))).size === 1;
    work.push({
      unit,
      settings: mine,
      functions: members.map((m) => m.function),
      first: Math.min(...own),
      key,
      pinnedRight,
    });
  }
  return work.sort((a, b) => a.first - b.first);
}

/** Orders the unpinned works so that neighbours never share a host bus; the rest must pin. */
function order(works: readonly Work[]): { unpinned: Work[]; pin: Work[] } {
  const pool = [...works];
  const unpinned: Work[] = [];
  const pin: Work[] = [];
  let last: string | null = null;
  while (pool.length > 0) {
    const i = pool.findIndex((w) => w.key !== last);
    if (i < 0) {
      pin.push(pool.shift()!);
      continue;
    }
    const [w] = pool.splice(i, 1);
    unpinned.push(w);
    last = w.key;
  }
  return { unpinned, pin };
}

/** Options of {@linkcode proposeVmBhyve}. */
export interface ProposeOptions {
  /** Guest slots of bus 0 the VM needs for something else (`--used-slots`). */
  readonly usedSlots?: readonly number[];
}

/** The smallest change (see the module comment). */
export function proposeVmBhyve(
  guest: VmBhyveGuest,
  settings: readonly VmBhyvePassthru[],
  units: readonly PlanUnit[],
  options: ProposeOptions = {},
): VmBhyveProposal {
  const asWritten = vmBhyveLayout(guest, settings);
  if (placesUnits(asWritten.layout, units)) {
    return { settings, changed: false, run: asWritten, ok: true };
  }
  const works = prepare(units, settings);
  if (works === null) return { settings, changed: false, run: asWritten, ok: false };
  const kept = works.filter((w) => w.pinnedRight);
  const { unpinned, pin } = order(works.filter((w) => !w.pinnedRight && w.key !== null));
  const mustPin = [...pin, ...works.filter((w) => !w.pinnedRight && w.key === null)];
  const attempt = (pinned: readonly Work[], keep: readonly Work[], free: readonly Work[]) => {
    const result = pinInto(guest, free, keep, pinned, options);
    return result !== null && placesUnits(result.run.layout, units) ? result : null;
  };
  // Kept pins that collide with something else are pinned anew; at last everything is pinned.
  const found = attempt(mustPin, kept, unpinned) ??
    attempt([...mustPin, ...kept], [], unpinned) ??
    attempt(works, [], []);
  if (found === null) return { settings, changed: false, run: asWritten, ok: false };
  const changed = found.settings.length !== settings.length ||
    found.settings.some((s, i) =>
      s.value !== settings[i].value || s.options !== settings[i].options
    );
  return { settings: found.settings, changed, run: found.run, ok: true };
}

/**
 * Builds the settings: the unpinned works in order, each unit's members in function order, at
 * the place of the config's first unpinned group; kept pins and new pins at their unit's first
 * place. New pins go into slots free after vm-bhyve placed everything else.
 */
function pinInto(
  guest: VmBhyveGuest,
  unpinned: readonly Work[],
  kept: readonly Work[],
  pinned: readonly Work[],
  options: ProposeOptions,
): { settings: VmBhyvePassthru[]; run: VmBhyveRun } | null {
  // The unit order of the config, with the unpinned ones in their new order.
  const all = [...unpinned, ...kept, ...pinned].sort((a, b) => a.first - b.first);
  const free = new Set(unpinned);
  let k = 0;
  const sequence = all.map((w) => free.has(w) ? unpinned[k++] : w);
  const placeholder = (w: Work) =>
    w.settings.map((s) => ({ ...s, value: `${deviceText(s.value)}=0:0` }));
  const build = (pins: ReadonlyMap<Work, number>) =>
    sequence.flatMap((w) => {
      if (kept.includes(w)) return w.settings;
      if (free.has(w)) return w.settings.map((s) => ({ ...s, value: deviceText(s.value) }));
      const slot = pins.get(w);
      if (slot === undefined) return placeholder(w);
      return w.settings.map((s, i) => ({
        ...s,
        value: `${deviceText(s.value)}=${slot}:${w.functions[i]}`,
      }));
    });
  const trial = vmBhyveLayout(guest, build(new Map()));
  // Slots taken once vm-bhyve has placed everything but the new pins, by bus.
  const taken = new Map<number, Set<number>>();
  const take = (bus: number, slot: number) => {
    taken.set(bus, (taken.get(bus) ?? new Set()).add(slot));
  };
  take(0, 0);
  take(0, LPC_SLOT);
  take(0, trial.installSlot);
  for (const s of options.usedSlots ?? []) take(0, s);
  const placeholderOf = new Set(pinned.flatMap((w) => w.unit.members.map((m) => m.entry)));
  for (const l of trial.layout.lines) {
    const entry = l.passthru?.entry ?? null;
    if (entry !== null && placeholderOf.has(entry)) continue;
    take(l.bus, l.slot);
  }
  const pins = new Map<Work, number>();
  for (const w of pinned) {
    const line = trial.layout.lines.find((l) => l.passthru?.entry === w.unit.members[0].entry);
    const bus = line?.bus ?? 0;
    const used = taken.get(bus) ?? new Set<number>();
    const start = trial.passthruStart.bus === bus ? trial.passthruStart.slot : 0;
    const candidates = [w.unit.slot, ...range(start, LPC_SLOT), ...range(0, start)];
    const slot = candidates.find((s) => s >= 0 && s <= LPC_SLOT && !used.has(s));
    if (slot === undefined) return null;
    pins.set(w, slot);
    take(bus, slot);
  }
  const settings = build(pins);
  return { settings, run: vmBhyveLayout(guest, settings) };
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let n = from; n <= to; n++) out.push(n);
  return out;
}
