/**
 * The one reader of a bhyve argument list: the guest bus of a plain bhyve command line (what
 * `bhyve-run` was given, what `explain` finds in a log) and of bhyve configuration files
 * (bhyve_config(5), `-k FILE`, `-o path=value`), as bhyve itself reads them (usr.sbin/bhyve
 * bhyverun.c `bhyve_parse_simple_config_file`, amd64 `bhyve_optparse`, pci_emul.c
 * `pci_parse_slot`; each `-s` as core/slots/layout.ts `slotLine` reads it):
 *
 * - getopt reads options up to the first operand (the VM's name) or `--`; a cluster `-AHPSw`
 *   is one flag a letter, and an option's value is the rest of its word or the next word;
 * - options go left to right into one tree: `-s [B:]S[:F],model,...` makes node `pci.B.S.F`,
 *   `-S` is `memory.wired=true`, `-o path=value` sets one variable and `-k FILE` each line of
 *   FILE;
 * - a config file line is skipped when it is empty or starts with `#`; any other line is
 *   `path=value` split at the first `=`, nothing trimmed; the last value of a path wins;
 * - a PCI device is a node `pci.B.S.F` (decimal, no leading zeros: `pci.0.03.0` is a node bhyve
 *   never visits) with a `device`; a passthru node names its host device by `pptdev`, or by all
 *   of `bus`, `slot` and `func`.
 * A `-s` for a node a file or `-o` made before is refused by bhyve ("already occupied"), and so
 * is kept as a second device here for the lint; a file setting keys of a node an earlier `-s`
 * made only adds to that device.
 *
 * Pure: the caller reads the `-k` files.
 *
 * @module
 */

import { addressKey } from "../../address.ts";
import type { Finding } from "../../findings.ts";
import type { Entry } from "../../vms/types.ts";
import { type GuestLayout, type SlotLine, slotLine, withEntry } from "../layout.ts";

/**
 * bhyve(8) options that take an argument in any release (the union of the releases' amd64
 * `getopt` strings, `-g` of the older ones and `-B` of the newer ones included), so that a
 * logged command line of any release is read as its bhyve read it.
 */
const WITH_ARGUMENT = new Set("BcfGgKklmnoprsU".split(""));

/**
 * A bhyve command line without the program, and the `-k` files it names: their text, null for
 * one pptkit could not read (it says so); a file not in the map was not looked for (the
 * command line of a log) and is passed over.
 */
export interface BhyveCommand {
  readonly args: readonly string[];
  readonly files: ReadonlyMap<string, string | null>;
}

/** One option as getopt returns it: a flag (`S`, value null) or an option and its value. */
export interface BhyveOption {
  readonly flag: string;
  readonly value: string | null;
}

/** bhyve's arguments as its getopt reads them: the options in order, and the VM's name. */
export function readBhyveArguments(
  args: readonly string[],
): { options: BhyveOption[]; vm: string | null } {
  const options: BhyveOption[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") return { options, vm: args[i + 1] ?? null };
    // getopt stops at the first operand: the VM's name.
    if (!a.startsWith("-") || a === "-") return { options, vm: a };
    for (let j = 1; j < a.length; j++) {
      const flag = a[j];
      if (!WITH_ARGUMENT.has(flag)) {
        options.push({ flag, value: null });
        continue;
      }
      const value = j + 1 < a.length ? a.slice(j + 1) : args[++i] ?? "";
      options.push({ flag, value });
      break;
    }
  }
  return { options, vm: null };
}

/** The `-k` files of a command line, in order. */
export function configFilesOf(args: readonly string[]): string[] {
  return readBhyveArguments(args).options.filter((o) => o.flag === "k").map((o) => o.value!);
}

/** One `path=value` of a config file, or the problem with its line. */
export interface ConfigLine {
  readonly path: string;
  readonly value: string;
  readonly line: number;
}

/** A bhyve config file's settings in order, and the lines bhyve refuses ("invalid config option"). */
export function readBhyveConfig(text: string): { settings: ConfigLine[]; bad: number[] } {
  const settings: ConfigLine[] = [];
  const bad: number[] = [];
  const all = text.split("\n");
  if (all.length > 0 && all[all.length - 1] === "") all.pop();
  all.forEach((raw, i) => {
    if (raw === "" || raw.startsWith("#")) return;
    const eq = raw.indexOf("=");
    if (eq <= 0 || eq === raw.length - 1) bad.push(i + 1);
    else settings.push({ path: raw.slice(0, eq), value: raw.slice(eq + 1), line: i + 1 });
  });
  return { settings, bad };
}

/** `pci.B.S.F.key` -> node and key, when the components are canonical decimal numbers. */
function pciNode(path: string): { node: string; key: string; canonical: boolean } | null {
  const parts = path.split(".");
  if (parts.length < 5 || parts[0] !== "pci") return null;
  const nums = parts.slice(1, 4);
  const canonical = nums.every((n) => /^(0|[1-9][0-9]*)$/.test(n));
  return { node: nums.join("."), key: parts.slice(4).join("."), canonical };
}

interface Node {
  readonly keys: Map<string, string>;
  readonly from: string;
  readonly line?: number;
  /** An earlier `-s` made it: file keys only add to it. */
  readonly fromSlot: boolean;
}

/** The devices of a config file's or `-o`'s PCI nodes as `-s`-like lines. */
function nodeLines(nodes: ReadonlyMap<string, Node>, entries: readonly Entry[]): SlotLine[] {
  const out: SlotLine[] = [];
  for (const [name, node] of nodes) {
    if (node.fromSlot) continue;
    const [b, s, f] = name.split(".");
    const device = node.keys.get("device") ?? "";
    let arg = `${b}:${s}:${f},${device}`;
    if (device === "passthru") {
      const host = node.keys.get("pptdev") ??
        `${node.keys.get("bus") ?? "?"}/${node.keys.get("slot") ?? "?"}/${
          node.keys.get("func") ?? "?"
        }`;
      arg += `,${host}`;
    }
    out.push(withVmEntry(slotLine(arg, node.from, { line: node.line }), entries));
  }
  return out;
}

/** A passthru line with the VM entry of the host address it names. */
function withVmEntry(line: SlotLine, entries: readonly Entry[]): SlotLine {
  const address = line.passthru?.address ?? null;
  if (address === null) return line;
  const key = addressKey(address);
  return withEntry(line, entries.find((e) => addressKey(e.address) === key) ?? null);
}

/**
 * The guest bus of a bhyve command line (see the module comment). `entries` name the VM's
 * devices, to tell which passthru lines are which.
 */
export function bhyveCommandLayout(
  command: BhyveCommand,
  entries: readonly Entry[] = [],
  runner: GuestLayout["runner"] = "bhyve-run",
): GuestLayout {
  const lines: SlotLine[] = [];
  const notes: Finding[] = [];
  const nodes = new Map<string, Node>();
  let wired = false;
  const setting = (path: string, value: string, from: string, line?: number) => {
    if (path === "memory.wired") wired = /^(true|on|yes|1)$/i.test(value);
    const pci = pciNode(path);
    if (pci === null) return;
    if (!pci.canonical) {
      notes.push({
        level: "warn",
        code: "vm-config",
        message: `bhyve never reads ${path}: PCI node numbers are decimal without leading zeros`,
        ...(line === undefined ? {} : { line }),
      });
      return;
    }
    let node = nodes.get(pci.node);
    if (node === undefined) {
      nodes.set(pci.node, node = { keys: new Map(), from, line, fromSlot: false });
    }
    node.keys.set(pci.key, value);
  };
  for (const o of readBhyveArguments(command.args).options) {
    if (o.flag === "S") wired = true;
    else if (o.flag === "s") {
      const line = withVmEntry(slotLine(o.value!, "-s"), entries);
      lines.push(line);
      const name = `${line.bus}.${line.slot}.${line.function}`;
      if (line.readable && !nodes.has(name)) {
        nodes.set(name, { keys: new Map(), from: "-s", fromSlot: true });
      }
    } else if (o.flag === "o") {
      const eq = o.value!.indexOf("=");
      if (eq > 0) setting(o.value!.slice(0, eq), o.value!.slice(eq + 1), "-o");
    } else if (o.flag === "k") {
      const file = o.value!;
      if (!command.files.has(file)) continue;
      const text = command.files.get(file) ?? null;
      if (text === null) {
        notes.push({
          level: "warn",
          code: "vm-config",
          message: `cannot read the bhyve configuration file ${file}: its devices are not ` +
            "part of the plan",
          fix: "make it readable to pptkit (PPTKIT_ALLOW_READ), or give the devices as -s",
        });
        continue;
      }
      const read = readBhyveConfig(text);
      for (const bad of read.bad) {
        notes.push({
          level: "error",
          code: "vm-config",
          message: `bhyve cannot read line ${bad} of ${file} ("invalid config option"): ` +
            "expected path=value",
        });
      }
      for (const s of read.settings) setting(s.path, s.value, `-k ${file}`, s.line);
    }
  }
  lines.push(...nodeLines(nodes, entries));
  return { runner, detail: "bhyve command line", lines, wired, notes };
}

/** The guest bus of a bhyve configuration file alone (`pptkit plan --format bhyve-config`). */
export function bhyveConfigLayout(text: string, entries: readonly Entry[] = []): GuestLayout {
  return bhyveCommandLayout(
    { args: ["-k", "config"], files: new Map([["config", text]]) },
    entries,
    "pptkit",
  );
}
