/**
 * bhyve command lines found in a log: the ones wrappers log (vm-bhyve's `[bhyve options: ...]`
 * and `[bhyve devices: ...]`, CBSD's `cmd:` and `[debug]`, wifibox's `Arguments:`, Hoster's
 * `BHYVE START CMD:`), and any other line that runs bhyve with `-s` devices (a `ps` line of
 * the shell or lockf that started it, a pasted command). Read the way bhyve's getopt reads
 * them (usr.sbin/bhyve/bhyverun.c, pci_emul.c `pci_parse_slot`, pci_passthru.c
 * `passthru_legacy_config`).
 *
 * Pure: text in, parsed command lines out.
 *
 * @module
 */

import { bsfAddress, type PciAddress } from "../address.ts";

/** bhyve options that take an argument (bhyve(8)); the others are flags. */
const WITH_ARGUMENT = "BcfGgKklmnoprsU";

/** How a passthru device is written in `-s ...,passthru,DEVICE`. */
export type PassthruSpelling = "bsf" | "pci0" | "pci" | "ppt" | "invalid";

/** One `-s` device. */
export interface SlotSpec {
  /** The argument as written (`6:0,passthru,1/0/0`). */
  readonly text: string;
  /** Guest bus, slot, function; null when the slot field cannot be read. */
  readonly bus: number | null;
  readonly slot: number | null;
  readonly function: number | null;
  /** Why bhyve cannot read the slot field (`Invalid PCI slot info field`), or null. */
  readonly problem: string | null;
  readonly emulation: string;
  /** What follows the emulation's comma. */
  readonly conf: string;
}

/** A passthru device of a command line. */
export interface PassthruDevice {
  readonly spec: SlotSpec;
  /** The device as written (`1/0/0`, `pci0:1:0:0`, `ppt0`). */
  readonly device: string;
  readonly spelling: PassthruSpelling;
  /** The host address bhyve reads from it (pciD:B:S:F is read as bus D, slot B, function S). */
  readonly address: PciAddress | null;
  /** The ppt name for `pptN`. */
  readonly name: string | null;
  /** `name=value` options after the device (`rom=...`). */
  readonly options: readonly string[];
}

/** A bhyve command line. */
export interface BhyveCommand {
  /** The lines it was read from (vm-bhyve logs one command in two or three lines). */
  readonly lines: readonly number[];
  /** The catalogue entry that logged it, or `command` for a line that runs bhyve. */
  readonly source: string;
  /** The arguments as logged. */
  readonly text: string;
  /** `-S`, or `-o memory.wired=true`. */
  readonly wired: boolean;
  /** One-letter flags given (`A`, `H`, `P`, `S`, `u`, `w`, ...). */
  readonly flags: readonly string[];
  /** Options with arguments, by letter (`c`, `m`, `l`, `o`, `U`, `s`). */
  readonly options: ReadonlyMap<string, readonly string[]>;
  readonly slots: readonly SlotSpec[];
  readonly passthru: readonly PassthruDevice[];
  /** The VM's name: bhyve's last argument, or what a wrapper's paths say. */
  readonly vm: string | null;
  /** The VM's directory, when its disk paths say it (vm-bhyve: `$vm_dir/NAME`). */
  readonly vmDir: string | null;
}

function isDigits(text: string): boolean {
  return text.length > 0 && [...text].every((c) => c >= "0" && c <= "9");
}

/** Reads a `-s` argument as pci_parse_slot does. */
export function parseSlot(text: string): SlotSpec {
  const comma = text.indexOf(",");
  const head = comma < 0 ? text : text.slice(0, comma);
  const after = comma < 0 ? "" : text.slice(comma + 1);
  const next = after.indexOf(",");
  const emulation = next < 0 ? after : after.slice(0, next);
  const conf = next < 0 ? "" : after.slice(next + 1);
  const nums = head.split(":");
  const base = { text, emulation, conf };
  if (comma < 0) {
    return {
      ...base,
      bus: null,
      slot: null,
      function: null,
      problem: `"${text}" has no comma: write slot[:function],emulation[,options]`,
    };
  }
  if (nums.length > 3 || !nums.every(isDigits)) {
    return {
      ...base,
      bus: null,
      slot: null,
      function: null,
      problem: `"${head}" is not slot, slot:function or bus:slot:function in decimal`,
    };
  }
  const [bus, slot, fn] = nums.length === 3
    ? nums.map(Number)
    : [0, Number(nums[0]), nums.length === 2 ? Number(nums[1]) : 0];
  return { ...base, bus, slot, function: fn, problem: null };
}

/** `pciN:...` numbers after "pci", or null. */
function colonNumbers(text: string): number[] | null {
  const parts = text.split(":");
  return parts.every(isDigits) ? parts.map(Number) : null;
}

/** Reads the device of a passthru `-s` as passthru_legacy_config does. */
export function parsePassthru(spec: SlotSpec): PassthruDevice {
  const fields = spec.conf.split(",");
  const device = fields[0] ?? "";
  const options = fields.slice(1).filter((f) => f !== "");
  const base = { spec, device, options };
  if (device.startsWith("ppt")) {
    return { ...base, spelling: "ppt", address: null, name: device };
  }
  if (device.startsWith("pci")) {
    const nums = colonNumbers(device.slice(3));
    // sscanf "pci0:%d:%d:%d", then "pci%d:%d:%d": four numbers after a non-zero domain read
    // as bus, slot, function of the first three.
    if (nums !== null && nums.length >= 3) {
      const pci0 = device.startsWith("pci0:") && nums.length >= 4;
      const [b, s, f] = pci0 ? nums.slice(1, 4) : nums.slice(0, 3);
      return {
        ...base,
        spelling: pci0 ? "pci0" : "pci",
        address: bsfAddress(b, s, f),
        name: null,
      };
    }
  }
  const slash = device.split("/");
  if (slash.length >= 3 && slash.slice(0, 3).every(isDigits)) {
    const [b, s, f] = slash.slice(0, 3).map(Number);
    return { ...base, spelling: "bsf", address: bsfAddress(b, s, f), name: null };
  }
  return { ...base, spelling: "invalid", address: null, name: null };
}

/** Is this token the bhyve program? */
function isProgram(token: string): boolean {
  return token === "bhyve" || token.endsWith("/bhyve");
}

function tokens(text: string): string[] {
  return text.split(/\s+/).filter((t) => t !== "");
}

/** Parses bhyve's arguments (no program name) as getopt does. */
function parseArguments(args: readonly string[]) {
  const flags: string[] = [];
  const options = new Map<string, string[]>();
  let vm: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const t = args[i];
    if (!t.startsWith("-") || t === "-") {
      vm = t; // getopt stops at the first operand: the VM's name
      break;
    }
    if (t === "--") {
      vm = args[i + 1] ?? null;
      break;
    }
    for (let k = 1; k < t.length; k++) {
      const letter = t[k];
      if (WITH_ARGUMENT.includes(letter)) {
        const value = k + 1 < t.length ? t.slice(k + 1) : args[++i] ?? "";
        options.set(letter, [...(options.get(letter) ?? []), value]);
        break;
      }
      flags.push(letter);
    }
  }
  return { flags, options, vm };
}

/** The VM name a vm-bhyve console path gives (`-l com1,/dev/nmdm-NAME.1A`). */
function consoleVm(options: ReadonlyMap<string, readonly string[]>): string | null {
  let vm: string | null = null;
  for (const l of options.get("l") ?? []) {
    const at = l.indexOf("/dev/nmdm-");
    if (at < 0) continue;
    const name = l.slice(at + "/dev/nmdm-".length);
    const dot = name.lastIndexOf(".");
    vm = dot > 0 ? name.slice(0, dot) : name;
  }
  return vm;
}

/** The VM's directory, from a device path `DIR/NAME/...` (a disk image, say). */
function vmDirectory(vm: string | null, slots: readonly SlotSpec[]): string | null {
  if (vm === null) return null;
  for (const s of slots) {
    for (const field of s.conf.split(",")) {
      const at = field.indexOf(`/${vm}/`);
      if (field.startsWith("/") && at >= 0) return field.slice(0, at + vm.length + 1);
    }
  }
  return null;
}

/**
 * Parses a command line as logged: with or without the program (and whatever runs it: `env`,
 * `nice`, `sh -c`), with or without the VM's name.
 */
export function parseCommand(text: string, lines: readonly number[], source: string): BhyveCommand {
  let args = tokens(text);
  const program = args.findIndex(isProgram);
  if (program >= 0) args = args.slice(program + 1);
  const { flags, options, vm } = parseArguments(args);
  const slots = (options.get("s") ?? []).map(parseSlot);
  const passthru = slots.filter((s) => s.emulation === "passthru").map(parsePassthru);
  const wired = flags.includes("S") ||
    (options.get("o") ?? []).some((o) => o === "memory.wired=true");
  const name = vm ?? consoleVm(options);
  return {
    lines,
    source,
    text: text.trim(),
    wired,
    flags,
    options,
    slots,
    passthru,
    vm: name,
    vmDir: vmDirectory(name, slots),
  };
}

/**
 * A line that runs bhyve with devices, not logged by a known wrapper line: the text from the
 * program on, or null.
 */
export function commandInLine(text: string): string | null {
  const t = tokens(text);
  const program = t.findIndex(isProgram);
  if (program < 0) return null;
  const rest = t.slice(program + 1);
  const s = rest.indexOf("-s");
  if (s < 0 || rest[s + 1] === undefined || rest[s + 1] === "help") return null;
  return t.slice(program).join(" ");
}

/** True for a logged argument list that is bhyve's (it has `-s` devices), not a loader's. */
export function hasDevices(text: string): boolean {
  return tokens(text).some((t) => t.startsWith("-s"));
}
