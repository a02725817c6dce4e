/**
 * bhyve command lines found in a log: the ones wrappers log (vm-bhyve's `[bhyve options: ...]`
 * and `[bhyve devices: ...]`, CBSD's `cmd:` and `[debug]`, wifibox's `Arguments:`, Hoster's
 * `BHYVE START CMD:`), and any other line that runs bhyve with `-s` devices (a `ps` line of
 * the shell or lockf that started it, a pasted command). What is explain's own is finding them
 * in log text; the arguments are read by the one reader of core/slots/wrappers/bhyve.ts, the
 * way bhyve reads them.
 *
 * Pure: text in, parsed command lines out.
 *
 * @module
 */

import { type GuestLayout, type SlotLine } from "../slots/layout.ts";
import { bhyveCommandLayout, readBhyveArguments } from "../slots/wrappers/bhyve.ts";

/** A bhyve command line found in a log, read by the one reader of core/slots/wrappers/bhyve.ts. */
export interface LoggedCommand {
  /** The lines it was read from (vm-bhyve logs one command in two or three lines). */
  readonly lines: readonly number[];
  /** The catalogue entry that logged it, or `command` for a line that runs bhyve. */
  readonly source: string;
  /** The arguments as logged. */
  readonly text: string;
  /** Its guest bus: every `-s` (and `-o pci.*` device), `-S` or `-o memory.wired=true`. */
  readonly layout: GuestLayout;
  /** `-S`, or `-o memory.wired=true`. */
  readonly wired: boolean;
  /** One-letter flags given (`A`, `H`, `P`, `S`, `u`, `w`, ...). */
  readonly flags: readonly string[];
  /** Options with arguments, by letter (`c`, `m`, `l`, `o`, `U`, `s`). */
  readonly options: ReadonlyMap<string, readonly string[]>;
  /** The passthru lines of the layout. */
  readonly passthru: readonly SlotLine[];
  /** The VM's name: bhyve's last argument, or what a wrapper's paths say. */
  readonly vm: string | null;
  /** The VM's directory, when its disk paths say it (vm-bhyve: `$vm_dir/NAME`). */
  readonly vmDir: string | null;
}

/** Is this token the bhyve program? */
function isProgram(token: string): boolean {
  return token === "bhyve" || token.endsWith("/bhyve");
}

function tokens(text: string): string[] {
  return text.split(/\s+/).filter((t) => t !== "");
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
function vmDirectory(vm: string | null, lines: readonly SlotLine[]): string | null {
  if (vm === null) return null;
  for (const s of lines) {
    for (const field of s.arg.split(",")) {
      const at = field.indexOf(`/${vm}/`);
      if (field.startsWith("/") && at >= 0) return field.slice(0, at + vm.length + 1);
    }
  }
  return null;
}

/**
 * Reads a command line as logged: with or without the program (and whatever runs it: `env`,
 * `nice`, `sh -c`), with or without the VM's name. Its `-k` files are not read: they are on the
 * host that logged it, at that time.
 */
export function parseCommand(
  text: string,
  lines: readonly number[],
  source: string,
): LoggedCommand {
  let args = tokens(text);
  const program = args.findIndex(isProgram);
  if (program >= 0) args = args.slice(program + 1);
  const read = readBhyveArguments(args);
  const flags: string[] = [];
  const options = new Map<string, string[]>();
  for (const o of read.options) {
    if (o.value === null) flags.push(o.flag);
    else options.set(o.flag, [...(options.get(o.flag) ?? []), o.value]);
  }
  const layout = bhyveCommandLayout({ args, files: new Map() }, [], "bhyve");
  const name = read.vm ?? consoleVm(options);
  return {
    lines,
    source,
    text: text.trim(),
    layout,
    wired: layout.wired,
    flags,
    options,
    passthru: layout.lines.filter((l) => l.passthru !== null),
    vm: name,
    vmDir: vmDirectory(name, layout.lines),
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
