/**
 * What the checks of core/explain/checks.ts look at (the host facts, the log, the message and
 * its command line), and the helpers they share.
 *
 * @module
 */

import { addressKey, formatLabel, formatSelector, type PciAddress } from "../address.ts";
import type { Finding } from "../findings.ts";
import type { HostFacts, Inventory, InventoryDevice } from "../inventory.ts";
import { allowOption, reservationRisks } from "../reservability.ts";
import type { Cause, Entry } from "./catalogue/schema.ts";
import type { LoggedCommand } from "./cmdline.ts";
import type { Attach } from "./dmesg.ts";
import { describeErrno } from "./errno.ts";
import type { LogFacts } from "./log.ts";
import type { Match } from "./match.ts";
import type { ExplainCheck, ExplainErrno, ExplainFacts } from "./types.ts";

/** What a check looks at. */
export interface CheckContext {
  readonly facts: ExplainFacts | null;
  readonly log: LogFacts;
  readonly entry: Entry;
  /** The message's first occurrence. */
  readonly match: Match;
  readonly device: PciAddress | null;
  readonly errno: ExplainErrno | null;
  /** The bhyve command line the message belongs to, and its lint. */
  readonly command: LoggedCommand | null;
  readonly lint: readonly Finding[] | null;
}

/** A check's answer, with the VM that holds the device when that is the cause. */
export interface Checked extends ExplainCheck {
  readonly holder?: string;
}

export type CheckFn = (cause: Cause, ctx: CheckContext) => Checked;

// ---------------------------------------------------------------------------------------------
// Helpers

export function bsfOf(ctx: CheckContext): string {
  return ctx.device === null ? "B/S/F" : formatLabel(ctx.device);
}

export function selectorOf(ctx: CheckContext): string {
  return ctx.device === null ? "pci0:B:S:F" : formatSelector(ctx.device);
}

/** A catalogue fix with the message's device and VM filled in. */
export function fixFor(
  text: string,
  ctx: Pick<CheckContext, "device" | "command"> & { readonly log?: LogFacts },
): string {
  let out = text;
  if (ctx.device !== null) {
    out = out.replaceAll("pciD:B:S:F", formatSelector(ctx.device))
      .replaceAll("B/S/F", formatLabel(ctx.device));
  }
  const vm = ctx.command?.vm ?? ctx.log?.vm ?? null;
  if (vm !== null) {
    out = out.replaceAll("--vm=NAME", `--vm=${vm}`).replaceAll("jname=VM", `jname=${vm}`)
      .replaceAll("jails-system/VM/", `jails-system/${vm}/`);
  }
  return out;
}

export function deviceAt(
  facts: ExplainFacts | null,
  address: PciAddress | null,
): InventoryDevice | null {
  if (facts === null || address === null) return null;
  return facts.inventory.byKey.get(addressKey(address)) ?? null;
}

/** The host address of a boot attach line: its name on the host, else bus N of `on pciN`. */
export function attachAddress(
  a: Attach,
  inventory: Inventory | null,
): { address: PciAddress; assumed: boolean } {
  const named = inventory?.devices.find((d) =>
    d.device.name === a.name && d.device.address.slot === a.slot &&
    d.device.address.function === a.function
  );
  if (named !== undefined) return { address: named.device.address, assumed: false };
  return {
    address: { domain: 0, bus: a.pciUnit, slot: a.slot, function: a.function },
    assumed: inventory === null ||
      !inventory.byKey.has(
        addressKey({ domain: 0, bus: a.pciUnit, slot: a.slot, function: a.function }),
      ),
  };
}

/**
 * How to get a device onto ppt(4) that pptdevs named at boot but another driver took first:
 * when the loader does not load vmm, it must (and a reboot); with vmm.ko loaded, bind it now
 * (with the `--allow` its risks need); else load vmm.ko first (`kldload -n` loads it only when
 * it is not). Without the host's facts `host` is null.
 */
export function lostAtBootFix(
  bsf: string,
  host: HostFacts | null,
  entry: InventoryDevice | null,
): string {
  if (host?.vmmFromLoader === false) {
    return 'load vmm from the loader: vmm_load="YES" in /boot/loader.conf, then reboot';
  }
  const allow = host === null || entry === null ? "" : allowOption(reservationRisks(entry, host));
  const bind = `pptkit reserve --now ${allow}${bsf}`;
  return host?.vmmLoaded === true
    ? `bind it now: ${bind}`
    : `load vmm.ko and bind it now: kldload -n vmm && ${bind}`;
}

/** The driver that took the device at boot, from the log's attach lines (the last one). */
export function bootDriver(ctx: CheckContext): Attach | null {
  if (ctx.device === null) return null;
  let found: Attach | null = null;
  for (const a of ctx.log.attached) {
    const { address } = attachAddress(a, ctx.facts?.inventory ?? null);
    if (addressKey(address) === addressKey(ctx.device)) found = a;
  }
  return found;
}

/** The first message of the log with one of these ids. */
export function logLine(
  ctx: CheckContext,
  ids: readonly string[],
  test?: (m: Match) => boolean,
): Match | null {
  return ctx.log.matches.find((m) => ids.includes(m.entry.id) && (test === undefined || test(m))) ??
    null;
}

export function byHand(cause: Cause, ctx: CheckContext, how?: string): Checked {
  return {
    result: "check",
    text: how === undefined ? cause.text : `${cause.text} (${how})`,
    fix: fixFor(cause.fix, ctx),
  };
}

/** A cause the errno printed decides. */
export function errnoSays(cause: Cause, ctx: CheckContext): Checked | null {
  const e = ctx.errno;
  if (e === null || e.name === null || cause.errno === undefined || !cause.errno.includes(e.name)) {
    return null;
  }
  return {
    result: "cause",
    text: `${describeErrno(e)} (line ${e.line}): ${cause.text}`,
    fix: fixFor(cause.fix, ctx),
  };
}

export const VMM_FAILURES = [
  "vmx-no-vmx",
  "vmx-bios-disabled",
  "vmx-basic-caps",
  "vmx-primary-ctls",
  "vmx-secondary-ctls",
  "vmx-pinbased-ctls",
  "vmx-exit-ctls",
  "vmx-entry-ctls",
  "vmx-ept-init",
  "svm-not-available",
  "svm-bios-disabled",
  "svm-no-np",
  "svm-no-nrip",
  "kldload-failed",
  "kldload-noexec",
  "vm-bhyve-vmm-load-failed",
  "vm-bhyve-vmm-not-initialised",
  "iohyve-vmm-not-loaded",
  "wifibox-kmod-failed",
];
export const NOT_LOADED_AT_BOOT = [
  "iohyve-vmm-not-loaded",
  "vm-bhyve-vmm-load-failed",
  "kldload-failed",
];
export const DROPPED_KENV = ["kenv-too-long", "kenv-other"];

/** A devctl line of the log that failed to bind the same device (wifibox runs devctl itself). */
export function devctlFailed(ctx: CheckContext): Match | null {
  if (ctx.device === null) return null;
  const key = addressKey(ctx.device);
  return ctx.log.matches.find((m) => {
    if (m.entry.id !== "devctl-set-driver" || m.fields.selector === undefined) return false;
    const sel = m.fields.selector.startsWith("pci") ? m.fields.selector : null;
    const parts = sel === null ? [] : sel.slice(3).split(":").map(Number);
    const [b, s, f] = parts.length === 4 ? parts.slice(1) : parts;
    return parts.length >= 3 && addressKey({ domain: 0, bus: b, slot: s, function: f }) === key;
  }) ?? null;
}

export function droppedPptdevs(ctx: CheckContext): Match | null {
  return logLine(ctx, DROPPED_KENV, (m) => (m.fields.option ?? "").startsWith("pptdevs"));
}

/** `cause` when the kernel dropped a pptdevs variable at boot (a kenv line of the log). */
export function droppedCause(cause: Cause, ctx: CheckContext, what: string): Checked | null {
  const dropped = droppedPptdevs(ctx);
  if (dropped === null) return null;
  const variable = dropped.fields.option?.split("=")[0] ?? "pptdevs";
  return {
    result: "cause",
    text: `line ${dropped.line}: the kernel ${what.replace("{var}", variable)}`,
    fix: fixFor(cause.fix, ctx),
  };
}
