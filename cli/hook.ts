/**
 * `pptkit hook prestart|poststop VM`: the entry point wrappers call around a VM's life
 * (DESIGN §12).
 *
 * prestart: collect the VM's devices (`--devices LIST`, or its config: `--wrapper`, else every
 * configured source), check the host and each device (IOMMU, on ppt(4), not held by another
 * running VM, eligible, plugins' prestart hooks), then lock the devices in the run dir.
 * Exit 0 = go; otherwise one line on stderr, `pptkit: VM vm1 cannot start: <reason>`, plus a
 * `hint:` line: 1 when a check fails, 75 when another VM holds a device (try again when it has
 * stopped), 64-78 for the usual errors (unknown VM 66, bad config 65/78, run dir not writable
 * 73/77). A fact pptkit cannot know (no acpidump output) is a warning, not a veto.
 *
 * poststop: drop the VM's locks; `--rebind` also returns each device to its host driver with
 * `devctl clear driver -f SEL`.
 *
 * `checkVmStart` is shared with `pptkit check --vm VM`, which runs the same checks without
 * taking locks.
 *
 * @module
 */

import {
  addressKey,
  type AddressToken,
  formatBsf,
  formatSelector,
  parseAddress,
  type PciAddress,
} from "../core/address.ts";
import type { PptkitConfig } from "../core/config.ts";
import type { Finding } from "../core/findings.ts";
import { ExitCode, PptkitError, usageError } from "../core/errors.ts";
import { appendLog, currentUid, type Host, processIds } from "../core/host.ts";
import {
  acquireLocks,
  DEFAULT_STALE_AFTER_SECONDS,
  releaseLocks,
  type VmCheckReport,
  vmFindings,
} from "../core/ownership.ts";
import type { Entry, VmSource } from "../core/vms/index.ts";
import { checkVmName, VM_SOURCES } from "../core/vms/types.ts";
import { suggest } from "./args.ts";
import { type Command, type Context, type OptionSpec, printJson, stringOption } from "./command.ts";
import { findingJson } from "./json.ts";
import { type HostState, loadConfigFor, loadHostState, type VmScope } from "./load.ts";

const WRAPPER: OptionSpec = {
  name: "wrapper",
  type: "string",
  value: "NAME",
  help: "read the VM's devices from this wrapper's config: native, hoster, vm-bhyve or cbsd " +
    "(default: every configured source)",
};
const DEVICES: OptionSpec = {
  name: "devices",
  type: "string",
  value: "LIST",
  help: "the VM's devices, separated by commas or blanks (1/0/0,1/0/1), instead of a config",
};
const STALE_AFTER: OptionSpec = {
  name: "stale-after",
  type: "string",
  value: "SECONDS",
  help: "a lock of a VM that is not running is stale after this long",
  default: String(DEFAULT_STALE_AFTER_SECONDS),
};
const LOG: OptionSpec = {
  name: "log",
  type: "string",
  value: "FILE",
  help: "append what happened to FILE, one syslog-style line each",
};
const REBIND: OptionSpec = {
  name: "rebind",
  type: "boolean",
  help: "poststop: give the devices back to their host drivers (devctl clear driver -f)",
};

/** Where the VM's devices come from: `--devices`, or one wrapper's config. */
export interface VmSpec {
  readonly vm: string;
  /** `--devices`, or the config source. */
  readonly source: VmSource | "--devices";
  /** The config file; null for `--devices`. */
  readonly file: string | null;
  /** The entries as written; a device name (`ppt0`) is resolved against the host later. */
  readonly tokens: readonly { readonly token: AddressToken; readonly entry: Entry | null }[];
  /** Warnings and notes about the config (its errors are thrown before). */
  readonly findings: readonly Finding[];
}

/** Options that say where a VM's devices come from. */
export interface VmSelection {
  readonly wrapper?: VmSource;
  readonly devices?: string;
}

/** `--wrapper` value, checked; undefined when absent. */
export function wrapperOption(ctx: Context): VmSource | undefined {
  const value = stringOption(ctx, WRAPPER);
  if (value === undefined) return undefined;
  if ((VM_SOURCES as readonly string[]).includes(value)) return value as VmSource;
  const near = suggest(value, VM_SOURCES);
  throw usageError(
    `unknown wrapper "${value}": expected native, hoster, vm-bhyve or cbsd`,
    near === undefined ? "see: pptkit hook --help" : `did you mean "${near}"?`,
  );
}

/** `--stale-after` in ms. */
function staleAfterOption(ctx: Context): number {
  const text = stringOption(ctx, STALE_AFTER) ?? String(DEFAULT_STALE_AFTER_SECONDS);
  let ok = text.length > 0 && text.length <= 9;
  for (let i = 0; ok && i < text.length; i++) ok = text[i] >= "0" && text[i] <= "9";
  if (!ok) {
    throw usageError(
      `bad --stale-after "${text}": expected whole seconds like 120`,
      "see: pptkit hook --help",
    );
  }
  return Number(text) * 1000;
}

/** Splits `--devices` on commas and blanks and parses each address (any spelling). */
export function parseDeviceList(text: string): AddressToken[] {
  const words = text.split(/[\s,]+/).filter((w) => w !== "");
  if (words.length === 0) {
    throw usageError("--devices names no device", "example: --devices 1/0/0,1/0/1");
  }
  return words.map((w) => parseAddress(w));
}

/** The VM's devices from `--devices` or its config. Throws 66 / 65 / 78 for config trouble. */
export async function readVmSpec(
  host: Host,
  config: PptkitConfig,
  vm: string,
  selection: VmSelection,
): Promise<VmSpec> {
  checkVmName(vm);
  if (selection.devices !== undefined) {
    if (selection.wrapper !== undefined) {
      throw usageError(
        "--devices and --wrapper exclude each other",
        "--devices names the devices; --wrapper reads them from a VM config",
      );
    }
    const tokens = parseDeviceList(selection.devices);
    return {
      vm,
      source: "--devices",
      file: null,
      tokens: tokens.map((token) => ({ token, entry: null })),
      findings: [],
    };
  }
  const { loadVmConfig, requireUsable } = await import("../core/vms/index.ts");
  const found = requireUsable(await loadVmConfig(host, config, vm, selection.wrapper));
  return {
    vm,
    source: found.source,
    file: found.file,
    tokens: found.passthru.map((entry) => ({ token: entry.token, entry })),
    findings: [...found.findings],
  };
}

/** A VM's start, checked. */
export interface VmStartCheck {
  readonly spec: VmSpec;
  readonly state: HostState;
  /** The devices that could be resolved, in config order. */
  readonly devices: PciAddress[];
  readonly report: VmCheckReport;
  readonly now: number;
  readonly staleAfterMs: number;
}

/** Resolves the spec's tokens; names no device has become unknown-device findings. */
function resolveTokens(
  spec: VmSpec,
  state: HostState,
): { devices: PciAddress[]; entries: Entry[]; findings: Finding[] } {
  const devices: PciAddress[] = [];
  const entries: Entry[] = [];
  const findings: Finding[] = [];
  spec.tokens.forEach(({ token, entry }, i) => {
    let address = token.address;
    if (address === null) {
      const named = state.inventory.devices.find((d) => d.device.name === token.name);
      if (named === undefined) {
        findings.push({
          level: "error",
          code: "unknown-device",
          message: `VM ${spec.vm} names ${token.text}, but ${state.inventory.hostDescription} ` +
            "has no device of that name",
          fix: "name devices by B/S/F (see: pptkit list); unit numbers change between boots",
        });
        return;
      }
      address = named.device.address;
    }
    devices.push(address);
    entries.push(entry ?? { token, address, line: i + 1, options: {} });
  });
  return { devices, entries, findings };
}

/** Runs the plugins' prestart hooks over the VM's entries. */
async function pluginFindings(
  state: HostState,
  vm: string,
  entries: readonly Entry[],
): Promise<Finding[]> {
  if (entries.length === 0) return [];
  const { loadPlugins } = await import("../core/plugins.ts");
  const { pluginContext } = await import("../core/vms/usage.ts");
  const registry = await loadPlugins({ host: state.host, config: state.config, uid: currentUid() });
  // A refused community plugin is the host's problem, not this VM's: it warns, never vetoes.
  // (Taken before prestart runs: a plugin failing in it reports through prestart's result.)
  const loading: Finding[] = registry.findings.map((f) =>
    f.level === "error" ? { ...f, level: "warn" as const } : f
  );
  const { inventory } = state;
  const reports: Finding[] = [];
  const ctx = pluginContext(
    inventory.devices.map((d) => d.device),
    vm,
    (device) =>
      (inventory.byKey.get(addressKey(device.address))?.usedBy ?? [])
        .filter((u) => (VM_SOURCES as readonly string[]).includes(u.source))
        .map((u) => ({ vm: u.vm, source: u.source as VmSource, running: u.running })),
    (f) => reports.push(f),
  );
  const found = registry.prestart({
    name: vm,
    entries: entries.map((entry, index) => ({
      index,
      entry,
      device: inventory.byKey.get(addressKey(entry.address))?.device ?? null,
      grouping: "auto",
      reason: null,
    })),
  }, ctx);
  return [...loading, ...found, ...reports];
}

/**
 * The prestart checks for a VM, without taking locks (hook prestart, check --vm). The hook
 * reads only the configs of running VMs (all a holder can be); `check --vm` reads every
 * config (`scope` "all"), so that its device lines show who else names a device.
 */
export async function checkVmStart(
  ctx: Context,
  vm: string,
  selection: VmSelection,
  staleAfterMs = DEFAULT_STALE_AFTER_SECONDS * 1000,
  scope: VmScope = "running",
): Promise<VmStartCheck> {
  const host = await ctx.host();
  const config = await loadConfigFor(ctx, host);
  const spec = await readVmSpec(host, config, vm, selection);
  // The hook looks at the VM's own host slots only (siblings included, for the plugins);
  // a device named by its unit (ppt0) needs the whole listing to be found.
  const addresses = spec.tokens.map(({ token }) => token.address);
  const slots = scope === "running" && addresses.every((a) => a !== null)
    ? addresses as PciAddress[]
    : undefined;
  const state = await loadHostState(ctx, { vms: scope, except: vm, config, slots });
  const now = Date.now();
  const { devices, entries, findings } = resolveTokens(spec, state);
  const plugins = await pluginFindings(state, vm, entries);
  const report = vmFindings({
    vm,
    devices,
    inventory: state.inventory,
    locks: state.locks,
    running: state.running,
    now,
    staleAfterMs,
    extra: [...findings, ...spec.findings, ...plugins],
  });
  return { spec, state, devices, report, now, staleAfterMs };
}

/** The one-line veto for a failed check, with its exit code. */
export function vetoError(vm: string, report: VmCheckReport): PptkitError {
  const [first, ...rest] = report.errors;
  const more = rest.length > 0 ? ` (and ${rest.length} more)` : "";
  return new PptkitError(
    report.busy ? ExitCode.TempFail : ExitCode.Failed,
    `VM ${vm} cannot start: ${first.message}${more}`,
    first.fix,
  );
}

function bsfList(devices: readonly PciAddress[]): string {
  return devices.map((d) => formatBsf(d) ?? formatSelector(d)).join(" ");
}

/** Findings a hook prints on a go: facts it could not know; with -v every warning. */
const UNKNOWN_FACTS = new Set(["iommu-unknown", "lock-unreadable", "plugin"]);

// ---------------------------------------------------------------------------------------------
// --log FILE

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `Nov 27 02:36:02 host pptkit[123]: message`, the way syslogd writes /var/log/messages. */
export function syslogLine(date: Date, hostname: string, pid: number, message: string): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = `${MONTHS[date.getMonth()]} ${String(date.getDate()).padStart(2, " ")} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  return `${stamp} ${hostname} pptkit[${pid}]: ${message}\n`;
}

/** The short host name from rc.conf(5) `hostname=` (rc.conf.local wins), else `localhost`. */
async function hostName(host: Host): Promise<string> {
  let name = "";
  for (const file of ["/etc/rc.conf", "/etc/rc.conf.local"]) {
    const text = await host.readText(file).catch(() => null);
    for (const line of (text ?? "").split("\n")) {
      const t = line.trim();
      if (!t.startsWith("hostname=")) continue;
      const value = t.slice("hostname=".length);
      const quote = value[0] === '"' || value[0] === "'" ? value[0] : null;
      const end = quote === null ? value.search(/[\s#]|$/) : value.indexOf(quote, 1);
      const word = quote === null ? value.slice(0, end) : value.slice(1, end < 0 ? undefined : end);
      if (word !== "") name = word;
    }
  }
  const short = name.split(".")[0];
  return short === undefined || short === "" ? "localhost" : short;
}

/** Appends lines to `--log FILE`; a log that cannot be written is a warning, never a veto. */
class HookLog {
  private hostname: string | null = null;
  constructor(
    private readonly file: string | undefined,
    private readonly ctx: Context,
    private readonly pid: number,
  ) {}

  async write(message: string): Promise<void> {
    if (this.file === undefined) return;
    try {
      this.hostname ??= await hostName(await this.ctx.host()).catch(() => "localhost");
      await appendLog(this.file, syslogLine(new Date(), this.hostname, this.pid, message));
    } catch (e) {
      const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
      this.ctx.out.stderr(`pptkit: warning: cannot write the log ${this.file}: ${why}\n`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The command

async function prestart(
  ctx: Context,
  vm: string,
  selection: VmSelection,
  staleAfterMs: number,
  log: HookLog,
): Promise<number> {
  const check = await checkVmStart(ctx, vm, selection, staleAfterMs);
  const { report, state, devices } = check;
  if (report.errors.length > 0) throw vetoError(vm, report);
  const { quiet, verbose } = ctx.global;
  const { pid, ppid } = processIds();
  const result = await acquireLocks(state.host, devices, {
    runDir: state.config.runDir,
    owner: { vm, pid, ppid, now: Date.now() },
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
  // Only a go prints warnings: a veto is one line (and its hint), nothing else.
  for (const f of report.findings) {
    if (quiet || f.level === "error") continue;
    if (verbose || (f.level === "warn" && UNKNOWN_FACTS.has(f.code))) {
      ctx.out.stderr(`pptkit: ${f.level === "warn" ? "warning: " : ""}VM ${vm}: ${f.message}\n`);
    }
  }
  for (const t of result.takenOver) {
    if (!quiet) ctx.out.stderr(`pptkit: VM ${vm}: ${t.message}\n`);
    await log.write(`VM ${vm}: ${t.message}`);
  }
  const summary = devices.length === 0
    ? `VM ${vm} may start: it has no passthru devices`
    : `VM ${vm} may start: holds ${bsfList(devices)}` +
      (result.kept.length > 0 ? ` (${bsfList(result.kept)} from an earlier prestart)` : "");
  await log.write(`prestart ${summary}`);
  if (ctx.global.json) {
    printJson(ctx.out, "pptkit.hook/1", {
      action: "prestart",
      vm,
      source: check.spec.source,
      ok: true,
      devices: devices.map((d) => formatBsf(d) ?? formatSelector(d)),
      locked: result.created.map((d) => formatBsf(d) ?? formatSelector(d)),
      kept: result.kept.map((d) => formatBsf(d) ?? formatSelector(d)),
      takenOver: result.takenOver.map((t) => ({
        device: formatBsf(t.address) ?? formatSelector(t.address),
        from: t.from?.vm ?? null,
      })),
      findings: report.findings.map(findingJson),
    });
  } else if (verbose) {
    ctx.out.stdout(`${summary}\n`);
  }
  return ExitCode.Ok;
}

async function poststop(
  ctx: Context,
  vm: string,
  selection: VmSelection,
  rebind: boolean,
  log: HookLog,
): Promise<number> {
  checkVmName(vm);
  const host = await ctx.host();
  const config = await loadConfigFor(ctx, host);
  // Locks first: whatever goes wrong with --rebind afterwards, the VM's locks are gone.
  const { released } = await releaseLocks(host, config.runDir, vm);
  const releasedAddresses = released.map((l) => l.address);
  const summary = released.length === 0
    ? `VM ${vm} stopped: it held no locks`
    : `VM ${vm} stopped: released ${bsfList(releasedAddresses)}`;
  await log.write(`poststop ${summary}`);
  // The devices to give back besides the released ones: --devices, or the config (--wrapper).
  const named: PciAddress[] = [];
  if (rebind && (selection.devices !== undefined || selection.wrapper !== undefined)) {
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
  const rebound: string[] = [];
  const failed: string[] = [];
  if (rebind) {
    const seen = new Set<string>();
    for (const address of [...releasedAddresses, ...named]) {
      const key = addressKey(address);
      if (seen.has(key)) continue;
      seen.add(key);
      const label = formatBsf(address) ?? formatSelector(address);
      const r = await host.run("devctl", ["clear", "driver", "-f", formatSelector(address)]);
      if (r.code === 0) {
        rebound.push(label);
        continue;
      }
      const why = (r.stderr.trim().split("\n")[0] ?? "") || `exit ${r.code}`;
      failed.push(label);
      ctx.out.stderr(`pptkit: cannot give ${label} back to its host driver: ${why}\n`);
      await log.write(
        `poststop VM ${vm}: devctl clear driver -f ${formatSelector(address)}: ${why}`,
      );
    }
    if (rebound.length > 0) await log.write(`poststop VM ${vm}: rebound ${rebound.join(" ")}`);
  }
  if (ctx.global.json) {
    printJson(ctx.out, "pptkit.hook/1", {
      action: "poststop",
      vm,
      ok: failed.length === 0,
      released: releasedAddresses.map((d) => formatBsf(d) ?? formatSelector(d)),
      rebound,
      failed,
    });
  } else if (ctx.global.verbose) {
    ctx.out.stdout(`${summary}${rebound.length > 0 ? `; rebound ${rebound.join(" ")}` : ""}\n`);
  }
  if (failed.length > 0) {
    ctx.out.stderr(
      "hint: check the driver with pciconf -l; a device in pptdevs goes back to ppt(4)\n",
    );
    return ExitCode.Failed;
  }
  return ExitCode.Ok;
}

export const hook: Command = {
  synopsis: "prestart|poststop [--wrapper NAME] [--devices LIST] [--stale-after SECONDS] " +
    "[--log FILE] [--rebind] VM [ARGS...]",
  description: `
The entry point for VM wrappers. prestart checks that the VM can have its devices now: the
host has an IOMMU, every device is on ppt(4), eligible, and not held by another running VM,
and no plugin objects. Then it records the VM as the owner of each device: one lock file per
device in the run dir (runDir in pptkit.jsonc, default /var/run/pptkit), created atomically.
The same VM may run prestart again (guest reboot) and keeps its locks. A lock whose VM is
neither in ps nor in /dev/vmm is stale after --stale-after seconds and is taken over. A
prestart that fails leaves no lock behind.

Exit 0 means go. Otherwise one line on stderr says why: 1 a check failed, 75 another VM holds
a device (try again once it has stopped), 66 no such VM, 65 or 78 a bad VM config, 73 or 77
the run dir cannot be written, 64 a bad command line. A fact pptkit cannot know (no acpidump
output) is a warning, not a veto.

poststop removes the VM's locks, and with --rebind returns each device it held (and those of
--devices, or of the config with --wrapper) to its host driver with devctl clear driver -f.

The devices come from --devices LIST, or from the VM's config: --wrapper reads only that
wrapper's, otherwise the configured sources are tried in order (native, hoster, vm-bhyve,
cbsd). Arguments after VM (vm-bhyve passes its dataset) are accepted and ignored; put -- in
front of any that start with a dash. Shims for vm-bhyve, CBSD and plain scripts are in
hooks/.`,
  options: [WRAPPER, DEVICES, STALE_AFTER, LOG, REBIND],
  args: { min: 2, max: Infinity },
  examples: [
    [
      "Before bhyve starts vm1 with the GPU and its audio",
      "pptkit hook prestart --devices 1/0/0,1/0/1 vm1",
    ],
    ["After vm1 stopped", "pptkit hook poststop vm1"],
    [
      "vm-bhyve's prestart (see hooks/vm-bhyve-prestart)",
      "pptkit hook prestart --wrapper vm-bhyve vm1",
    ],
  ],
  async run(ctx) {
    const [action, vm] = ctx.args;
    if (action !== "prestart" && action !== "poststop") {
      const near = suggest(action, ["prestart", "poststop"]);
      throw usageError(
        `unknown hook "${action}": expected prestart or poststop`,
        near === undefined ? "see: pptkit hook --help" : `did you mean "${near}"?`,
      );
    }
    const selection: VmSelection = {
      wrapper: wrapperOption(ctx),
      devices: stringOption(ctx, DEVICES),
    };
    const staleAfterMs = staleAfterOption(ctx);
    const rebind = ctx.options.rebind === true;
    if (rebind && action === "prestart") {
      throw usageError("--rebind is for poststop", "usage: pptkit hook poststop --rebind VM");
    }
    const log = new HookLog(stringOption(ctx, LOG), ctx, processIds().pid);
    try {
      return action === "prestart"
        ? await prestart(ctx, vm, selection, staleAfterMs, log)
        : await poststop(ctx, vm, selection, rebind, log);
    } catch (e) {
      if (e instanceof PptkitError) {
        const text = e.message.startsWith(`VM ${vm} `)
          ? e.message
          : `${action} VM ${vm}: ${e.message}`;
        await log.write(text);
      }
      throw e;
    }
  },
};
