/**
 * Which VMs run on a host, and which processes stand for them.
 *
 * A VM runs when the kernel says so (`/dev/vmm/NAME`, from `bhyvectl --create` or bhyve's start
 * until the VM is destroyed) or when a root-owned process whose executable is bhyve names it.
 * Under the launcher deno may read nothing under /dev, so on a live host the answer comes from
 * ps alone:
 *
 *     ps -x -U 0 -ww -o pid,ppid,uid,etimes,comm,args
 *
 * - `-x -U 0`: only processes whose real user is root (without a terminal too). Another user's
 *   processes never reach pptkit, so nothing they name themselves (a title set with `exec -a`, an
 *   executable called `bhyve`, a file name with a newline in it, which ps prints unescaped in
 *   `comm`) can look like a VM; `uid` (the effective user) must be 0 as well.
 * - `comm` is the kernel's p_comm, the name of the file that was executed: `exec -a` cannot set
 *   it. Only `bhyve` counts. Its VM is the process title bhyve sets (`bhyve: NAME`, which ps
 *   prints as `bhyve: NAME (bhyve)`), or before that the last argument of its command line.
 * - `ppid`, `etimes` (seconds since the process started): a lock names the wrapper process that
 *   ran its hook (the holder, core/ownership/locks.ts); pptkit checks that this pid is a root
 *   process that has been running since before the lock was taken, so a reused pid does not
 *   keep a lock alive.
 *
 * Older snapshots hold `ps -axww -o pid,command` (header `PID COMMAND`). They are read as before
 * (a `bhyve: NAME` title counts): a snapshot is its maker's record of a host, as trusted as its
 * pciconf.txt, and a live host never produces that format. They show no owners and no ages, so
 * with them holders cannot be checked and locks fall back to `--stale-after`.
 *
 * @module
 */

import { PptkitError } from "../errors.ts";
import type { Host } from "../host/host.ts";
import { lines } from "../text.ts";

/** One root process of a full ps capture. */
export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Effective user id. */
  readonly uid: number;
  /** Seconds since it started; null when ps could not tell. */
  readonly elapsed: number | null;
  /** The executable's name (p_comm). */
  readonly comm: string;
  /** Its command line, as ps shows it (control characters escaped by ps). */
  readonly args: string;
}

/** The VMs that run on a host, from `ps` and `/dev/vmm`. */
export interface RunningVms {
  /** Names with a bhyve process or a `/dev/vmm/NAME` entry. */
  readonly names: ReadonlySet<string>;
  /** The bhyve process of each VM that has one. */
  readonly pids: ReadonlyMap<string, number>;
  /** Names in `/dev/vmm`. */
  readonly inKernel: ReadonlySet<string>;
  /** False when neither `ps` nor `/dev/vmm` could be read: then nothing is known. */
  readonly known: boolean;
  /**
   * The root processes by pid, from a capture that shows owners and ages; null when there is no
   * ps capture or it is an older `pid,command` one: then no process can be checked.
   */
  readonly processes: ReadonlyMap<number, ProcessInfo> | null;
}

const BHYVE_TITLE = "bhyve: ";
const BHYVE_SUFFIX = " (bhyve)";
/** The executable that makes a root process a running VM. */
const BHYVE_COMM = "bhyve";

/** What a ps capture says. */
export interface PsCapture {
  /** VM name -> pid of its bhyve. */
  readonly bhyve: Map<string, number>;
  /** Root processes by pid; null for an older `pid,command` capture. */
  readonly processes: Map<number, ProcessInfo> | null;
}

/** A whole decimal number of at most 10 digits; null otherwise. */
function whole(word: string | undefined): number | null {
  if (word === undefined || word.length === 0 || word.length > 10) return null;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(word);
}

/** The blank-separated words of a line and where each starts. */
function words(line: string): { word: string; at: number }[] {
  const out: { word: string; at: number }[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && (line[i] === " " || line[i] === "\t")) i++;
    const start = i;
    while (i < line.length && line[i] !== " " && line[i] !== "\t") i++;
    if (i > start) out.push({ word: line.slice(start, i), at: start });
  }
  return out;
}

/** The VM a bhyve command line names: its title, else its last argument; null when none. */
export function bhyveVmName(args: string): string | null {
  let text = args.trim();
  if (text.startsWith(BHYVE_TITLE)) {
    text = text.slice(BHYVE_TITLE.length);
    if (text.endsWith(BHYVE_SUFFIX)) text = text.slice(0, -BHYVE_SUFFIX.length);
    text = text.trim();
    return text.length > 0 && !/\s/.test(text) ? text : null;
  }
  const all = words(text);
  const last = all[all.length - 1]?.word;
  return all.length > 1 && last !== undefined && !last.startsWith("-") ? last : null;
}

/** True for the header of the full capture (`PID PPID UID ELAPSED COMMAND COMMAND`). */
function isFullHeader(ws: { word: string }[]): boolean {
  const names = ws.map((w) => w.word);
  return names[0] === "PID" && names.includes("PPID") && names.includes("UID") &&
    names.includes("ELAPSED");
}

/**
 * Reads a ps capture of either format (see the module comment). In the full one only root
 * processes whose executable is bhyve are VMs; in an older one every `bhyve: NAME` title is.
 */
export function parsePs(text: string): PsCapture {
  const bhyve = new Map<string, number>();
  let processes: Map<number, ProcessInfo> | null = null;
  let header = true;
  for (const [, line] of lines(text)) {
    const ws = words(line);
    if (ws.length === 0) continue;
    if (header) {
      header = false;
      if (isFullHeader(ws)) {
        processes = new Map();
        continue;
      }
    }
    if (processes !== null) {
      const [pid, ppid, uid, elapsed] = ws.slice(0, 4).map((w) => whole(w.word));
      if (ws.length < 5 || pid === null || ppid === null || uid === null) continue;
      if (uid !== 0 || processes.has(pid)) continue;
      const comm = ws[4].word;
      const args = ws.length > 5 ? line.slice(ws[5].at).trimEnd() : "";
      processes.set(pid, { pid, ppid, uid, elapsed, comm, args });
      if (comm !== BHYVE_COMM) continue;
      const name = bhyveVmName(args);
      if (name !== null && !bhyve.has(name)) bhyve.set(name, pid);
      continue;
    }
    // pid,command: `4242 bhyve: vm1 (bhyve)`.
    const pid = whole(ws[0].word);
    if (pid === null || ws.length < 2 || !line.startsWith(BHYVE_TITLE, ws[1].at)) continue;
    const name = bhyveVmName(line.slice(ws[1].at));
    if (name !== null && !bhyve.has(name)) bhyve.set(name, pid);
  }
  return { bhyve, processes };
}

/** The VM name -> bhyve pid of a ps capture (see {@linkcode parsePs}). */
export function parsePsBhyve(text: string): Map<string, number> {
  return parsePs(text).bhyve;
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
  const capture = ps === null ? { bhyve: new Map<string, number>(), processes: null } : parsePs(ps);
  const inKernel = new Set(vmm === null ? [] : parseVmmList(vmm));
  return {
    names: new Set([...capture.bhyve.keys(), ...inKernel]),
    pids: capture.bhyve,
    inKernel,
    known: ps !== null || vmm !== null,
    processes: capture.processes,
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
