/**
 * Device ownership (DESIGN §12): which VM holds which passthrough device right now, and the
 * checks a VM must pass before it starts.
 *
 * - Running VMs come from `ps -axww -o pid,command` (bhyve titles itself `bhyve: NAME`) and
 *   `ls /dev/vmm` (a VM exists in the kernel from `bhyvectl --create` or bhyve's start until it
 *   is destroyed, even between a guest reboot and the next bhyve).
 * - Ownership is one lock file per device in the run dir (default `/var/run/pptkit/`), named by
 *   the canonical device key (`0:1:0:0.lock`) and created with O_EXCL, holding the VM name,
 *   the pid of the hook and of its caller, and the time, as JSON.
 * - A VM that runs prestart again (a guest reboot loop) keeps its locks. A lock is stale when
 *   its VM is neither in `ps` nor in `/dev/vmm` and it is older than `staleAfterMs`; a lock file
 *   that cannot be read is stale once it is that old. Stale locks are taken over: the old file is
 *   renamed aside to a name only this process uses (one racer wins the rename), then the lock is
 *   created with O_EXCL again.
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

import { addressKey, formatBsf, formatSelector, type PciAddress } from "./address.ts";
import type { Finding, FindingCode } from "./eligibility.ts";
import { deviceLabel } from "./eligibility.ts";
import { PptkitError } from "./errors.ts";
import type { Host } from "./host/host.ts";
import type { Inventory, InventoryDevice } from "./inventory.ts";
import { lines } from "./text.ts";

/** Where locks live when pptkit.jsonc does not say otherwise. */
export const DEFAULT_RUN_DIR = "/var/run/pptkit";
/** `--stale-after` default: a lock of a VM that is not running is stale after this long. */
export const DEFAULT_STALE_AFTER_SECONDS = 120;
/** How long a hook waits for another hook that holds the run dir's guard. */
export const GUARD_WAIT_MS = 10_000;
/** The flock(2) file that serialises changes to the run dir. */
const GUARD_NAME = ".guard";
/** `0:1:0:0.lock`: domain, bus, slot, function in decimal. */
const LOCK_NAME = /^(\d{1,10}):(\d{1,3}):(\d{1,2}):(\d{1,3})\.lock$/;
/** The schema tag inside every lock file. */
export const LOCK_SCHEMA = "pptkit.lock/1";

// ---------------------------------------------------------------------------------------------
// Running VMs

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

// ---------------------------------------------------------------------------------------------
// Lock files

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
  if (bus > 255 || slot > 31 || fn > 255) return null;
  return { domain, bus, slot, function: fn };
}

/** The text of a lock file. */
export function formatLockRecord(record: LockRecord): string {
  return JSON.stringify({ schema: LOCK_SCHEMA, ...record }) + "\n";
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
  if (typeof v.vm !== "string" || v.vm === "" || typeof v.time !== "string") return null;
  if (typeof v.pid !== "number" || !Number.isInteger(v.pid)) return null;
  if (Number.isNaN(Date.parse(v.time))) return null;
  return {
    vm: v.vm,
    pid: v.pid,
    ppid: typeof v.ppid === "number" && Number.isInteger(v.ppid) ? v.ppid : null,
    time: v.time,
    device: typeof v.device === "string" ? v.device : "",
  };
}

/** How often, and how far apart, an empty lock file is read again. */
const EMPTY_RETRIES = 10;
const EMPTY_RETRY_MS = 10;

/** Reads one lock file; null when it does not exist (any more). */
async function readLock(
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
  /** Another VM holds it; it is not running but the lock is young: it may be starting. */
  | "young"
  /** Another VM holds it and pptkit cannot see which VMs run. */
  | "unknown"
  /** Its VM is not running and the lock is old: it is taken over. */
  | "stale"
  /** The file is not a pptkit lock and it is young: left alone. */
  | "garbage-young"
  /** The file is not a pptkit lock and it is old: it is taken over. */
  | "garbage-stale";

/** When the lock was taken, in whole seconds before `now`; null when unknown. */
export function lockAge(lock: LockFile, now: number): number | null {
  return lock.since === null ? null : Math.max(0, Math.floor((now - lock.since) / 1000));
}

/** Judges a lock for `vm`. */
export function lockState(
  lock: LockFile,
  vm: string,
  running: RunningVms,
  now: number,
  staleAfterMs: number,
): LockState {
  const old = lock.since === null || now - lock.since > staleAfterMs;
  if (lock.record === null) return old ? "garbage-stale" : "garbage-young";
  if (lock.record.vm === vm) return "own";
  if (running.names.has(lock.record.vm)) return "live";
  if (!running.known) return "unknown";
  return old ? "stale" : "young";
}

/** True for the states that keep a VM from taking the device now. */
export function isBusy(state: LockState): boolean {
  return state === "live" || state === "young" || state === "unknown" ||
    state === "garbage-young";
}

/** `35 s ago`, `2 h ago`. */
function ago(seconds: number | null): string {
  if (seconds === null) return "at an unknown time";
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} days ago`;
}

/** B/S/F of a device (the selector when it has none): how messages name it. */
function labelOf(address: PciAddress): string {
  return formatBsf(address) ?? formatSelector(address);
}

/** One line about a lock another VM (or garbage) holds: why `vm` cannot have the device. */
export function describeLock(
  lock: LockFile,
  state: LockState,
  running: RunningVms,
  now: number,
): string {
  const dev = labelOf(lock.address);
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
  return `wait until VM ${r.vm} is up or gone (a lock of a VM that does not run goes stale ` +
    `after ${staleAfterSeconds} s), or run: pptkit hook poststop ${r.vm}`;
}

// ---------------------------------------------------------------------------------------------
// Taking and dropping locks

/** Who takes the locks, and when. */
export interface LockOwner {
  readonly vm: string;
  readonly pid: number;
  readonly ppid: number | null;
  /** Now, in ms since the epoch. */
  readonly now: number;
}

/** Options of {@linkcode acquireLocks}. */
export interface AcquireOptions {
  readonly runDir: string;
  readonly owner: LockOwner;
  readonly staleAfterMs: number;
  readonly running: RunningVms;
  /** How long to wait for another hook holding the guard (default {@linkcode GUARD_WAIT_MS}). */
  readonly waitMs?: number;
}

/** A lock that was taken over. */
export interface Takeover {
  readonly address: PciAddress;
  /** The stale record; null when the file was garbage. */
  readonly from: LockRecord | null;
  /** One line for the info message. */
  readonly message: string;
}

/** The result of {@linkcode acquireLocks}. */
export type AcquireResult =
  | {
    readonly ok: true;
    /** Devices locked by this call (including taken-over ones). */
    readonly created: PciAddress[];
    /** Devices this VM already held (guest reboot). */
    readonly kept: PciAddress[];
    readonly takenOver: Takeover[];
  }
  | {
    readonly ok: false;
    /** The lock that another VM holds; nothing of this call is left in the run dir. */
    readonly lock: LockFile;
    readonly state: LockState;
    readonly message: string;
    readonly fix: string;
  };

/** How often a device's lock may change under a hook's feet before it gives up. */
const MAX_ATTEMPTS = 4;

/**
 * Locks `devices` for `owner.vm`, all or nothing. Returns which locks were made, kept and taken
 * over, or the lock that stood in the way (then every lock this call made is removed again).
 * Throws PptkitError (73 / 77 / 75) when the run dir cannot be written or its guard is held
 * too long.
 */
export async function acquireLocks(
  host: Host,
  devices: readonly PciAddress[],
  options: AcquireOptions,
): Promise<AcquireResult> {
  const { runDir, owner, staleAfterMs, running } = options;
  await host.ensureDir(runDir);
  const guard = `${runDir.replace(/\/+$/, "")}/${GUARD_NAME}`;
  return await host.withLock(guard, options.waitMs ?? GUARD_WAIT_MS, async () => {
    const created: PciAddress[] = [];
    const kept: PciAddress[] = [];
    const takenOver: Takeover[] = [];
    const rollback = async () => {
      for (const address of created) await host.remove(lockPath(runDir, address));
    };
    try {
      for (const address of uniqueAddresses(devices)) {
        const path = lockPath(runDir, address);
        const text = formatLockRecord({
          vm: owner.vm,
          pid: owner.pid,
          ppid: owner.ppid,
          time: new Date(owner.now).toISOString(),
          device: labelOf(address),
        });
        let done = false;
        for (let attempt = 0; attempt < MAX_ATTEMPTS && !done; attempt++) {
          if (await host.createExclusive(path, text)) {
            created.push(address);
            done = true;
            break;
          }
          const lock = await readLock(host, path, address);
          if (lock === null) continue; // removed meanwhile: try to create it again
          const state = lockState(lock, owner.vm, running, owner.now, staleAfterMs);
          if (state === "own") {
            kept.push(address);
            done = true;
          } else if (isBusy(state)) {
            await rollback();
            return {
              ok: false,
              lock,
              state,
              message: describeLock(lock, state, running, owner.now),
              fix: busyFix(lock, state, Math.round(staleAfterMs / 1000)),
            };
          } else if (await setAside(host, lock, owner)) {
            const age = ago(lockAge(lock, owner.now));
            takenOver.push({
              address,
              from: lock.record,
              message: lock.record === null
                ? `took over the unreadable lock of ${labelOf(lock.address)} (written ${age})`
                : `took over the stale lock of ${
                  labelOf(lock.address)
                } from VM ${lock.record.vm} ` +
                  `(not running, locked ${age})`,
            });
          }
        }
        if (!done) {
          await rollback();
          const lock = await readLock(host, path, address);
          return {
            ok: false,
            lock: lock ?? { address, path, record: null, raw: "", since: null },
            state: "garbage-young",
            message: `the lock of ${labelOf(address)} keeps changing`,
            fix: "another pptkit is working on the same device: try again in a moment",
          };
        }
      }
    } catch (e) {
      await rollback().catch(() => {});
      throw e;
    }
    return { ok: true, created, kept, takenOver };
  });
}

/**
 * Moves a stale lock out of the way: rename it to a name only this process uses (of two
 * racers, one rename finds the file), check that what was moved is what was judged, remove it.
 * False when another process got there first.
 */
async function setAside(host: Host, lock: LockFile, owner: LockOwner): Promise<boolean> {
  const aside = `${lock.path}.stale.${owner.pid}.${owner.now}`;
  if (!(await host.rename(lock.path, aside))) return false;
  const moved = await host.readText(aside).catch(() => "");
  if (moved !== lock.raw) {
    // Someone replaced the file between reading and renaming it: put theirs back, unless the
    // place was taken again meanwhile (then theirs is no longer the lock anyway).
    if (await host.createExclusive(lock.path, moved ?? "")) await host.remove(aside);
    return false;
  }
  await host.remove(aside);
  return true;
}

function uniqueAddresses(devices: readonly PciAddress[]): PciAddress[] {
  const seen = new Set<string>();
  const out: PciAddress[] = [];
  for (const d of devices) {
    const key = addressKey(d);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

/** The result of {@linkcode releaseLocks}. */
export interface ReleaseResult {
  /** Locks of the VM that were removed. */
  readonly released: LockFile[];
}

/**
 * Removes the locks `vm` holds (poststop). Locks of other VMs and unreadable files are left
 * alone. A missing run dir means there is nothing to release.
 */
export async function releaseLocks(
  host: Host,
  runDir: string,
  vm: string,
  waitMs = GUARD_WAIT_MS,
): Promise<ReleaseResult> {
  if ((await host.stat(runDir)) === null) return { released: [] };
  const guard = `${runDir.replace(/\/+$/, "")}/${GUARD_NAME}`;
  return await host.withLock(guard, waitMs, async () => {
    const released: LockFile[] = [];
    for (const lock of await readLocks(host, runDir)) {
      if (lock.record?.vm !== vm) continue;
      if (await host.remove(lock.path)) released.push(lock);
    }
    return { released };
  });
}

// ---------------------------------------------------------------------------------------------
// Can this VM take its devices now? (hook prestart, check --vm)

/** Host findings that stop every passthrough VM. */
const HOST_VETO_CODES: ReadonlySet<FindingCode> = new Set([
  "no-iommu",
  "iommu-disabled",
  "amdvi-disabled",
]);
/** Host findings about facts pptkit could not learn: a warning, never a veto. */
const HOST_UNKNOWN_CODES: ReadonlySet<FindingCode> = new Set(["iommu-unknown"]);
/** Codes of findings that only say "busy right now" (exit 75 when they are the only errors). */
const BUSY_CODES: ReadonlySet<FindingCode> = new Set(["held-by-vm", "lock-unreadable"]);

/** What {@linkcode vmFindings} looks at. */
export interface VmCheckInput {
  readonly vm: string;
  /** The VM's devices, in config order. */
  readonly devices: readonly PciAddress[];
  /** The host, with running users in `usedBy` (cli/load.ts puts them there). */
  readonly inventory: Inventory;
  readonly locks: readonly LockFile[];
  readonly running: RunningVms;
  readonly now: number;
  readonly staleAfterMs: number;
  /** Findings from elsewhere: the VM's config, plugins' prestart hooks. */
  readonly extra?: readonly Finding[];
}

/** What {@linkcode vmFindings} found. */
export interface VmCheckReport {
  /** Every finding, host first, then each device in order, then the extra ones. */
  readonly findings: Finding[];
  /** The error-level findings, in the same order: any one vetoes the start. */
  readonly errors: Finding[];
  /** True when every error only says a device is busy (another VM has it): exit 75. */
  readonly busy: boolean;
  /** The inventory entry of each device the host has. */
  readonly found: InventoryDevice[];
}

/** `pptkit reserve ...` advice for a device not on ppt(4). */
function notOnPptFix(entry: InventoryDevice, bsf: string): string {
  if (entry.reserved.inLoaderConf) {
    return `it is in pptdevs (${entry.reserved.where}): reboot, or bind it now with: ` +
      `pptkit reserve --now ${bsf}`;
  }
  return `reserve it: pptkit reserve ${bsf} (takes effect at the next boot), or bind it now ` +
    `with: pptkit reserve --now ${bsf}`;
}

/**
 * The prestart checks of DESIGN §12 as findings: the IOMMU, each device on this host and on
 * ppt(4), not held by another running VM (locks, then running VMs whose configs name it),
 * eligible, and the extra findings (config, plugins). Pure.
 */
export function vmFindings(input: VmCheckInput): VmCheckReport {
  const { vm, inventory, running, now, staleAfterMs } = input;
  const findings: Finding[] = [];
  for (const f of inventory.host.findings) {
    if (HOST_VETO_CODES.has(f.code) || HOST_UNKNOWN_CODES.has(f.code)) findings.push(f);
  }
  const locks = new Map(input.locks.map((l) => [addressKey(l.address), l]));
  const found: InventoryDevice[] = [];
  for (const address of uniqueAddresses(input.devices)) {
    const key = addressKey(address);
    const label = labelOf(address);
    const at = { device: formatSelector(address) };
    const entry = inventory.byKey.get(key);
    if (entry === undefined) {
      findings.push({
        level: "error",
        code: "unknown-device",
        message:
          `VM ${vm} names ${label}, but ${inventory.hostDescription} has no PCI device there`,
        fix: "compare the VM's passthru list with: pptkit list --all",
        ...at,
      });
      continue;
    }
    found.push(entry);
    const name = deviceLabel(entry.device);
    if (entry.device.driver !== "ppt") {
      findings.push({
        level: "error",
        code: "not-on-ppt",
        message: entry.device.driver === "none"
          ? `${name} is not attached to ppt(4) (no driver has it)`
          : `${name} is not on ppt(4): ${entry.device.name} (${entry.device.driver}) has it`,
        fix: notOnPptFix(entry, name),
        ...at,
      });
    }
    let heldByLock = false;
    const lock = locks.get(key);
    if (lock !== undefined) {
      const state = lockState(lock, vm, running, now, staleAfterMs);
      if (isBusy(state)) {
        heldByLock = true;
        findings.push({
          level: "error",
          code: lock.record === null ? "lock-unreadable" : "held-by-vm",
          message: describeLock(lock, state, running, now),
          fix: busyFix(lock, state, Math.round(staleAfterMs / 1000)),
          ...at,
        });
      } else if (state === "stale" || state === "garbage-stale") {
        findings.push({
          level: lock.record === null ? "warn" : "info",
          code: lock.record === null ? "lock-unreadable" : "lock-stale",
          message: lock.record === null
            ? `${label} has an unreadable lock file ${lock.path}: it is old, prestart takes it over`
            : `${label} has a stale lock of VM ${lock.record.vm} (not running, locked ` +
              `${ago(lockAge(lock, now))}): prestart takes it over`,
          ...at,
        });
      }
    }
    if (!heldByLock) {
      const other = entry.usedBy.find((u) => u.running && u.vm !== vm);
      if (other !== undefined) {
        const pid = running.pids.get(other.vm);
        findings.push({
          level: "error",
          code: "held-by-vm",
          message: `${label} is held by running VM ${other.vm} (${other.source} config` +
            (pid !== undefined ? `, bhyve pid ${pid})` : ")"),
          fix: `stop VM ${other.vm} first, or give this VM another device`,
          ...at,
        });
      }
    }
    for (const f of entry.findings) if (f.level !== "info") findings.push(f);
  }
  findings.push(...(input.extra ?? []));
  const errors = findings.filter((f) => f.level === "error");
  return {
    findings,
    errors,
    busy: errors.length > 0 && errors.every((f) => BUSY_CODES.has(f.code)),
    found,
  };
}
