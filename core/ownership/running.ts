/**
 * Which VMs run on a host: `ps -axww -o pid,command` (bhyve titles itself `bhyve: NAME`) and
 * `ls /dev/vmm` (a VM exists in the kernel from `bhyvectl --create` or bhyve's start until it
 * is destroyed, even between a guest reboot and the next bhyve).
 *
 * @module
 */

import { PptkitError } from "../errors.ts";
import type { Host } from "../host/host.ts";
import { lines } from "../text.ts";

/** The VMs that run on a host, from `ps` and `/dev/vmm`. */
export interface RunningVms {
  /** Names with a `bhyve: NAME` process or a `/dev/vmm/NAME` entry. */
  readonly names: ReadonlySet<string>;
  /** The bhyve process of each VM that has one. */
  readonly pids: ReadonlyMap<string, number>;
  /** Names in `/dev/vmm`. */
  readonly inKernel: ReadonlySet<string>;
  /** False when neither `ps` nor `/dev/vmm` could be read: then nothing is known. */
  readonly known: boolean;
}

const BHYVE_TITLE = "bhyve: ";
const BHYVE_SUFFIX = " (bhyve)";

function isDigitCode(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * `ps -axww -o pid,command` -> VM name -> pid of its bhyve. bhyve sets its process title to the
 * VM name with setproctitle(3), which ps shows as `bhyve: NAME (bhyve)`; the header line and
 * every other process are skipped.
 */
export function parsePsBhyve(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [, line] of lines(text)) {
    let i = 0;
    while (i < line.length && line[i] === " ") i++;
    const start = i;
    while (i < line.length && isDigitCode(line.charCodeAt(i))) i++;
    if (i === start || i >= line.length || (line[i] !== " " && line[i] !== "\t")) continue;
    const pid = Number(line.slice(start, i));
    while (i < line.length && (line[i] === " " || line[i] === "\t")) i++;
    if (!line.startsWith(BHYVE_TITLE, i)) continue;
    let name = line.slice(i + BHYVE_TITLE.length).trimEnd();
    if (name.endsWith(BHYVE_SUFFIX)) name = name.slice(0, -BHYVE_SUFFIX.length).trimEnd();
    if (name.length > 0 && !out.has(name)) out.set(name, pid);
  }
  return out;
}

/** `ls /dev/vmm` -> VM names (one per line; blanks between names are tolerated). */
export function parseVmmList(text: string): string[] {
  const out: string[] = [];
  for (const [, line] of lines(text)) {
    for (const word of line.split(/\s+/)) if (word !== "") out.push(word);
  }
  return out;
}

/** Joins the two captures; a null capture is unknown. */
export function runningVmsFrom(ps: string | null, vmm: string | null): RunningVms {
  const pids = ps === null ? new Map<string, number>() : parsePsBhyve(ps);
  const inKernel = new Set(vmm === null ? [] : parseVmmList(vmm));
  return {
    names: new Set([...pids.keys(), ...inKernel]),
    pids,
    inKernel,
    known: ps !== null || vmm !== null,
  };
}

/** A capture that cannot be read (a sandbox that refuses /dev/vmm, say) is unknown. */
async function captureOrNull(host: Pick<Host, "capture">, name: "ps" | "vmm") {
  try {
    return await host.capture(name);
  } catch (e) {
    if (e instanceof PptkitError) return null;
    throw e;
  }
}

/** Reads the running VMs of a host. */
export async function readRunningVms(host: Pick<Host, "capture">): Promise<RunningVms> {
  const [ps, vmm] = await Promise.all([captureOrNull(host, "ps"), captureOrNull(host, "vmm")]);
  return runningVmsFrom(ps, vmm);
}
