/**
 * The hook transactions wrappers run around a VM's life (DESIGN §12).
 *
 * prestart: the start check of app/vm_start.ts; on a go, lock every device for the VM in the
 * run dir (core/ownership/acquire.ts), all or nothing, naming the holder: the process that
 * stands for the VM while it starts and between boots (`--holder`, default the hook's caller).
 * A veto is a {@linkcode PptkitError}: 1 when a check fails, 75 when another VM holds a device.
 *
 * poststop: drop the VM's locks first (whatever `--rebind` does afterwards, they are gone), then
 * optionally give each device back to its host driver with `devctl clear driver -f SEL`.
 *
 * Each step that happened goes to the hook log (`--log FILE`), and so does every warning of a
 * go, one line each.
 *
 * @module
 */

import { addressKey, formatLabel, formatSelector, type PciAddress } from "../core/address.ts";
import type { PptkitConfig } from "../core/config.ts";
import { ExitCode, PptkitError, usageError } from "../core/errors.ts";
import { type Finding, withLocation } from "../core/findings.ts";
import type { Host } from "../core/host/host.ts";
import { acquireLocks, releaseLocks, type Takeover } from "../core/ownership/acquire.ts";
import { escapeControls } from "../core/text.ts";
import { checkVmName } from "../core/vms/types.ts";
import type { HookLog } from "./hook_log.ts";
import { checkVmStart, readVmSpec, vetoError, type VmSelection, type VmStart } from "./vm_start.ts";

/** What a prestart that let the VM go did. */
export interface PrestartResult {
  readonly start: VmStart;
  /** Devices locked by this prestart (taken-over ones included). */
  readonly locked: readonly PciAddress[];
  /** Devices the VM already held (guest reboot). */
  readonly kept: readonly PciAddress[];
  readonly takenOver: readonly Takeover[];
  /** The holder the locks name; null when unknown. */
  readonly holder: number | null;
  /** `VM vm1 may start: holds 1/0/0 1/0/1`. */
  readonly summary: string;
}

/** `1/0/0 1/0/1`. */
export function labels(devices: readonly PciAddress[]): string {
  return devices.map(formatLabel).join(" ");
}

/** Options of {@linkcode prestart}. */
export interface PrestartOptions {
  /** A lock of a VM pptkit cannot see run is stale after this long (`--stale-after`). */
  readonly staleAfterMs: number;
  /** `--holder PID`; absent: the hook's caller. */
  readonly holder?: number;
}

/** `warning: VM vm1: ...`: what a go prints (after `pptkit: `) and logs for each warning. */
export function warningLine(vm: string, finding: Finding): string {
  return escapeControls(`warning: VM ${vm}: ${withLocation(finding)}`);
}

/** Checks the VM and locks its devices; throws the veto when it may not start. */
export async function prestart(
  host: Host,
  config: PptkitConfig,
  vm: string,
  selection: VmSelection,
  options: PrestartOptions,
  log: HookLog,
): Promise<PrestartResult> {
  const { staleAfterMs } = options;
  const start = await checkVmStart(host, config, vm, selection, { staleAfterMs });
  const { verdict, state, devices } = start;
  if (verdict.errors.length > 0) throw vetoError(vm, verdict);
  const { pid, ppid } = host.processIds();
  const holder = options.holder ?? ppid;
  const result = await acquireLocks(host, devices, {
    runDir: config.runDir,
    owner: { vm, pid, ppid, holder, now: host.now() },
    staleAfterMs,
    running: state.running,
  });
  if (!result.ok) {
    throw new PptkitError(
      ExitCode.TempFail,
      `VM ${vm} cannot start: ${result.message}`,
      result.fix,
    );
  }
  for (const f of verdict.findings) {
    if (f.level === "warn") await log.write(warningLine(vm, f));
  }
  for (const t of result.takenOver) await log.write(`VM ${vm}: ${t.message}`);
  const summary = devices.length === 0
    ? `VM ${vm} may start: it has no passthru devices`
    : `VM ${vm} may start: holds ${labels(devices)}` +
      (result.kept.length > 0 ? ` (${labels(result.kept)} from an earlier prestart)` : "");
  await log.write(`prestart ${summary}`);
  return {
    start,
    locked: result.created,
    kept: result.kept,
    takenOver: result.takenOver,
    holder,
    summary,
  };
}

/** What poststop did. */
export interface PoststopResult {
  readonly released: readonly PciAddress[];
  /** Devices given back to their host drivers (`--rebind`). */
  readonly rebound: readonly string[];
  /** Devices devctl could not give back, with devctl's reason. */
  readonly failed: readonly { readonly device: string; readonly why: string }[];
  /** `VM vm1 stopped: released 1/0/0 1/0/1`. */
  readonly summary: string;
}

/**
 * Drops the VM's locks and, with `rebind`, gives back each device it held and those the
 * selection names (`--devices`, or its config with `--wrapper`).
 */
export async function poststop(
  host: Host,
  config: PptkitConfig,
  vm: string,
  selection: VmSelection,
  rebind: boolean,
  log: HookLog,
): Promise<PoststopResult> {
  checkVmName(vm);
  // Locks first: whatever goes wrong with --rebind afterwards, the VM's locks are gone.
  const released = (await releaseLocks(host, config.runDir, vm)).released.map((l) => l.address);
  const summary = released.length === 0
    ? `VM ${vm} stopped: it held no locks`
    : `VM ${vm} stopped: released ${labels(released)}`;
  await log.write(`poststop ${summary}`);
  const rebound: string[] = [];
  const failed: { device: string; why: string }[] = [];
  if (!rebind) return { released, rebound, failed, summary };
  const named: PciAddress[] = [];
  if (selection.devices !== undefined || selection.wrapper !== undefined) {
    const spec = await readVmSpec(host, config, vm, selection);
    for (const { token } of spec.tokens) {
      if (token.address === null) {
        throw usageError(
          `poststop --rebind needs B/S/F addresses, not "${token.text}"`,
          "a device name changes when the driver changes",
        );
      }
      named.push(token.address);
    }
  }
  const seen = new Set<string>();
  for (const address of [...released, ...named]) {
    const key = addressKey(address);
    if (seen.has(key)) continue;
    seen.add(key);
    const r = await host.run("devctl", ["clear", "driver", "-f", formatSelector(address)]);
    if (r.code === 0) {
      rebound.push(formatLabel(address));
      continue;
    }
    const why = (r.stderr.trim().split("\n")[0] ?? "") || `exit ${r.code}`;
    failed.push({ device: formatLabel(address), why });
    await log.write(`poststop VM ${vm}: devctl clear driver -f ${formatSelector(address)}: ${why}`);
  }
  if (rebound.length > 0) await log.write(`poststop VM ${vm}: rebound ${rebound.join(" ")}`);
  return { released, rebound, failed, summary };
}

/** Runs a hook step; a failure is written to the log (as the one line the user sees) first. */
export async function logged<T>(
  log: HookLog,
  action: "prestart" | "poststop",
  vm: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof PptkitError) {
      await log.write(
        e.message.startsWith(`VM ${vm} `) ? e.message : `${action} VM ${vm}: ${e.message}`,
      );
    }
    throw e;
  }
}
