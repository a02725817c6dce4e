/**
 * A guest's whole PCI bus as a wrapper will build it: the `-s` arguments of the bhyve command
 * line, in the wrapper's order, each with the config setting it comes from. The wrapper models
 * (core/slots/wrappers/) predict one from a VM's config; the verdict engine lints it with the
 * rules of core/slots/rules.ts and words the problems here; `plan` prints it.
 *
 * A slot field is read the way bhyve's `pci_parse_slot` (usr.sbin/bhyve/pci_emul.c) reads it:
 * `sscanf("%d:%d:%d")`, else `"%d:%d"` (bus 0), else `"%d"` (bus 0, function 0). sscanf reads a
 * prefix, so vm-bhyve's `0::0` (an empty `start_slot`) is slot 0, function 0, and `0:6` (a pin
 * without function) is slot 0, function 6.
 *
 * @module
 */

import { addressKey, formatSelector } from "../address.ts";
import type { Finding, FindingCode } from "../findings.ts";
import { joinAnd } from "../text.ts";
import type { Entry } from "../vms/types.ts";
import {
  type CommandLineDevice,
  type CommandLineProblem,
  commandLineProblems,
  HOSTBRIDGE_SLOT,
  LPC_SLOT,
} from "./rules.ts";

/** Who builds the bhyve command line of a VM. */
export type Runner = "vm-bhyve" | "Hoster" | "CBSD" | "bhyve-run" | "pptkit";

/** What a passthru `-s` passes. */
export interface PassthruRef {
  /** The device as bhyve gets it (`1/0/0`, `ppt2`, `pci0:4:0:0`), options not included. */
  readonly device: string;
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

/** A `-s` slot field as bhyve reads it; `readable` false when not even the slot is a number. */
export function parseSlotField(
  field: string,
): { bus: number; slot: number; function: number; readable: boolean } {
  const nums: number[] = [];
  let i = 0;
  for (;;) {
    // %d: optional blanks, optional sign, digits.
    while (field[i] === " " || field[i] === "\t") i++;
    let sign = 1;
    if (field[i] === "-" || field[i] === "+") sign = field[i++] === "-" ? -1 : 1;
    const start = i;
    let n = 0;
    while (i < field.length && field.charCodeAt(i) >= 48 && field.charCodeAt(i) <= 57) {
      n = n * 10 + field.charCodeAt(i) - 48;
      i++;
    }
    if (i === start) break;
    nums.push(sign * n);
    if (nums.length === 3 || field[i] !== ":") break;
    i++;
  }
  if (nums.length === 3) return { bus: nums[0], slot: nums[1], function: nums[2], readable: true };
  if (nums.length === 2) return { bus: 0, slot: nums[0], function: nums[1], readable: true };
  if (nums.length === 1) return { bus: 0, slot: nums[0], function: 0, readable: true };
  return { bus: 0, slot: -1, function: 0, readable: false };
}

/** A `-s` line from its value; the passthru device is the text after `passthru,`. */
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
  const where = parseSlotField(field);
  const passthru = model === "passthru"
    ? { device: next < 0 ? "" : rest.slice(next + 1).split(",")[0], entry: extra.entry ?? null }
    : null;
  return {
    ...where,
    arg,
    model,
    from,
    ...(extra.line === undefined ? {} : { line: extra.line }),
    passthru,
  };
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

/** Where a finding about a line points: the device of a passthru line, the config line. */
function place(line: SlotLine, file: string | null): Partial<Finding> {
  const address = line.passthru?.entry?.address;
  return {
    ...(address === undefined ? {} : { device: formatSelector(address) }),
    ...(file === null || line.line === undefined ? {} : { file, line: line.line }),
  };
}

/** The line a problem about several lines is filed under: a passthru one when there is one. */
function lead(lines: readonly SlotLine[]): SlotLine {
  return lines.find((l) => l.passthru?.entry) ?? lines.find((l) => l.passthru) ?? lines[0];
}

/** What the lint says about one VM's command line. */
export interface LintSubject {
  readonly vm: string;
  readonly file: string | null;
  /** How to fix the layout (a `pptkit plan` command line), when pptkit can propose one. */
  readonly fix: string | undefined;
}

function problemFinding(
  p: CommandLineProblem<SlotLine>,
  layout: GuestLayout,
  subject: LintSubject,
): Finding {
  const runner = layout.runner;
  // pptkit's change to the passthru lines fixes only what a passthru line is part of.
  const ours = "device" in p ? p.device.passthru !== null : p.devices.some((d) => d.passthru);
  const fix = subject.fix === undefined || !ours ? {} : { fix: subject.fix };
  const error = (code: FindingCode, message: string, at: SlotLine, own?: string): Finding => ({
    level: "error",
    code,
    message,
    ...(own === undefined ? fix : { fix: own }),
    ...place(at, subject.file),
  });
  switch (p.kind) {
    case "slot-field":
      return error(
        "guest-slot-syntax",
        `${runner} passes -s ${redact(p.device.arg)}, whose slot bhyve cannot read ` +
          '("Invalid PCI slot info field")',
        p.device,
      );
    case "function-range": {
      const d = p.device;
      return error(
        "guest-function-range",
        `${runner} would give ${describeLine(d)} guest function ${d.function} ` +
          `(${guestAddressText(d)}), but bhyve guest functions are 0-7`,
        d,
      );
    }
    case "slot-range": {
      const d = p.device;
      return error(
        "guest-slot-range",
        `${runner} would put ${describeLine(d)} at ${guestAddressText(d)}, but bhyve guest ` +
          "slots are 0-31 on buses 0-255",
        d,
      );
    }
    case "collision": {
      const [a, ...rest] = p.devices;
      const at = guestAddressText(a);
      return error(
        "slot-collision",
        `${runner} puts ${joinAnd([a, ...rest].map(describeLine))} all at ${at}: bhyve ` +
          `refuses the second ("pci slot ${at} already occupied!")`,
        lead(p.devices),
      );
    }
    case "no-function0": {
      const list = p.devices;
      const at = `${p.bus}:${p.slot}`;
      const ours = list.filter((l) => l.passthru !== null);
      const message = ours.length === list.length
        ? `${subject.vm} passes ${
          joinAnd(ours.map((l) => l.passthru!.device))
        } without function 0 of that device: ${runner} puts ${
          ours.length > 1 ? "them" : "it"
        } at ${at}:${list.map((l) => l.function).join(",")} and nothing at ${at}:0, so the ` +
          "guest will not see the slot"
        : `${runner} puts ${joinAnd(list.map(describeLine))} at ${at} with nothing at ` +
          `function 0: the guest will not see the slot`;
      return error("missing-function0", message, lead(list));
    }
    case "reserved": {
      const d = p.device;
      const whose = d.model === "lpc"
        ? "but the LPC bridge works only on bus 0"
        : d.slot === HOSTBRIDGE_SLOT
        ? "the host bridge's slot"
        : `the LPC bridge's slot ${LPC_SLOT}`;
      return error(
        "slot-reserved",
        `${runner} puts ${describeLine(d)} at ${guestAddressText(d)}, ${whose}`,
        d,
      );
    }
    case "not-wired":
      return error(
        "not-wired",
        `${runner} runs ${subject.vm} without -S: bhyve refuses passthru ` +
          '("passthru requires guest memory to be wired")',
        lead(p.devices),
        "add -S to the bhyve command line",
      );
  }
}

/** The lint of a whole command line as findings (see core/slots/rules.ts). */
export function layoutLint(layout: GuestLayout, subject: LintSubject): Finding[] {
  return commandLineProblems(layout.lines, layout.wired).map((p) =>
    problemFinding(p, layout, subject)
  );
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
