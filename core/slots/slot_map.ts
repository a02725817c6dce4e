/**
 * The saved slot map (DESIGN §9 rule 5): `stateDir/slots/VM.json` keeps each device's guest
 * address stable across runs and config edits, and refuses a card swapped at a saved address.
 *
 * @module
 */

import { addressKey, formatBsf, formatSelector } from "../address.ts";
import { ExitCode, PptkitError } from "../errors.ts";
import { isSyntaxError, parseJsonDoc } from "../jsonc.ts";
import type { PciDevice } from "../pciconf.ts";
import type { GuestAddress } from "./rules.ts";
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

export const SLOT_MAP_SCHEMA = "pptkit.slots/1";
const ID_KEYS = ["vendorId", "deviceId", "subvendorId", "subdeviceId"] as const;

/** Parses a saved slot map. Throws 65 naming the file (and line) when it is not one. */
export function parseSlotMap(text: string, file: string): SlotMap {
  const bad = (line: number, detail: string) =>
    new PptkitError(
      ExitCode.DataError,
      `bad slot map: ${detail}`,
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
