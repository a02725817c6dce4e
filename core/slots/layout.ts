/**
 * A guest's whole PCI bus as a wrapper will build it: the `-s` arguments of the bhyve command
 * line, in the wrapper's order, each with the config setting it comes from. The wrapper models
 * (core/slots/wrappers/) predict one from a VM's config, core/slots/wrappers/bhyve.ts reads one
 * from a bhyve command line (`plan VM -- ARGS`, a logged one for `explain`); core/slots/lint.ts
 * lints it; `plan` prints it.
 *
 * Each `-s` is read here the way bhyve reads it, one home for both:
 * - the slot field as `pci_parse_slot` (usr.sbin/bhyve/pci_emul.c) does: no comma is "Invalid
 *   PCI slot info field"; then `sscanf("%d:%d:%d")`, else `"%d:%d"` (bus 0), else `"%d"` (bus 0,
 *   function 0). sscanf reads a prefix, so vm-bhyve's `0::0` (an empty `start_slot`) is slot 0,
 *   function 0, `0:6` (a pin without function) is slot 0, function 6, and `0x6` is slot 0;
 * - the passthru device as `passthru_legacy_config` (pci_passthru.c) does: `pptN` (a name the
 *   host looks up), else `sscanf("pci0:%d:%d:%d")`, `"pci%d:%d:%d"` (so `pci1:2:0:0` is bus 1,
 *   slot 2, function 0) or `"%d/%d/%d"`, trailing text ignored; `name=value` options after it.
 *
 * @module
 */

import { addressKey, bsfAddress, type PciAddress } from "../address.ts";
import type { Finding } from "../findings.ts";
import type { Entry } from "../vms/types.ts";
import { type CommandLineDevice, commandLineProblems } from "./rules.ts";

/**
 * Who builds the bhyve command line of a VM; `bhyve` is a command line as it ran (a log, a `ps`
 * line: what `explain` reads).
 */
export type Runner = "vm-bhyve" | "Hoster" | "CBSD" | "bhyve-run" | "pptkit" | "bhyve";

/** How a passthru device is written after `passthru,`. */
export type PassthruSpelling = "bsf" | "pci0" | "pci" | "ppt" | "invalid";

/** What a passthru `-s` passes. */
export interface PassthruRef {
  /** The device as bhyve gets it (`1/0/0`, `ppt2`, `pci0:4:0:0`), options not included. */
  readonly device: string;
  readonly spelling: PassthruSpelling;
  /**
   * The host address bhyve reads from it (`pci1:2:0:0` is 1/2/0); null for `pptN` (the host
   * looks the name up), for a device bhyve cannot read, and for numbers out of range.
   */
  readonly address: PciAddress | null;
  /** `name=value` options after the device (`rom=...`). */
  readonly options: readonly string[];
  /** The VM entry it is; null when the config names it in a way pptkit could not read. */
  readonly entry: Entry | null;
}

/** One `-s` of a bhyve command line. */
export interface SlotLine extends CommandLineDevice {
  /** The whole `-s` value as written: `0:6:0,passthru,1/0/0`, `4:0,ahci,hd:/vm/a/disk0.img`. */
  readonly arg: string;
  /** The setting it comes from (`disk0`, `passthru1`, `networks[0]`, `-s`), for messages. */
  readonly from: string;
  /** The config line of that setting, when known. */
  readonly line?: number;
  readonly passthru: PassthruRef | null;
  /** Why bhyve cannot read the slot field, or what of it bhyve ignores; null when neither. */
  readonly problem: string | null;
}

/** A guest's bus as its wrapper builds it. */
export interface GuestLayout {
  readonly runner: Runner;
  /** What the runner is, for the header: `churchers/vm-bhyve and freebsd/vm-bhyve`. */
  readonly detail: string;
  /** Every `-s`, in the order of the command line. */
  readonly lines: readonly SlotLine[];
  /** `-S` is on the command line. */
  readonly wired: boolean;
  /** What the model itself has to say (a NIC vm-bhyve drops, CBSD without wired memory). */
  readonly notes: readonly Finding[];
}

/**
 * sscanf's `%d` conversions joined by `sep` from `at` (each skips blanks, takes a sign and
 * decimal digits): the numbers read, at most `max`, and where the last one ends.
 */
function scanNumbers(
  text: string,
  at: number,
  sep: string,
  max: number,
): { nums: number[]; end: number } {
  const nums: number[] = [];
  let i = at;
  let end = at;
  for (;;) {
    while (text[i] === " " || text[i] === "\t") i++;
    let sign = 1;
    if (text[i] === "-" || text[i] === "+") sign = text[i++] === "-" ? -1 : 1;
    const start = i;
    let n = 0;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) {
      n = n * 10 + text.charCodeAt(i) - 48;
      i++;
    }
    if (i === start) break;
    nums.push(sign * n);
    end = i;
    if (nums.length === max || text[i] !== sep) break;
    i++;
  }
  return { nums, end };
}

/** A `-s` slot field as bhyve reads it (see the module comment). */
export function parseSlotField(field: string): {
  bus: number;
  slot: number;
  function: number;
  readable: boolean;
  problem: string | null;
} {
  const { nums, end } = scanNumbers(field, 0, ":", 3);
  if (nums.length === 0) {
    return {
      bus: 0,
      slot: -1,
      function: 0,
      readable: false,
      problem: `"${field}" is not slot, slot:function or bus:slot:function in decimal`,
    };
  }
  const [bus, slot, fn] = nums.length === 3 ? nums : [0, nums[0], nums.length === 2 ? nums[1] : 0];
  const problem = end === field.length ? null : `bhyve reads "${field}" as ${bus}:${slot}:${fn} ` +
    `and ignores "${field.slice(end)}" (slot fields are decimal slot, slot:function or ` +
    "bus:slot:function)";
  return { bus, slot, function: fn, readable: true, problem };
}

/** The passthru device after `passthru,` as bhyve reads it (see the module comment). */
export function readPassthruDevice(conf: string): Omit<PassthruRef, "entry"> {
  const fields = conf.split(",");
  const device = fields[0];
  const options = fields.slice(1).filter((f) => f !== "");
  const base = { device, options };
  if (device.startsWith("ppt")) return { ...base, spelling: "ppt", address: null };
  const three = (at: number, sep: string) => {
    const { nums } = scanNumbers(conf, at, sep, 3);
    return nums.length === 3 ? bsfAddress(nums[0], nums[1], nums[2]) : undefined;
  };
  const pci0 = conf.startsWith("pci0:") ? three(5, ":") : undefined;
  if (pci0 !== undefined) return { ...base, spelling: "pci0", address: pci0 };
  const pci = conf.startsWith("pci") ? three(3, ":") : undefined;
  if (pci !== undefined) return { ...base, spelling: "pci", address: pci };
  const bsf = three(0, "/");
  if (bsf !== undefined) return { ...base, spelling: "bsf", address: bsf };
  return { ...base, spelling: "invalid", address: null };
}

/** A line with the VM entry its passthru device is (its host address from the entry too). */
export function withEntry(line: SlotLine, entry: Entry | null): SlotLine {
  if (line.passthru === null || entry === null) return line;
  return {
    ...line,
    passthru: { ...line.passthru, entry },
    address: line.passthru.address ?? entry.address,
  };
}

/** A `-s` line from its value (see the module comment). */
export function slotLine(
  arg: string,
  from: string,
  extra: { line?: number; entry?: Entry | null } = {},
): SlotLine {
  const comma = arg.indexOf(",");
  const field = comma < 0 ? arg : arg.slice(0, comma);
  const rest = comma < 0 ? "" : arg.slice(comma + 1);
  const next = rest.indexOf(",");
  const model = next < 0 ? rest : rest.slice(0, next);
  const where = comma < 0
    ? {
      bus: 0,
      slot: -1,
      function: 0,
      readable: false,
      problem: `"${arg}" has no comma: write slot[:function],emulation[,options]`,
    }
    : parseSlotField(field);
  const device = model === "passthru"
    ? readPassthruDevice(next < 0 ? "" : rest.slice(next + 1))
    : null;
  const line: SlotLine = {
    ...where,
    arg,
    text: `-s ${arg}`,
    model,
    from,
    ...(extra.line === undefined ? {} : { line: extra.line }),
    passthru: device === null ? null : { ...device, entry: null },
    ...(device === null || device.address === null ? {} : { address: device.address }),
  };
  return withEntry(line, extra.entry ?? null);
}

/** `0:6:0`: a guest address as the messages write it. */
export function guestAddressText(d: { bus: number; slot: number; function: number }): string {
  return `${d.bus}:${d.slot}:${d.function}`;
}

/** `passthru0 2/0/0`, `fbuf (graphics)`: a line as a message names it. */
export function describeLine(line: SlotLine): string {
  if (line.passthru !== null) {
    // vm-bhyve's passthruN names the line; elsewhere the device says it.
    const named = /^passthru\d+$/.test(line.from) ? `${line.from} ` : "";
    return `${named}${line.passthru.device}`;
  }
  return line.from === line.model || line.from === "-s"
    ? line.model
    : `${line.model} (${line.from})`;
}

/** The passthru lines of a layout. */
export function passthruLines(layout: GuestLayout): SlotLine[] {
  return layout.lines.filter((l) => l.passthru !== null);
}

/**
 * The layout as `plan` shows it: a header naming the runner, then one `-s` a line, passthru
 * lines marked with `*`, each with the setting it comes from.
 */
export function renderLayout(layout: GuestLayout, vm: string): string {
  const head = `${layout.runner} runs VM ${vm} with (${layout.detail}):`;
  const width = Math.max(0, ...layout.lines.map((l) => l.arg.length + 3));
  const rows = layout.lines.map((l) => {
    const arg = `-s ${l.arg}`;
    return `${l.passthru !== null ? "*" : " "} ${arg.padEnd(width)}  ${l.from}`.trimEnd();
  });
  const wired = passthruLines(layout).length > 0
    ? [layout.wired ? "  -S" : "  (no -S: guest memory is not wired)"]
    : [];
  return [head, ...wired, ...rows].join("\n") + "\n";
}

/** Hides secrets a wrapper puts on its command line (`password=` of a VNC framebuffer). */
export function redact(arg: string): string {
  const at = arg.indexOf("password=");
  if (at < 0) return arg;
  const end = arg.indexOf(",", at);
  return arg.slice(0, at) + "password=<secret>" + (end < 0 ? "" : arg.slice(end));
}

/** A guest address on a bus. */
export interface BusSlot {
  readonly bus: number;
  readonly slot: number;
  readonly function: number;
}

/** The guest address the layout gives each entry, by its address key, from its passthru line. */
export function entryAddresses(layout: GuestLayout): Map<string, BusSlot> {
  const out = new Map<string, BusSlot>();
  for (const l of passthruLines(layout)) {
    const entry = l.passthru!.entry;
    if (entry === null) continue;
    const key = addressKey(entry.address);
    if (!out.has(key)) out.set(key, { bus: l.bus, slot: l.slot, function: l.function });
  }
  return out;
}

/** One guest slot of pptkit's plan: its members and the function each must get. */
export interface PlanUnit {
  readonly members: readonly { readonly entry: Entry; readonly function: number }[];
  /** The slot the plan (or the saved slot map) had for it: a preference where a pin is chosen. */
  readonly slot: number;
}

/**
 * True when a layout puts each unit alone in one guest slot with the unit's functions, and the
 * lint finds nothing wrong with a passthru line.
 */
export function placesUnits(layout: GuestLayout, units: readonly PlanUnit[]): boolean {
  const problems = commandLineProblems(layout.lines, layout.wired).filter((p) =>
    "device" in p ? p.device.passthru !== null : p.devices.some((d) => d.passthru !== null)
  );
  if (problems.length > 0) return false;
  const at = entryAddresses(layout);
  const owner = new Map<string, number>();
  for (const [u, unit] of units.entries()) {
    let slotOf: string | null = null;
    for (const m of unit.members) {
      const a = at.get(addressKey(m.entry.address));
      if (a === undefined || a.function !== m.function) return false;
      const key = `${a.bus}:${a.slot}`;
      if (slotOf !== null && key !== slotOf) return false;
      slotOf = key;
    }
    if (slotOf === null) continue;
    if (owner.has(slotOf)) return false;
    owner.set(slotOf, u);
  }
  // No passthru line of another unit (or of no unit) in a unit's slot.
  for (const l of passthruLines(layout)) {
    const u = owner.get(`${l.bus}:${l.slot}`);
    if (u === undefined) continue;
    const entry = l.passthru!.entry;
    if (entry === null || !units[u].members.some((m) => m.entry === entry)) return false;
  }
  return true;
}
