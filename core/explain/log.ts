/**
 * A text read as a whole: every line unwrapped (logline.ts) and matched (match.ts), the bhyve
 * command lines it logs (cmdline.ts; vm-bhyve's options and devices lines joined into one),
 * the boot messages (dmesg.ts), the wrapper that wrote it and, for vm-bhyve, whether bhyve's
 * messages were kept (`[debug mode: ...]`).
 *
 * Pure.
 *
 * @module
 */

import type { PciAddress } from "../address.ts";
import { lines } from "../text.ts";
import { WRAPPER_LOGS } from "./catalogue/logs.ts";
import type { Wrapper } from "./catalogue/schema.ts";
import { commandInLine, hasDevices, type LoggedCommand, parseCommand } from "./cmdline.ts";
import { type Attach, type IommuUnit, readAttach, readIommuUnit, readPptdevs } from "./dmesg.ts";
import { type LogLine, readLine } from "./logline.ts";
import { type Match, matchCarrier, matchMessage } from "./match.ts";

/** Everything read from a text, before it is explained. */
export interface LogFacts {
  readonly lines: readonly LogLine[];
  /** Message matches, in line order. */
  readonly matches: readonly Match[];
  readonly carriers: readonly Match[];
  readonly commands: readonly LoggedCommand[];
  readonly attached: readonly Attach[];
  readonly iommuUnits: readonly IommuUnit[];
  readonly pptdevs: readonly { readonly line: number; readonly devices: readonly PciAddress[] }[];
  readonly wrapper: { readonly name: Wrapper; readonly line: number } | null;
  /** The VM a line names when no command line does (`Starting NAME...`, `jname=NAME`). */
  readonly vm: string | null;
  /** vm-bhyve's `[debug mode: yes|no]`, the last one. */
  readonly debugMode: { readonly value: string; readonly line: number } | null;
}

const WRAPPERS: readonly Wrapper[] = ["vm-bhyve", "cbsd", "wifibox", "iohyve", "hoster"];
/** vm-bhyve logs one command in these lines, one after the other. */
const VM_BHYVE_PARTS = new Set(["vm-bhyve-bhyve-options", "vm-bhyve-bhyve-devices"]);
/** How far apart vm-bhyve's parts of one command may be. */
const PART_GAP = 3;

function isWrapper(origin: string): origin is Wrapper {
  return (WRAPPERS as readonly string[]).includes(origin);
}

/** The wrapper a line's shape hints at. */
function shapeWrapper(line: LogLine): Wrapper | null {
  if (line.shape === "vm-bhyve" || line.shape === "wifibox" || line.shape === "hoster") {
    return line.shape;
  }
  if (line.shape === "syslog" && line.tag === "bhyverun.sh") return "cbsd";
  return null;
}

/** Reads a whole text. */
export function readLog(text: string): LogFacts {
  const all: LogLine[] = [];
  const matches: Match[] = [];
  const carriers: Match[] = [];
  const commands: LoggedCommand[] = [];
  const attached: Attach[] = [];
  const iommuUnits: IommuUnit[] = [];
  const pptdevs: { line: number; devices: PciAddress[] }[] = [];
  const evidence = new Map<Wrapper, { score: number; line: number }>();
  let debugMode: { value: string; line: number } | null = null;
  let vm: string | null = null;
  let parts: { text: string[]; lines: number[] } | null = null;

  const note = (w: Wrapper, line: number, score: number) => {
    const e = evidence.get(w);
    evidence.set(w, { score: (e?.score ?? 0) + score, line: e?.line ?? line });
  };
  const addCommand = (text: string, lineNumbers: number[], source: string) => {
    const same = commands.findIndex((c) => c.text === text.trim() && c.source === source);
    if (same >= 0) {
      commands[same] = { ...commands[same], lines: [...commands[same].lines, ...lineNumbers] };
    } else {
      commands.push(parseCommand(text, lineNumbers, source));
    }
  };
  const flush = () => {
    if (parts !== null) addCommand(parts.text.join(" "), parts.lines, "vm-bhyve-bhyve-devices");
    parts = null;
  };

  for (const [n, raw] of lines(text)) {
    const line = readLine(n, raw);
    all.push(line);
    const hint = shapeWrapper(line);
    if (hint !== null) note(hint, n, 1);
    const carrier = matchCarrier(line);
    if (carrier !== null) carriers.push(carrier);
    const match = matchMessage(line);
    if (parts !== null && n - parts.lines[parts.lines.length - 1] > PART_GAP) flush();
    if (match !== null) {
      matches.push(match);
      if (isWrapper(match.entry.origin)) note(match.entry.origin, n, 2);
      if (match.fields.vm !== undefined && match.fields.vm !== "") vm ??= match.fields.vm;
      if (match.entry.id === "vm-bhyve-debug-mode" && match.fields.option !== undefined) {
        debugMode = { value: match.fields.option, line: n };
      }
      const command = match.fields.command;
      if (match.entry.role === "command-line" && command !== undefined) {
        if (VM_BHYVE_PARTS.has(match.entry.id)) {
          parts ??= { text: [], lines: [] };
          parts.text.push(command);
          parts.lines.push(n);
        } else if (hasDevices(command)) {
          addCommand(command, [n], match.entry.id);
        }
      }
    } else {
      const command = commandInLine(line.message);
      if (command !== null) addCommand(command, [n], "command");
    }
    const attach = readAttach(n, line.message);
    if (attach !== null) attached.push(attach);
    const unit = readIommuUnit(n, line.message);
    if (unit !== null) iommuUnits.push(unit);
    const devices = readPptdevs(line.message);
    if (devices !== null) pptdevs.push({ line: n, devices });
  }
  flush();
  commands.sort((a, b) => a.lines[0] - b.lines[0]);

  let wrapper: { name: Wrapper; line: number } | null = null;
  let best = 0;
  for (const [name, e] of evidence) {
    if (e.score > best) {
      best = e.score;
      wrapper = { name, line: e.line };
    }
  }
  return {
    lines: all,
    matches,
    carriers,
    commands,
    attached,
    iommuUnits,
    pptdevs,
    wrapper,
    vm,
    debugMode,
  };
}

/** The command line a message on `line` belongs to: the last one before it, else the last. */
export function commandFor(log: LogFacts, line: number): number | null {
  if (log.commands.length === 0) return null;
  let found: number | null = null;
  log.commands.forEach((c, i) => {
    if (c.lines[0] < line) found = i;
  });
  return found ?? log.commands.length - 1;
}

/**
 * A wrapper note with the VM's name and directory filled in; without a directory,
 * `{vmdir}/FILE` becomes `FILE in the VM's directory`.
 */
export function fill(
  text: string,
  command: LoggedCommand | null,
  vmName: string | null = null,
): string {
  const vm = command?.vm ?? vmName ?? "VM";
  const dir = command?.vmDir ?? null;
  let out = text;
  if (dir !== null) {
    out = out.replaceAll("{vmdir}", dir);
  } else {
    for (let at = out.indexOf("{vmdir}/"); at >= 0; at = out.indexOf("{vmdir}/")) {
      let end = at + "{vmdir}/".length;
      while (end < out.length && out[end] !== " " && out[end] !== "," && out[end] !== ";") end++;
      out = `${out.slice(0, at)}${out.slice(at + "{vmdir}/".length, end)} in the VM's directory${
        out.slice(end)
      }`;
    }
  }
  return out.replaceAll("{vm}", vm);
}

/** Where this log's wrapper put bhyve's messages, in words for this log. */
export function stderrNote(log: LogFacts): string | null {
  if (log.wrapper === null) return null;
  const command = log.commands.length === 0 ? null : log.commands[log.commands.length - 1];
  const note = WRAPPER_LOGS[log.wrapper.name];
  if (log.wrapper.name === "vm-bhyve" && log.debugMode !== null) {
    const kept = log.debugMode.value === "yes";
    return fill(
      kept
        ? `debug mode: yes (line ${log.debugMode.line}): vm-bhyve wrote bhyve's messages to {vmdir}/bhyve.log`
        : `debug mode: no (line ${log.debugMode.line}): vm-bhyve sent bhyve's messages to /dev/null; ` +
          'with debug="yes" they go to {vmdir}/bhyve.log',
      command,
      log.vm,
    );
  }
  return fill(note.stderr, command, log.vm);
}
