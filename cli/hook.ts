/**
 * `pptkit hook prestart|poststop VM`: the entry point wrappers call around a VM's life
 * (DESIGN §12). The options are read here; the transactions are app/hook.ts.
 *
 * @module
 */

import { logged, poststop, prestart, warningLine } from "../app/hook.ts";
import { HookLog } from "../app/hook_log.ts";
import type { PrestartOptions } from "../app/hook.ts";
import type { VmSelection } from "../app/vm_start.ts";
import { type AddressToken, formatLabel, parseAddress } from "../core/address.ts";
import { ExitCode, usageError } from "../core/errors.ts";
import { withLocation } from "../core/findings.ts";
import { DEFAULT_STALE_AFTER_SECONDS } from "../core/ownership/locks.ts";
import { escapeControls } from "../core/text.ts";
import { suggest } from "./args.ts";
import { type Command, type Context, type OptionSpec, printJson, stringOption } from "./command.ts";
import { findingJson } from "./json.ts";
import { WRAPPER, wrapperOption } from "./options.ts";

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
const HOLDER: OptionSpec = {
  name: "holder",
  type: "string",
  value: "PID",
  help: "prestart: the wrapper process that stands for the VM while it starts and between " +
    "boots; its locks are free once neither it nor the VM's bhyve runs (default: the caller)",
};
const REBIND: OptionSpec = {
  name: "rebind",
  type: "boolean",
  help: "poststop: give the devices back to their host drivers (devctl clear driver -f)",
};

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

/** `--holder PID`: a process id; undefined when not given. */
function holderOption(ctx: Context): number | undefined {
  const text = stringOption(ctx, HOLDER);
  if (text === undefined) return undefined;
  let ok = text.length > 0 && text.length <= 10;
  for (let i = 0; ok && i < text.length; i++) ok = text[i] >= "0" && text[i] <= "9";
  if (!ok || Number(text) < 1) {
    throw usageError(
      `bad --holder "${text}": expected a process id like 4242`,
      'a shim passes its wrapper\'s pid: --holder "$PPID"',
    );
  }
  return Number(text);
}

/** Splits `--devices` on commas and blanks and parses each address (any spelling). */
export function parseDeviceList(text: string): AddressToken[] {
  const words = text.split(/[\s,]+/).filter((w) => w !== "");
  if (words.length === 0) {
    throw usageError("--devices names no device", "example: --devices 1/0/0,1/0/1");
  }
  return words.map((w) => parseAddress(w));
}

async function runPrestart(
  ctx: Context,
  vm: string,
  selection: VmSelection,
  options: PrestartOptions,
  log: HookLog,
): Promise<number> {
  const r = await prestart(await ctx.host(), await ctx.config(), vm, selection, options, log);
  const { quiet, verbose } = ctx.global;
  // Only a go prints warnings, one line each and without -v (the shims copy them into the
  // wrapper's log): a veto is one line (and its hint), nothing else. -v adds the info ones.
  for (const f of r.start.verdict.findings) {
    if (quiet || f.level === "error") continue;
    if (f.level === "warn") ctx.out.stderr(`pptkit: ${warningLine(vm, f)}\n`);
    else if (verbose) ctx.out.stderr(`pptkit: ${escapeControls(`VM ${vm}: ${withLocation(f)}`)}\n`);
  }
  for (const t of r.takenOver) if (!quiet) ctx.out.stderr(`pptkit: VM ${vm}: ${t.message}\n`);
  if (ctx.global.json) {
    printJson(ctx.out, "pptkit.hook/1", {
      action: "prestart",
      vm,
      source: r.start.request.source,
      ok: true,
      devices: r.start.devices.map(formatLabel),
      locked: r.locked.map(formatLabel),
      kept: r.kept.map(formatLabel),
      holder: r.holder,
      takenOver: r.takenOver.map((t) => ({
        device: formatLabel(t.address),
        from: t.from?.vm ?? null,
      })),
      findings: r.start.verdict.findings.map(findingJson),
    });
  } else if (verbose) {
    ctx.out.stdout(`${r.summary}\n`);
  }
  return ExitCode.Ok;
}

async function runPoststop(
  ctx: Context,
  vm: string,
  selection: VmSelection,
  rebind: boolean,
  log: HookLog,
): Promise<number> {
  const r = await poststop(await ctx.host(), await ctx.config(), vm, selection, rebind, log);
  for (const f of r.failed) {
    ctx.out.stderr(`pptkit: cannot give ${f.device} back to its host driver: ${f.why}\n`);
  }
  if (ctx.global.json) {
    printJson(ctx.out, "pptkit.hook/1", {
      action: "poststop",
      vm,
      ok: r.failed.length === 0,
      released: r.released.map(formatLabel),
      rebound: r.rebound,
      failed: r.failed.map((f) => f.device),
    });
  } else if (ctx.global.verbose) {
    ctx.out.stdout(
      `${r.summary}${r.rebound.length > 0 ? `; rebound ${r.rebound.join(" ")}` : ""}\n`,
    );
  }
  if (r.failed.length > 0) {
    ctx.out.stderr(
      "hint: check the driver with pciconf -l; a device in pptdevs goes back to ppt(4)\n",
    );
    return ExitCode.Failed;
  }
  return ExitCode.Ok;
}

export const hook: Command = {
  synopsis: "prestart|poststop [--wrapper NAME] [--devices LIST] [--stale-after SECONDS] " +
    "[--holder PID] [--log FILE] [--rebind] VM [ARGS...]",
  description: `
The entry point for VM wrappers. prestart checks that the VM can have its devices now: the
host has an IOMMU, every device is on ppt(4), eligible, and not held by another running VM,
its guest slots can be laid out, and no plugin objects (the same checks as pptkit check).
Then it records the VM as the owner of each device: one lock file per device in the run dir
(runDir in pptkit.jsonc, default /var/run/pptkit), created atomically, naming the holder: the
wrapper process that stands for the VM while it starts and between boots (--holder PID,
default the caller). The same VM may run prestart again (guest reboot) and keeps its locks.
Another VM's lock holds while that VM runs (a root bhyve process or /dev/vmm names it) or its
holder runs; once neither does, it is free at once and taken over. Where pptkit cannot see
the processes (no ps; an older snapshot's ps.txt), a lock of a VM in neither ps nor /dev/vmm
is stale after --stale-after seconds. A prestart that fails leaves no lock behind.

Exit 0 means go; each warning (a GPU without its audio function, no FLR, a fact pptkit
cannot know) is one line on stderr, and in --log FILE. Otherwise one line on stderr says why: 1 a check failed, 75 another VM holds
a device (try again once it has stopped), 66 no such VM, 65 or 78 a bad VM config, 73 or 77
the run dir cannot be written, 64 a bad command line. A fact pptkit cannot know (no acpidump
output) is a warning, not a veto.

poststop removes the VM's locks, and with --rebind returns each device it held (and those of
--devices, or of the config with --wrapper) to its host driver with devctl clear driver -f.

The devices come from --devices LIST, or from the VM's config: --wrapper reads only that
wrapper's, otherwise the configured sources are tried in order (native, hoster, vm-bhyve,
cbsd). Arguments after VM (vm-bhyve passes its dataset) are accepted and ignored; put -- in
front of any that start with a dash. Shims for vm-bhyve, CBSD, bmd, libvirt and plain
scripts are in hooks/.`,
  options: [WRAPPER, DEVICES, STALE_AFTER, HOLDER, LOG, REBIND],
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
    const devices = stringOption(ctx, DEVICES);
    const selection: VmSelection = {
      wrapper: wrapperOption(ctx, "hook"),
      devices: devices === undefined ? undefined : parseDeviceList(devices),
    };
    const staleAfterMs = staleAfterOption(ctx);
    const holder = holderOption(ctx);
    const rebind = ctx.options.rebind === true;
    if (rebind && action === "prestart") {
      throw usageError("--rebind is for poststop", "usage: pptkit hook poststop --rebind VM");
    }
    if (holder !== undefined && action === "poststop") {
      throw usageError(
        "--holder is for prestart",
        'usage: pptkit hook prestart --holder "$PPID" VM',
      );
    }
    const log = new HookLog(
      await ctx.host(),
      stringOption(ctx, LOG),
      (message) => ctx.out.stderr(`pptkit: warning: ${message}\n`),
    );
    return await logged(
      log,
      action,
      vm,
      () =>
        action === "prestart"
          ? runPrestart(ctx, vm, selection, { staleAfterMs, holder }, log)
          : runPoststop(ctx, vm, selection, rebind, log),
    );
  },
};
