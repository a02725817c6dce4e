/**
 * Device ownership (DESIGN §12): which VM holds which passthrough device right now, and the
 * checks a VM must pass before it starts.
 *
 * - Ownership is one lock file per device in the run dir (default `/var/run/pptkit/`), named by
 *   the canonical device key (`0:1:0:0.lock`) and created with O_EXCL, holding as JSON the VM
 *   name, the pid of the hook and of its caller, the time, and the holder: the wrapper process
 *   that stands for the VM while it starts and between its boots (`hook --holder PID`, by
 *   default the hook's caller; each shim in hooks/ says which process it names).
 * - A lock follows its VM (which VMs run, and which processes: core/ownership/running.ts).
 *   Another VM's lock is
 *   - held while that VM runs: a root bhyve process names it, or /dev/vmm/NAME exists;
 *   - held while its holder runs: the VM is starting (prestart ran, bhyve did not start yet)
 *     or rebooting (bhyve exited and the wrapper starts the next one: vm-bhyve's `vm _run`
 *     loop runs prestart again, CBSD's bhyverun.sh loop and bmd do not). The holder counts
 *     when ps shows a root process with its pid that has been running since the lock named
 *     it, so a reused pid does not;
 *   - free at once otherwise: the VM stopped (vm-bhyve has no poststop hook) or never started;
 *   - where pptkit cannot see the processes (no ps, or an older snapshot's `pid,command`
 *     ps.txt) and its VM is in neither ps nor /dev/vmm: held while younger than
 *     `staleAfterMs`, then stale; held for good when neither ps nor /dev/vmm can be read.
 *   A lock dated in the future (the clock was set back) is free, with a warning about the
 *   clock. A file that is empty or not a pptkit lock (a prestart killed between creating and
 *   writing it) is free when pptkit can see which VMs run, else once older than `staleAfterMs`.
 * - The same VM's prestart (a guest reboot, or a second shim of the same wrapper) keeps its
 *   locks; when it names another holder the lock is rewritten with it (`time` kept, `renewed`
 *   set), atomically by rename.
 * - Free locks are taken over: the old file is renamed aside to a name only this process uses
 *   (one racer wins the rename), then the lock is created with O_EXCL again.
 * - Every change to the run dir happens under one flock(2) on `<runDir>/.guard` (the kernel drops
 *   it when a process dies), so two hooks starting at the same moment are serialised: exactly one
 *   gets a device. O_EXCL still guards against anything that does not take the guard.
 * - A prestart that fails leaves no lock behind: the locks it created are removed again.
 *
 * Everything here is data in, data out over the {@linkcode Host} primitives; the time and the
 * pids are passed in by the command.
 *
 * @module
 */

import { addressKey, bsfAddress, formatLabel, type PciAddress } from "../address.ts";
import type { Host } from "../host/host.ts";
import { isVmName } from "../vms/types.ts";
import type { RunningVms } from "./running.ts";

/** `--stale-after` default: a lock of a VM that is not running is stale after this long. */
export const DEFAULT_STALE_AFTER_SECONDS = 120;
/** How long a hook waits for another hook that holds the run dir's guard. */
export const GUARD_WAIT_MS = 10_000;
/** The flock(2) file that serialises changes to the run dir. */
export const GUARD_NAME = ".guard";
/** `0:1:0:0.lock`: domain, bus, slot, function in decimal. */
const LOCK_NAME = /^(\d{1,10}):(\d{1,3}):(\d{1,2}):(\d{1,3})\.lock$/;
/** The schema tag inside every lock file. */
export const LOCK_SCHEMA = "pptkit.lock/1";

/** A lock dated more than this ahead of the clock is "in the future". */
export const CLOCK_SLACK_MS = 1000;

/** What a lock file says. */
export interface LockRecord {
  readonly vm: string;
  /** The pptkit process that took the lock. */
  readonly pid: number;
  /** Its parent: the wrapper or shim that ran the hook; null when unknown. */
  readonly ppid: number | null;
  /** When the lock was taken, ISO 8601. */
  readonly time: string;
  /** The device as B/S/F (or selector), for people reading the file. */
  readonly device: string;
  /**
   * The process that stands for the VM while it starts and between boots (`--holder`, default
   * the hook's caller); null in the locks of older pptkit versions.
   */
  readonly holder: number | null;
  /** When a later prestart of the same VM named a new holder, ISO 8601; null when none did. */
  readonly renewed: string | null;
}

/** A lock file found in the run dir. */
export interface LockFile {
  readonly address: PciAddress;
  /** Host path of the file. */
  readonly path: string;
  /** The record; null when the file is not a lock pptkit wrote (garbage, truncated). */
  readonly record: LockRecord | null;
  /** The file's text, to check that a file renamed aside is the one that was judged. */
  readonly raw: string;
  /** When the lock was taken: the record's time, else the file's mtime; null when unknown. */
  readonly since: number | null;
}

/** The host path of a device's lock file. */
export function lockPath(runDir: string, address: PciAddress): string {
  return `${runDir.replace(/\/+$/, "")}/${addressKey(address)}.lock`;
}

/** The device a lock file name stands for; null for any other name. */
export function parseLockName(name: string): PciAddress | null {
  const m = LOCK_NAME.exec(name);
  if (m === null) return null;
  const [domain, bus, slot, fn] = [m[1], m[2], m[3], m[4]].map(Number);
  const address = bsfAddress(bus, slot, fn);
  return address === null ? null : { ...address, domain };
}

/** The text of a lock file (`renewed` only when set). */
export function formatLockRecord(record: LockRecord): string {
  const { renewed, ...rest } = record;
  const fields = renewed === null ? rest : { ...rest, renewed };
  return JSON.stringify({ schema: LOCK_SCHEMA, ...fields }) + "\n";
}

/** A pid as a lock records it: a whole number above 0; null otherwise. */
function pidOf(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : null;
}

/** Reads a lock file's text; null when it is not a well-formed pptkit lock. */
export function parseLockRecord(text: string): LockRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  // A name no VM can have (a newline, 5 MB of text) is not a record pptkit wrote.
  if (typeof v.vm !== "string" || !isVmName(v.vm) || typeof v.time !== "string") return null;
  if (typeof v.pid !== "number" || !Number.isInteger(v.pid)) return null;
  if (Number.isNaN(Date.parse(v.time))) return null;
  return {
    vm: v.vm,
    pid: v.pid,
    ppid: typeof v.ppid === "number" && Number.isInteger(v.ppid) ? v.ppid : null,
    time: v.time,
    device: typeof v.device === "string" ? v.device : "",
    holder: pidOf(v.holder),
    renewed: typeof v.renewed === "string" && !Number.isNaN(Date.parse(v.renewed))
      ? v.renewed
      : null,
  };
}

/** How often, and how far apart, an empty lock file is read again. */
const EMPTY_RETRIES = 10;
const EMPTY_RETRY_MS = 10;

/** Reads one lock file; null when it does not exist (any more). */
export async function readLock(
  host: Pick<Host, "readText" | "stat">,
  path: string,
  address: PciAddress,
): Promise<LockFile | null> {
  let raw: string | null;
  try {
    raw = await host.readText(path);
  } catch {
    // Not UTF-8: garbage, judged by its age like any unreadable lock.
    raw = "";
  }
  // O_EXCL creates the file before the record is written into it: an empty lock file is most
  // likely being written by another hook right now. Give it a moment.
  for (let wait = 0; raw === "" && wait < EMPTY_RETRIES; wait++) {
    await new Promise((resolve) => setTimeout(resolve, EMPTY_RETRY_MS));
    raw = await host.readText(path).catch(() => "");
  }
  if (raw === null) return null;
  const record = parseLockRecord(raw);
  let since = record === null ? null : Date.parse(record.time);
  if (since === null) {
    const info = await host.stat(path);
    if (info === null) return null;
    since = info.mtime;
  }
  return { address, path, record, raw, since };
}

/** Every lock file in the run dir, in address order; an empty list when the dir is missing. */
export async function readLocks(
  host: Pick<Host, "readDir" | "readText" | "stat">,
  runDir: string,
): Promise<LockFile[]> {
  const names = await host.readDir(runDir);
  if (names === null) return [];
  const out: LockFile[] = [];
  for (const name of names) {
    const address = parseLockName(name);
    if (address === null) continue;
    const lock = await readLock(host, lockPath(runDir, address), address);
    if (lock !== null) out.push(lock);
  }
  return out;
}

/** How a lock stands for a VM that wants its device. */
export type LockState =
  /** The VM's own lock (a guest reboot): kept. */
  | "own"
  /** Another VM that is running holds it. */
  | "live"
  /** Another VM holds it; it has no bhyve process but its holder runs: starting or rebooting. */
  | "starting"
  /** Another VM holds it; it is not running but the lock is young: it may be starting. */
  | "young"
  /** Another VM holds it and pptkit cannot see which VMs run. */
  | "unknown"
  /** Its VM is not running and the lock is old: it is taken over. */
  | "stale"
  /** Its VM has no bhyve process and its holder has exited: it is taken over at once. */
  | "stopped"
  /** It is dated in the future (the clock was set back): it is taken over, with a warning. */
  | "future"
  /** The file is not a pptkit lock and it is young: left alone. */
  | "garbage-young"
  /** The file is not a pptkit lock and it is old, or pptkit sees no VM it could be: taken over. */
  | "garbage-stale";

/** When the lock was taken, in whole seconds before `now`; null when unknown. */
export function lockAge(lock: LockFile, now: number): number | null {
  return lock.since === null ? null : Math.max(0, Math.floor((now - lock.since) / 1000));
}

/** True when the lock is dated ahead of `now` (beyond {@linkcode CLOCK_SLACK_MS}). */
export function isFuture(lock: LockFile, now: number): boolean {
  return lock.since !== null && lock.since - now > CLOCK_SLACK_MS;
}

/**
 * True when the lock's holder runs: a root process with its pid that has been running since the
 * lock named it (ps's elapsed seconds are whole, hence the second of slack).
 */
export function holderRuns(record: LockRecord, running: RunningVms, now: number): boolean {
  const p = record.holder === null ? undefined : running.processes?.get(record.holder);
  if (p === undefined || p.uid !== 0) return false;
  if (p.elapsed === null) return true;
  const named = Date.parse(record.renewed ?? record.time);
  return now - p.elapsed * 1000 <= named + 1000;
}

/** Judges a lock for `vm`. */
export function lockState(
  lock: LockFile,
  vm: string,
  running: RunningVms,
  now: number,
  staleAfterMs: number,
): LockState {
  const old = lock.since === null || now - lock.since > staleAfterMs || isFuture(lock, now);
  const r = lock.record;
  if (r === null) return old || running.known ? "garbage-stale" : "garbage-young";
  if (r.vm === vm) return "own";
  if (running.names.has(r.vm)) return "live";
  if (isFuture(lock, now)) return "future";
  if (running.processes !== null && r.holder !== null) {
    return holderRuns(r, running, now) ? "starting" : "stopped";
  }
  if (!running.known) return "unknown";
  return old ? "stale" : "young";
}

/** True for the states that keep a VM from taking the device now. */
export function isBusy(state: LockState): boolean {
  return state === "live" || state === "starting" || state === "young" || state === "unknown" ||
    state === "garbage-young";
}

/** `35 s ago`, `2 h ago`. */
export function ago(seconds: number | null): string {
  if (seconds === null) return "at an unknown time";
  return `${span(seconds)} ago`;
}

/** `35 s`, `4 min`, `2 h`, `3 days`. */
function span(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} days`;
}

/**
 * Why a lock is free, for the line that says it is taken over (the text in parentheses):
 * `not running, locked 1 h ago`.
 */
export function freeReason(lock: LockFile, state: LockState, now: number): string {
  const when = ago(lockAge(lock, now));
  switch (state) {
    case "future":
      return `dated ${span(Math.floor(((lock.since ?? now) - now) / 1000))} ahead of this ` +
        "host's clock; check the clock";
    case "stopped":
      return `no bhyve process, and its wrapper, pid ${lock.record?.holder}, has exited; ` +
        `locked ${when}`;
    case "garbage-stale":
      return lock.raw === ""
        ? `written ${when}: a prestart was stopped before it wrote the lock`
        : `written ${when}`;
    default:
      return `not running, locked ${when}`;
  }
}

/** `took over the stale lock of 1/0/0 from VM vm2 (not running, locked 1 h ago)`. */
export function takeoverMessage(lock: LockFile, state: LockState, now: number): string {
  const dev = formatLabel(lock.address);
  const why = freeReason(lock, state, now);
  if (lock.record === null) {
    return `took over the ${lock.raw === "" ? "empty" : "unreadable"} lock of ${dev} (${why})`;
  }
  return `took over the ${state === "stale" ? "stale " : ""}lock of ${dev} from VM ` +
    `${lock.record.vm} (${why})`;
}

/** One line about a lock another VM (or garbage) holds: why `vm` cannot have the device. */
export function describeLock(
  lock: LockFile,
  state: LockState,
  running: RunningVms,
  now: number,
): string {
  const dev = formatLabel(lock.address);
  const when = ago(lockAge(lock, now));
  const r = lock.record;
  if (r === null) {
    return lock.raw === "" && state === "garbage-young"
      ? `${dev} is being locked by another pptkit right now (${lock.path} is still empty)`
      : `${dev} has an unreadable lock file ${lock.path} (written ${when})`;
  }
  const pid = running.pids.get(r.vm);
  switch (state) {
    case "live":
      return `${dev} is held by running VM ${r.vm} (` +
        (pid !== undefined ? `bhyve pid ${pid}, ` : "in /dev/vmm, ") + `locked ${when})`;
    case "starting":
      return `${dev} is held by VM ${r.vm}, which is starting or rebooting: it has no bhyve ` +
        `process, but its wrapper (pid ${r.holder}) runs (locked ${when})`;
    case "young":
      return `${dev} is held by VM ${r.vm}, locked ${when} by pid ${r.pid}: ` +
        "it is probably starting";
    case "unknown":
      return `${dev} is held by VM ${r.vm} (locked ${when}) and pptkit cannot see ` +
        "which VMs run (no ps output, no /dev/vmm)";
    default:
      return `${dev} is locked by VM ${r.vm} (${state}, locked ${when})`;
  }
}

/** What to do about a busy lock. */
export function busyFix(lock: LockFile, state: LockState, staleAfterSeconds: number): string {
  const r = lock.record;
  if (r === null || state === "garbage-young") {
    return `wait ${staleAfterSeconds} s for it to go stale, or remove ${lock.path} ` +
      "if no VM uses the device";
  }
  if (state === "live") return `stop VM ${r.vm} first, or give this VM another device`;
  if (state === "starting") {
    return `wait until VM ${r.vm} is up or gone; if it is not starting, stop its wrapper ` +
      `(pid ${r.holder}) or run: pptkit hook poststop ${r.vm}`;
  }
  return `wait until VM ${r.vm} is up or gone (a lock of a VM that does not run goes stale ` +
    `after ${staleAfterSeconds} s), or run: pptkit hook poststop ${r.vm}`;
}

/**
 * Who holds a lock, for `list` and `show`: `running (bhyve pid 977)`, `starting or rebooting
 * (wrapper pid 4242 runs)`, `free: not running, locked 1 h ago`.
 */
export function lockStatus(
  lock: LockFile,
  running: RunningVms,
  now: number,
  staleAfterMs: number,
): string {
  const state = lockState(lock, "", running, now, staleAfterMs);
  const r = lock.record;
  switch (state) {
    case "live": {
      const pid = r === null ? undefined : running.pids.get(r.vm);
      return pid === undefined ? "running (in /dev/vmm)" : `running (bhyve pid ${pid})`;
    }
    case "starting":
      return `starting or rebooting (wrapper pid ${r?.holder} runs)`;
    case "young":
      return `not running, may be starting (stale after ${Math.round(staleAfterMs / 1000)} s)`;
    case "unknown":
      return "held: pptkit cannot see which VMs run";
    case "garbage-young":
      return `unreadable lock file (written ${ago(lockAge(lock, now))})`;
    default:
      return `free: ${freeReason(lock, state, now)}`;
  }
}

/** `2026-11-27 02:36:02 UTC`. */
function utcStamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ") + " UTC";
}

/**
 * Who holds a device and since when, for `list` (after `1/0/0 locked by`) and `show`:
 * `VM vm1 since 2026-11-27 02:36:02 UTC (35 s ago): running (bhyve pid 977)`.
 */
export function holdingText(
  lock: LockFile,
  running: RunningVms,
  now: number,
  staleAfterMs: number,
): string {
  const who = lock.record === null ? "an unreadable lock file" : `VM ${lock.record.vm}`;
  const since = lock.since === null ? "at an unknown time" : `since ${utcStamp(lock.since)} (` +
    (isFuture(lock, now) ? "in the future" : ago(lockAge(lock, now))) + ")";
  return `${who} ${since}: ${lockStatus(lock, running, now, staleAfterMs)}`;
}
