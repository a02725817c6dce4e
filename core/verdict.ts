/**
 * The verdict engine: the one function that says what is wrong with a VM and its devices
 * (DESIGN §1, "one verdict engine"). `list`, `show`, `check`, `check --vm`, `hook prestart`,
 * `plan` and `reserve` all take their findings from here, so they never disagree.
 *
 * {@linkcode judgeVm} judges one VM's use of its devices:
 * 1. the VM's config (malformed entries, ignored lines: the reader's findings);
 * 2. each device: on this host (`unknown-device`), on ppt(4) (`not-on-ppt`), and everything the
 *    inventory knows about it (eligibility, `conflict`, ...);
 * 3. its guest layout: the plugins group the entries, the allocator places them (a slot rule
 *    that cannot be met is an error), and the whole `-s` list the VM runs with is linted by the
 *    same rules: the one its wrapper builds from the config as written (vm-bhyve, Hoster, CBSD:
 *    core/slots/layouts.ts), else the plan's (with the bhyve command line it goes into);
 * 4. the plugins' prestart checks, and their cautions about each device (inspect) as warnings:
 *    a report about the hardware never vetoes a start by itself;
 * 5. with `ownership` (the start checks of hook prestart and check --vm): the host's IOMMU, and
 *    whether another VM holds a device now (locks, running VMs whose configs name it).
 * Every finding about this VM carries `vm`; one about a device carries its selector.
 *
 * {@linkcode judgeHost} runs the same judgement for every configured VM without ownership, and
 * files each finding under its device (or under the host when it names none): what the
 * host-wide `check`, `list` and `show` print.
 *
 * Pure: the inventory, the VM configs, the plugins and the locks come in as data.
 *
 * @module
 */

import { addressKey, formatLabel, formatSelector, slotKey } from "./address.ts";
import { type Finding, type FindingCode, sortFindings } from "./findings.ts";
import type { Inventory, InventoryDevice } from "./inventory.ts";
import {
  busyFix,
  describeLock,
  freeReason,
  isBusy,
  type LockFile,
  lockState,
} from "./ownership/locks.ts";
import type { RunningVms } from "./ownership/running.ts";
import type { PciDevice } from "./pciconf.ts";
import type { GroupEntry, PluginHooks, VmUser } from "./plugins/api.ts";
import { pluginContext } from "./plugins/context.ts";
import { notOnPpt } from "./reservability.ts";
import { SlotError, slotErrorFinding } from "./slots/allocate.ts";
import { asWrittenLayout, lintLayout } from "./slots/layouts.ts";
import {
  entriesOnHost,
  groupEntries,
  type Plan,
  planGroups,
  type PlanOptions,
} from "./slots/plan.ts";
import type { BhyveCommand } from "./slots/wrappers/bhyve.ts";
import type { GuestConfig } from "./vms/guest.ts";
import { type Entry, VM_SOURCES, type VmConfig, type VmSource } from "./vms/types.ts";

/** What a VM asks for: its devices, from its config or `--devices`. */
export interface VmRequest {
  readonly vm: string;
  readonly source: VmSource | "--devices";
  /** The config file; null for `--devices`. */
  readonly file: string | null;
  /** Entries in config order, resolved to host addresses. */
  readonly entries: readonly Entry[];
  /** What the config reader (or the name resolution) found. */
  readonly findings: readonly Finding[];
  /** What the config says about the wrapper's own devices (its layout is linted). */
  readonly guest?: GuestConfig | null;
  /** The bhyve command line the plan goes into (`plan VM -- ARGS`, bhyve-run). */
  readonly command?: BhyveCommand | null;
  /** Why its wrapper does not run the VM on this host (a Hoster replica). */
  readonly inactive?: string;
}

/** Who holds devices right now: the facts of a start check. */
export interface Ownership {
  readonly locks: readonly LockFile[];
  readonly running: RunningVms;
  /** Now, in ms since the epoch. */
  readonly now: number;
  readonly staleAfterMs: number;
}

/** What the engine judges against. */
export interface VerdictContext {
  /** The host, with each device's users (`usedBy`, running ones included). */
  readonly inventory: Inventory;
  /** Loaded plugins; null to judge without them. */
  readonly plugins: PluginHooks | null;
  /** Present for a start check (hook prestart, check --vm); null for a config check. */
  readonly ownership: Ownership | null;
  /** Slot options of the plan (first slot, used slots, saved slot map). */
  readonly plan?: PlanOptions;
  /** Lock files of the run dir, for plugins that ask who held a device (`ownership`'s win). */
  readonly locks?: readonly LockFile[];
}

/** What {@linkcode judgeVm} found. */
export interface VmVerdict {
  readonly vm: string;
  /** Every finding: host (start checks), config, devices in order, layout, plugins. */
  readonly findings: readonly Finding[];
  /** The error-level findings, in the same order: any one vetoes the start. */
  readonly errors: readonly Finding[];
  /** True when every error only says a device is busy (another VM has it): exit 75. */
  readonly busy: boolean;
  /** The inventory entry of each device the host has, in config order. */
  readonly found: readonly InventoryDevice[];
  /** pptkit's guest layout for the VM; null when its slot rules cannot be met. */
  readonly plan: Plan | null;
  /** Why there is no plan: the slot rule the entries cannot meet (also among `errors`). */
  readonly planError: Finding | null;
}

/** Host findings that stop every passthrough VM. */
const HOST_VETO_CODES: ReadonlySet<FindingCode> = new Set([
  "no-iommu",
  "iommu-disabled",
  "amdvi-disabled",
  "arch-unsupported",
]);
/** Host findings about facts pptkit could not learn: a warning, never a veto. */
const HOST_UNKNOWN_CODES: ReadonlySet<FindingCode> = new Set(["iommu-unknown"]);
/** True for a host finding that stops every passthrough VM (no IOMMU, AMD-Vi off, ...). */
export function isHostVeto(finding: Finding): boolean {
  return HOST_VETO_CODES.has(finding.code);
}
/** Codes of findings that only say "busy right now" (exit 75 when they are the only errors). */
const BUSY_CODES: ReadonlySet<FindingCode> = new Set(["held-by-vm", "lock-unreadable"]);

/** The users of a device in plugin terms (VM configs only, not locks). */
function configUsers(inventory: Inventory): (device: PciDevice) => readonly VmUser[] {
  return (device) =>
    (inventory.byKey.get(addressKey(device.address))?.usedBy ?? [])
      .filter((u) => (VM_SOURCES as readonly string[]).includes(u.source))
      .map((u) => ({ vm: u.vm, source: u.source as VmSource, running: u.running }));
}

/** Judges one VM's use of its devices (see the module comment). */
export function judgeVm(request: VmRequest, ctx: VerdictContext): VmVerdict {
  const { vm } = request;
  const { inventory, ownership } = ctx;
  const findings: Finding[] = [];
  const about = (f: Finding): Finding => ({ ...f, vm });
  if (ownership !== null) {
    for (const f of inventory.host.findings) {
      if (HOST_VETO_CODES.has(f.code) || HOST_UNKNOWN_CODES.has(f.code)) findings.push(f);
    }
  }
  findings.push(...request.findings.map(about));
  if (request.inactive !== undefined) {
    findings.push(about({
      level: "info",
      code: "vm-config",
      message: `VM ${vm} does not run on this host: ${request.inactive}`,
      ...(request.file === null ? {} : { file: request.file }),
    }));
  }

  const found: InventoryDevice[] = [];
  const seen = new Set<string>();
  for (const e of request.entries) {
    const key = addressKey(e.address);
    if (seen.has(key)) continue;
    seen.add(key);
    const entry = inventory.byKey.get(key);
    const at = { device: formatSelector(e.address) };
    if (entry === undefined) {
      findings.push(about({
        level: "error",
        code: "unknown-device",
        message: `${vm} passes ${formatLabel(e.address)}, which is not on this host`,
        fix: "fix the address (pptkit list --all shows the devices), or remove the entry",
        ...at,
        ...(request.file === null ? {} : { file: request.file, line: e.line }),
      }));
      continue;
    }
    found.push(entry);
    // The device's own findings first (those of other VMs' use of it are theirs, and the
    // plugins' cautions come below, as warnings): when one is an error (a bridge, no MSI), it
    // is the reason, and not-on-ppt (whose fix, reserve, would be refused) is not said.
    const advice = new Set(entry.pluginFindings ?? []);
    const own = entry.findings.filter((f) =>
      f.level !== "info" && f.vm === undefined && !advice.has(f)
    );
    findings.push(...own);
    if (entry.device.driver !== "ppt" && !own.some((f) => f.level === "error")) {
      findings.push(about({
        level: "error",
        code: "not-on-ppt",
        ...notOnPpt(entry, inventory.host),
        ...at,
      }));
    }
    if (ownership !== null) findings.push(...ownershipFindings(vm, entry, ownership).map(about));
  }
  findings.push(...cautionFindings(request, found, ctx));

  const { layout, plan, planError, grouped } = layoutFindings(request, ctx);
  if (ownership !== null) {
    // A card whose own device here is held already is said by that finding.
    const busy = new Set(findings.filter((f) => BUSY_CODES.has(f.code)).map((f) => f.device));
    const free = grouped.filter((g) =>
      g.device === null || !busy.has(formatSelector(g.device.address))
    );
    findings.push(...splitCardFindings(vm, free, grouped, inventory).map(about));
  }
  const prestart = prestartFindings(request, ctx);
  // A plugin that reports a card's missing function 0 says why the card needs it; the slot
  // rule's finding about the same device would only repeat it.
  const explained = new Set(
    prestart.filter((f) => f.code === "missing-function0").map((f) => f.device),
  );
  findings.push(
    ...layout.filter((f) => !(f.code === "missing-function0" && explained.has(f.device)))
      .map(about),
  );
  findings.push(...prestart.map(about));

  const unique = dedupe(findings);
  const errors = unique.filter((f) => f.level === "error");
  return {
    vm,
    findings: unique,
    errors,
    busy: errors.length > 0 && errors.every((f) => BUSY_CODES.has(f.code)),
    found,
    plan,
    planError: planError === null ? null : { ...planError, vm },
  };
}

/** Whether another VM holds a device now: its lock, else a running VM whose config names it. */
function ownershipFindings(vm: string, entry: InventoryDevice, o: Ownership): Finding[] {
  const address = entry.device.address;
  const label = formatLabel(address);
  const at = { device: formatSelector(address) };
  const lock = o.locks.find((l) => addressKey(l.address) === addressKey(address));
  if (lock !== undefined) {
    const state = lockState(lock, vm, o.running, o.now, o.staleAfterMs);
    if (isBusy(state)) {
      return [{
        level: "error",
        code: lock.record === null ? "lock-unreadable" : "held-by-vm",
        message: describeLock(lock, state, o.running, o.now),
        fix: busyFix(lock, state, Math.round(o.staleAfterMs / 1000)),
        ...at,
      }];
    }
    if (state === "future") {
      return [{
        level: "warn",
        code: "lock-future",
        message: `${label} has a lock of VM ${lock.record?.vm} ` +
          `(${freeReason(lock, state, o.now)}): prestart takes it over`,
        fix: "set the clock (ntpdate -b pool.ntp.org, or service ntpd restart); locks dated " +
          "ahead of it count as stale",
        ...at,
      }];
    }
    if (state === "stale" || state === "stopped" || state === "garbage-stale") {
      return [{
        level: lock.record === null ? "warn" : "info",
        code: lock.record === null ? "lock-unreadable" : "lock-stale",
        message: lock.record === null
          ? `${label} has an unreadable lock file ${lock.path} ` +
            `(${freeReason(lock, state, o.now)}): prestart takes it over`
          : `${label} has a stale lock of VM ${lock.record.vm} ` +
            `(${freeReason(lock, state, o.now)}): prestart takes it over`,
        ...at,
      }];
    }
  }
  const other = entry.usedBy.find((u) => u.running && u.vm !== vm);
  if (other === undefined) return [];
  const pid = o.running.pids.get(other.vm);
  return [{
    level: "error",
    code: "held-by-vm",
    message: `${label} is held by running VM ${other.vm} (${other.source} config` +
      (pid !== undefined ? `, bhyve pid ${pid})` : ")"),
    fix: `stop VM ${other.vm} first, or give this VM another device`,
    ...at,
  }];
}

/**
 * `partial-device` at start (an error): another running VM holds a function of the same host
 * slot as one of this VM's devices, and a plugin keeps that card's functions together (an
 * NVIDIA or AMD GPU and its audio, QLogic FC functions). Cards nothing is known about, or whose
 * functions a plugin lets be split (the ports of a NIC), may be shared between VMs.
 */
function splitCardFindings(
  vm: string,
  judged: readonly GroupEntry[],
  grouped: readonly GroupEntry[],
  inventory: Inventory,
): Finding[] {
  const mine = new Set(grouped.map((g) => addressKey(g.entry.address)));
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const g of judged) {
    const together = g.grouping === "keep-together" || g.grouping === "same-function";
    if (g.device === null || !together || seen.has(slotKey(g.device.address))) continue;
    const slot = slotKey(g.device.address);
    for (const other of inventory.devices) {
      if (slotKey(other.device.address) !== slot || mine.has(addressKey(other.device.address))) {
        continue;
      }
      const holder = other.usedBy.find((u) => u.running && u.vm !== vm);
      if (holder === undefined) continue;
      seen.add(slot);
      out.push({
        level: "error",
        code: "partial-device",
        message:
          `running VM ${holder.vm} holds ${other.bsf ?? other.selector}, a function of the ` +
          `same card as ${formatLabel(g.device.address)}` +
          (g.reason !== null ? ` (${g.reason})` : "") + ": one card's functions belong to one VM",
        fix: `pass the whole card to one VM: stop VM ${holder.vm} first, or take ` +
          `${formatLabel(g.device.address)} out of ${vm}`,
        device: formatSelector(g.device.address),
      });
      break;
    }
  }
  return out;
}

/** The plugins' grouping advice, pptkit's plan (or why there is none), the wrapper's layout. */
function layoutFindings(
  request: VmRequest,
  ctx: VerdictContext,
): {
  layout: Finding[];
  plan: Plan | null;
  planError: Finding | null;
  grouped: readonly GroupEntry[];
} {
  const out: Finding[] = [];
  const devices = ctx.inventory.devices.map((d) => d.device);
  const byKey = new Map(devices.map((d) => [addressKey(d.address), d]));
  const entries = groupEntries(
    request.vm,
    entriesOnHost(request.entries, byKey),
    devices,
    ctx.plugins,
    configUsers(ctx.inventory),
    (f) => out.push(f),
  );
  let plan: Plan | null = null;
  let planError: Finding | null = null;
  try {
    plan = planGroups({ ...request, entries }, ctx.plan);
    out.push(...plan.findings);
  } catch (e) {
    if (!(e instanceof SlotError)) throw e;
    planError = slotErrorFinding(e);
    out.push(planError);
  }
  const written = asWrittenLayout(request);
  const runs = written ?? plan?.layout ?? null;
  if (runs !== null) {
    out.push(...lintLayout(request, runs, { release: ctx.inventory.host.release, devices }));
  }
  return { layout: out, plan, planError, grouped: entries };
}

/** Who holds each device by its lock file, by device key. */
function lockHolders(ctx: VerdictContext): (device: PciDevice) => string | null {
  const holders = new Map<string, string>();
  for (const lock of ctx.ownership?.locks ?? ctx.locks ?? []) {
    if (lock.record !== null) holders.set(addressKey(lock.address), lock.record.vm);
  }
  return (device) => holders.get(addressKey(device.address)) ?? null;
}

/** The plugins' cautions about the VM's devices (inspect), above info, as warnings. */
function cautionFindings(
  request: VmRequest,
  found: readonly InventoryDevice[],
  ctx: VerdictContext,
): Finding[] {
  if (ctx.plugins === null || found.length === 0) return [];
  const pctx = pluginContext(
    ctx.inventory.devices.map((d) => d.device),
    request.vm,
    configUsers(ctx.inventory),
    undefined,
    { release: ctx.inventory.host.release, lockedBy: lockHolders(ctx) },
  );
  const out: Finding[] = [];
  for (const entry of found) {
    for (const f of ctx.plugins.inspect(entry.device, pctx)) {
      if (f.level !== "info") out.push(f.level === "error" ? { ...f, level: "warn" } : f);
    }
  }
  return out;
}

/**
 * The inventory with the plugins' findings about each device (inspect) filed in: what `list`,
 * `show` and `check` print. They are also kept apart (`pluginFindings`), so that a VM's verdict
 * carries them as warnings only.
 */
export function withPluginFindings(
  inventory: Inventory,
  plugins: PluginHooks,
  locks: readonly LockFile[] = [],
): Inventory {
  const pctx = pluginContext(
    inventory.devices.map((d) => d.device),
    null,
    configUsers(inventory),
    undefined,
    {
      release: inventory.host.release,
      lockedBy: lockHolders({ inventory, plugins, ownership: null, locks }),
    },
  );
  const devices: InventoryDevice[] = [];
  const byKey = new Map<string, InventoryDevice>();
  for (const entry of inventory.devices) {
    const own = plugins.inspect(entry.device, pctx);
    const merged = own.length === 0
      ? entry
      : { ...entry, findings: sortFindings([...entry.findings, ...own]), pluginFindings: own };
    devices.push(merged);
    byKey.set(addressKey(entry.device.address), merged);
  }
  return { ...inventory, devices, byKey };
}

/** The plugins' prestart findings for the VM's entries. */
function prestartFindings(request: VmRequest, ctx: VerdictContext): Finding[] {
  if (ctx.plugins === null || request.entries.length === 0) return [];
  const reports: Finding[] = [];
  const devices = ctx.inventory.devices.map((d) => d.device);
  const pctx = pluginContext(
    devices,
    request.vm,
    configUsers(ctx.inventory),
    (f) => reports.push(f),
    { release: ctx.inventory.host.release, lockedBy: lockHolders(ctx) },
  );
  const found = ctx.plugins.prestart({
    source: request.source,
    file: request.file,
    name: request.vm,
    entries: request.entries.map((entry, index) => ({
      index,
      entry,
      device: ctx.inventory.byKey.get(addressKey(entry.address))?.device ?? null,
      grouping: "auto",
      reason: null,
    })),
  }, pctx);
  return [...found, ...reports];
}

/** Drops repeats: the same code, device and text (a rule two hooks of a plugin both apply). */
function dedupe(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const f of findings) {
    const key = `${f.code}\0${f.device ?? ""}\0${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The host as a whole

/** What {@linkcode judgeHost} found. */
export interface HostVerdict {
  /** Findings about each device from the VMs that pass it, by device key. */
  readonly byDevice: ReadonlyMap<string, readonly Finding[]>;
  /** Findings about VMs that name no device of this host (a broken config line, ...). */
  readonly vmFindings: readonly Finding[];
  /** Each VM's verdict, in the order given. */
  readonly verdicts: readonly VmVerdict[];
}

/** A VM config as the engine's request. */
export function requestOf(config: VmConfig): VmRequest {
  return {
    vm: config.vm,
    source: config.source,
    file: config.file,
    entries: config.passthru,
    findings: config.findings,
    guest: config.guest ?? null,
    ...(config.inactive === undefined ? {} : { inactive: config.inactive }),
  };
}

/**
 * Judges every VM config as a config check (no ownership) and files each VM-specific finding
 * under the device it names, or under the host's VM findings when it names none. Device-level
 * findings of the inventory are not repeated.
 */
export function judgeHost(
  vms: readonly VmConfig[],
  ctx: Omit<VerdictContext, "ownership">,
): HostVerdict {
  const byDevice = new Map<string, Finding[]>();
  const vmFindings: Finding[] = [];
  const verdicts: VmVerdict[] = [];
  const keyOf = new Map(
    ctx.inventory.devices.map((d) => [d.selector, addressKey(d.device.address)]),
  );
  for (const config of vms) {
    const verdict = judgeVm(requestOf(config), { ...ctx, ownership: null });
    verdicts.push(verdict);
    for (const f of verdict.findings) {
      if (f.vm === undefined) continue; // the inventory's own, about the device itself
      const key = f.device === undefined ? undefined : keyOf.get(f.device);
      if (key === undefined) vmFindings.push(f);
      else byDevice.set(key, [...(byDevice.get(key) ?? []), f]);
    }
  }
  return { byDevice, vmFindings, verdicts };
}

/**
 * The inventory with the verdict engine's findings filed in: each device gets the findings of
 * the VMs that pass it, the host the findings about VMs that name no device of it.
 */
export function withVerdicts(inventory: Inventory, verdict: HostVerdict): Inventory {
  const devices: InventoryDevice[] = [];
  const byKey = new Map<string, InventoryDevice>();
  for (const entry of inventory.devices) {
    const key = addressKey(entry.device.address);
    // A VM's finding that only repeats what the device carries already (a plugin's note given
    // by inspect and again by prestart) is not filed twice.
    const own = new Set(entry.findings.map((f) => `${f.code}\0${f.message}`));
    const extra = verdict.byDevice.get(key)?.filter((f) => !own.has(`${f.code}\0${f.message}`));
    const merged = extra === undefined || extra.length === 0
      ? entry
      : { ...entry, findings: sortFindings([...entry.findings, ...extra]) };
    devices.push(merged);
    byKey.set(key, merged);
  }
  return {
    ...inventory,
    host: {
      ...inventory.host,
      findings: sortFindings([...inventory.host.findings, ...verdict.vmFindings]),
    },
    devices,
    byKey,
  };
}
