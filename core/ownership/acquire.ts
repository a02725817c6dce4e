/**
 * Taking and dropping device locks (see core/ownership/locks.ts for the protocol): all or
 * nothing, under the run dir's guard, stale locks taken over by rename.
 *
 * @module
 */

import { addressKey, formatLabel, type PciAddress } from "../address.ts";
import type { Host } from "../host/host.ts";
import {
  busyFix,
  describeLock,
  formatLockRecord,
  GUARD_NAME,
  GUARD_WAIT_MS,
  isBusy,
  type LockFile,
  lockPath,
  type LockRecord,
  type LockState,
  lockState,
  readLock,
  readLocks,
  takeoverMessage,
} from "./locks.ts";
import type { RunningVms } from "./running.ts";

/** Who takes the locks, and when. */
export interface LockOwner {
  readonly vm: string;
  readonly pid: number;
  readonly ppid: number | null;
  /** The process that stands for the VM while it starts and between boots (see locks.ts). */
  readonly holder: number | null;
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
  /** Why it was free. */
  readonly state: LockState;
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
    /** Kept devices whose lock now names this call's holder. */
    readonly renewed: PciAddress[];
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
    const renewed: PciAddress[] = [];
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
          device: formatLabel(address),
          holder: owner.holder,
          renewed: null,
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
            if (await renew(host, lock, owner)) renewed.push(address);
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
            takenOver.push({
              address,
              from: lock.record,
              state,
              message: takeoverMessage(lock, state, owner.now),
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
            message: `the lock of ${formatLabel(address)} keeps changing`,
            fix: "another pptkit is working on the same device: try again in a moment",
          };
        }
      }
    } catch (e) {
      await rollback().catch(() => {});
      throw e;
    }
    return { ok: true, created, kept, renewed, takenOver };
  });
}

/**
 * Points the VM's own lock at this call's holder when it names another one (a second shim of
 * the same start, such as CBSD's master_prestart.d and then its bhyverun_wrapper): the new
 * text is written beside the lock and renamed over it, so a reader sees one or the other.
 * `time` stays: it says since when the VM holds the device. False when nothing changed.
 */
async function renew(host: Host, lock: LockFile, owner: LockOwner): Promise<boolean> {
  const r = lock.record;
  if (r === null || owner.holder === null || r.holder === owner.holder) return false;
  const text = formatLockRecord({
    ...r,
    pid: owner.pid,
    ppid: owner.ppid,
    holder: owner.holder,
    renewed: new Date(owner.now).toISOString(),
  });
  const next = `${lock.path}.new.${owner.pid}`;
  await host.remove(next);
  if (!(await host.createExclusive(next, text))) return false;
  if (await host.rename(next, lock.path)) return true;
  await host.remove(next);
  return false;
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
