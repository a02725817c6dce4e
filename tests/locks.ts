/**
 * Test helpers for device locks: planting lock files in a snapshot's run dir, reading them
 * back, and running `pptkit hook` on a snapshot with the one-line error contract checked.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatLockRecord, type LockRecord, parseLockRecord } from "../core/ownership/locks.ts";
import { errorLines, pptkit, type RunResult } from "./helpers.ts";

/** The run dir of a snapshot, relative to the snapshot directory. */
export const SNAP_RUN = "root/var/run/pptkit";

/** A lock's text as pptkit writes it: pid 4242, its caller 4200, for 1/0/0. */
export function lockRecordText(vm: string, time: number, holder: number | null = null): string {
  return formatLockRecord({
    vm,
    pid: 4242,
    ppid: 4200,
    time: new Date(time).toISOString(),
    device: "1/0/0",
    holder,
    renewed: null,
  });
}

/** A lock's text as an older pptkit wrote it: no holder. */
export function legacyLock(vm: string, time: number): string {
  return JSON.stringify({
    schema: "pptkit.lock/1",
    vm,
    pid: 4242,
    ppid: 1,
    time: new Date(time).toISOString(),
    device: "1/0/0",
  }) + "\n";
}

/** A lock file of the snapshot's run dir, parsed; null when absent or not a lock. */
export async function lockOf(snap: string, key: string): Promise<LockRecord | null> {
  try {
    return parseLockRecord(await Deno.readTextFile(`${snap}/${SNAP_RUN}/${key}.lock`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** The names of the lock files of the snapshot's run dir, sorted. */
export function lockNames(snap: string): string[] {
  try {
    return [...Deno.readDirSync(`${snap}/${SNAP_RUN}`)].map((e) => e.name)
      .filter((n) => n.endsWith(".lock")).sort();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** `pptkit hook ARGS --snapshot SNAP` through the launcher. */
export function hook(snap: string, ...args: string[]): Promise<RunResult> {
  return pptkit(["hook", ...args, "--snapshot", snap]);
}

/** The one-line error contract: `pptkit: ...`, maybe `hint: ...`, the exit code, no trace. */
export function assertOneLine(r: RunResult, code: number, pattern: RegExp) {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = errorLines(r.stderr);
  assert.ok(lines.length >= 1 && lines.length <= 2, `one or two lines: ${r.stderr}`);
  assert.match(lines[0], pattern);
  if (lines.length === 2) assert.ok(lines[1].startsWith("hint: "), lines[1]);
  assert.ok(!/internal error|\bat .*:\d+:\d+/.test(r.stderr), "no bug, no stack trace");
}
