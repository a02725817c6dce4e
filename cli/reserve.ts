/**
 * `pptkit reserve ADDR...`: put devices into pptdevs (packing over pptdevs, pptdevs2,
 * pptdevs3), ensure `vmm_load="YES"` and, on AMD hosts, `hw.vmm.amdvi.enable=1`; print the
 * unified diff. `--now` also binds them to ppt(4) at runtime with devctl. `cli/release.ts`
 * is the reverse and shares {@linkcode changeReservations}.
 *
 * Safety: the loader files are read and the new text computed while holding an exclusive
 * lock on `FILE.lock`, the new text is written atomically (temp file in the same directory,
 * fsync, rename) with the previous contents kept as `FILE.bak`; a failure at any point leaves
 * the file as it was. Bad input changes nothing.
 *
 * @module
 */

import {
  addressKey,
  formatBsf,
  formatSelector,
  parseAddress,
  type PciAddress,
} from "../core/address.ts";
import { unifiedDiff } from "../core/diff.ts";
import { type Finding, hasError } from "../core/eligibility.ts";
import { dataError, ExitCode, PptkitError } from "../core/errors.ts";
import type { Host } from "../core/host.ts";
import {
  type Inventory,
  type InventoryDevice,
  type LoaderFiles,
  readLoaderFiles,
} from "../core/inventory.ts";
import {
  editLoaderConf,
  isLoaderConfDropIn,
  LOADER_CONF,
  LOADER_CONF_DIR,
  type LoaderEdit,
  loaderFileOrder,
  parseLoaderConf,
} from "../core/loader_conf.ts";
import { type Command, type Context, type OptionSpec, printJson } from "./command.ts";
import { renderFindings } from "./findings.ts";
import { findingJson } from "./json.ts";
import { loadInventoryFor } from "./load.ts";

/** How long to wait for another pptkit that edits the same file. */
const LOCK_WAIT_MS = 10_000;

/** The options reserve and release share. */
export const CHANGE_OPTIONS: readonly OptionSpec[] = [
  { name: "dry-run", type: "boolean", help: "print the diff, write nothing" },
  {
    name: "now",
    type: "boolean",
    help: "also (un)bind at runtime with devctl (needs vmm.ko loaded)",
  },
  {
    name: "loader-conf",
    type: "string",
    value: "FILE",
    help: "edit FILE instead, e.g. a /boot/loader.conf.d drop-in",
    default: LOADER_CONF,
  },
];

/** One device named on the command line. */
interface Target {
  readonly text: string;
  readonly address: PciAddress;
  /** The device when the host has it (release may name a device that is gone). */
  readonly entry: InventoryDevice | undefined;
}

function resolveTargets(inventory: Inventory, texts: readonly string[], mustExist: boolean) {
  const targets: Target[] = [];
  for (const text of texts) {
    const token = parseAddress(text);
    const entry = token.address !== null
      ? inventory.byKey.get(addressKey(token.address))
      : inventory.devices.find((d) => d.device.name === token.name);
    if (token.split || token.pin !== null) {
      throw dataError(
        `${text}: a split (-) or pinned (=S:F) entry belongs in a VM config, not in pptdevs`,
        `name the device plainly: ${formatBsf(token.address!)}`,
      );
    }
    const address = entry?.device.address ?? token.address;
    if (address === null || (entry === undefined && mustExist)) {
      throw new PptkitError(
        ExitCode.DataError,
        `no PCI device at ${text} on ${inventory.hostDescription}`,
        "see the devices with: pptkit list --all",
      );
    }
    if (!targets.some((t) => formatSelector(t.address) === formatSelector(address))) {
      targets.push({ text, address, entry });
    }
  }
  return targets;
}

/** Findings that forbid reserving a device; `force` lifts the eligibility ones only. */
function refusal(entry: InventoryDevice, force: boolean): Finding | undefined {
  const structural = new Set(["domain-unsupported", "not-endpoint"]);
  return entry.findings.find((f) => f.level === "error" && (structural.has(f.code) || !force));
}

/** The loader files with `target` among them (a new drop-in joins the loader's order). */
async function filesWithTarget(host: Host, release: string | null, target: string) {
  const loader: LoaderFiles = await readLoaderFiles(host, release);
  if (loader.files.some((f) => f.path === target)) return { files: loader.files, read: true };
  const slash = target.lastIndexOf("/");
  const inDropInDir = target.slice(0, slash) === LOADER_CONF_DIR &&
    isLoaderConfDropIn(target.slice(slash + 1));
  const text = await host.readText(target);
  const conf = parseLoaderConf(text ?? "", target);
  if (inDropInDir) {
    const dropIns = [...((await host.readDir(LOADER_CONF_DIR)) ?? []), target.slice(slash + 1)];
    const order = loaderFileOrder(release, [...new Set(dropIns)]);
    const files = order.files.map((p) =>
      p === target ? conf : loader.files.find((f) => f.path === p) ?? parseLoaderConf("", p)
    );
    return { files, read: true };
  }
  // A file the loader never reads: edit it alone, and say so.
  return { files: [conf], read: false };
}

/** What a reserve or release run did. */
interface ChangeResult {
  readonly edit: LoaderEdit;
  readonly written: boolean;
  readonly bound: readonly string[];
  readonly findings: readonly Finding[];
  /** Where the previous file is (or would be) kept; null when the target did not exist. */
  readonly backup: string | null;
  /** B/S/F that `--now` (un)binds at runtime, or would in a dry run. */
  readonly runtime: readonly string[];
  readonly dryRun: boolean;
  readonly now: boolean;
}

/** devctl for each device; on a failure, undo the ones done and report which failed and why. */
async function runtimeBind(host: Host, targets: readonly Target[], bind: boolean) {
  const done: Target[] = [];
  for (const t of targets) {
    const sel = formatSelector(t.address);
    const args = bind ? ["set", "driver", "-f", sel, "ppt"] : ["clear", "driver", "-f", sel];
    const result = await host.run("devctl", args);
    if (result.code !== 0) {
      for (const u of done.reverse()) {
        const back = formatSelector(u.address);
        await host.run(
          "devctl",
          bind ? ["clear", "driver", "-f", back] : ["set", "driver", "-f", back, "ppt"],
        );
      }
      const why = result.stderr.trim().split("\n")[0] || `exit ${result.code}`;
      throw new PptkitError(
        ExitCode.Failed,
        `devctl ${args.join(" ")} failed: ${why}` +
          (done.length > 0
            ? ` (undid ${done.map((d) => formatSelector(d.address)).join(" ")})`
            : ""),
        bind
          ? "a device a VM uses cannot change drivers; nothing was changed"
          : "stop the VM that uses it; nothing was changed",
      );
    }
    done.push(t);
  }
  return done.map((t) => formatBsf(t.address)!);
}

/** The shared engine of reserve and release. */
export async function changeReservations(ctx: Context, mode: "reserve" | "release") {
  const host = await ctx.host();
  const inventory = await loadInventoryFor(ctx);
  const targets = resolveTargets(inventory, ctx.args, mode === "reserve");
  const force = ctx.options.force === true;
  const now = ctx.options.now === true;
  const dryRun = ctx.options["dry-run"] === true;
  const target = (ctx.options["loader-conf"] as string | undefined) ?? LOADER_CONF;

  for (const t of targets) {
    if (t.address.domain !== 0) {
      throw dataError(
        `cannot reserve ${formatSelector(t.address)}: it is in PCI domain ${t.address.domain}, ` +
          "and pptdevs can only name devices in domain 0",
      );
    }
    if (mode === "reserve" && t.entry !== undefined) {
      const why = refusal(t.entry, force);
      if (why !== undefined) {
        throw new PptkitError(
          ExitCode.DataError,
          `cannot reserve: ${why.message}`,
          why.code === "not-endpoint" || why.code === "domain-unsupported"
            ? why.fix
            : `${
              why.fix ?? "see: pptkit show " + formatBsf(t.address)
            }; --force reserves it anyway`,
        );
      }
    }
    if (mode === "release" && t.entry?.usedBy.some((u) => u.running)) {
      const vm = t.entry.usedBy.find((u) => u.running)!.vm;
      throw new PptkitError(
        ExitCode.TempFail,
        `cannot release ${formatBsf(t.address)}: VM ${vm} is running with it`,
        `stop ${vm} first`,
      );
    }
  }
  if (now && !dryRun && inventory.host.vmmLoaded !== true) {
    throw new PptkitError(
      ExitCode.Unavailable,
      `cannot ${mode === "reserve" ? "bind" : "unbind"} at runtime: vmm.ko is not loaded ` +
        "(ppt(4) is part of it)",
      "reboot after this change, or load vmm first (kldload vmm)",
    );
  }

  const addresses = targets.map((t) => t.address);
  const request = {
    add: mode === "reserve" ? addresses : [],
    remove: mode === "release" ? addresses : [],
    amdvi: mode === "reserve" && inventory.host.iommu === "amd-vi",
  };
  const compute = async () => {
    const { files, read } = await filesWithTarget(host, inventory.host.release, target);
    const edit = editLoaderConf(files, target, request);
    const notRead: Finding[] = read ? [] : [{
      level: "warn",
      code: "loader-conf-overridden",
      message: `the loader does not read ${target}: the change has no effect at boot`,
      fix: `use ${LOADER_CONF} or a ${LOADER_CONF_DIR}/*.conf drop-in`,
      file: target,
    }];
    // Broken pptdevs lines the loader rejects are worth saying even when this edit is fine.
    const syntax = inventory.host.findings.filter((f) => f.code.startsWith("pptdevs"));
    // writeFileAtomic keeps a backup only of a file that exists.
    const backup = (await host.stat(target)) === null ? null : `${target}.bak`;
    return { edit, backup, findings: [...notRead, ...syntax, ...edit.findings] };
  };
  const toBind = targets.filter((t) =>
    mode === "reserve" ? t.entry?.device.driver !== "ppt" : t.entry?.device.driver === "ppt"
  );
  const runtime = now ? toBind.map((t) => formatBsf(t.address)!) : [];

  if (dryRun) {
    const { edit, backup, findings } = await compute();
    return {
      edit,
      written: false,
      bound: [],
      findings,
      backup,
      runtime,
      dryRun,
      now,
    } satisfies ChangeResult;
  }
  // Check the request before anything happens (no lock file, no binding for bad input); it is
  // computed again under the lock, where another pptkit cannot change the files under it.
  await compute();
  // Bind first: if devctl fails, everything is undone and the file was never touched.
  const bound = now ? await runtimeBind(host, toBind, mode === "reserve") : [];
  try {
    return await host.withLock(`${target}.lock`, LOCK_WAIT_MS, async () => {
      const { edit, backup, findings } = await compute();
      if (edit.changed) {
        await host.writeFileAtomic(target, edit.text, { backup: `${target}.bak` });
      }
      const written = edit.changed;
      return {
        edit,
        written,
        bound,
        findings,
        backup,
        runtime,
        dryRun,
        now,
      } satisfies ChangeResult;
    });
  } catch (e) {
    if (bound.length > 0) {
      await runtimeBind(
        host,
        toBind.filter((t) => bound.includes(formatBsf(t.address)!)),
        mode !== "reserve",
      )
        .catch(() => {});
    }
    throw e;
  }
}

/**
 * The fields of `pptkit.reserve/1` and `pptkit.release/1` that say what changed, for
 * configuration management (Ansible's changed, check and diff modes): `changed` is exact (a
 * second identical run gives false), `files` holds one entry per file written or, in a dry
 * run, that would be, `rebootNeeded` says the change waits for the next boot (not applied at
 * runtime by --now).
 */
export function changeJson(r: ChangeResult, diff: string): Record<string, unknown> {
  const { edit } = r;
  return {
    changed: edit.changed || r.runtime.length > 0,
    dryRun: r.dryRun,
    files: edit.changed
      ? [{ path: edit.path, before: edit.oldText, after: edit.text, diff, backup: r.backup }]
      : [],
    rebootNeeded: edit.changed && !r.now,
  };
}

/** Prints what reserve or release did. */
export function reportChange(ctx: Context, mode: "reserve" | "release", r: ChangeResult): number {
  const { edit } = r;
  const diff = edit.changed ? unifiedDiff(edit.path, edit.path, edit.oldText, edit.text) : "";
  if (ctx.global.json) {
    printJson(ctx.out, `pptkit.${mode}/1`, {
      file: edit.path,
      written: r.written,
      added: edit.added,
      removed: edit.removed,
      bound: r.bound,
      reserved: edit.reserved.map((d) => d.bsf),
      diff,
      findings: r.findings.map(findingJson),
      ...changeJson(r, diff),
    });
    return 0;
  }
  if (r.findings.length > 0) ctx.out.stderr(renderFindings(r.findings, ctx.out.color));
  if (!edit.changed) {
    if (!ctx.global.quiet) {
      ctx.out.stdout(
        mode === "reserve"
          ? `nothing to do: ${ctx.args.join(" ")} already reserved in ${edit.path}\n`
          : `nothing to do: ${ctx.args.join(" ")} not reserved in ${edit.path}\n`,
      );
    }
    return 0;
  }
  ctx.out.stdout(diff);
  if (ctx.global.quiet) return 0;
  const what = mode === "reserve" ? edit.added : edit.removed;
  const verb = mode === "reserve" ? "reserved" : "released";
  if (!r.written) {
    ctx.out.stdout(`dry run: ${edit.path} not changed\n`);
  } else if (r.bound.length > 0) {
    ctx.out.stdout(
      `${verb} ${what.join(" ")} in ${edit.path} and ${mode === "reserve" ? "bound" : "unbound"} ${
        r.bound.join(" ")
      } now; previous file kept as ${edit.path}.bak\n`,
    );
  } else {
    ctx.out.stdout(
      `${verb} ${what.join(" ")} in ${edit.path}; previous file kept as ${edit.path}.bak\n` +
        `reboot to apply (or run: pptkit ${mode} --now ${ctx.args.join(" ")})\n`,
    );
  }
  return hasError(r.findings) ? 1 : 0;
}

export const reserve: Command = {
  synopsis: "ADDR... [--dry-run] [--now] [--force] [--loader-conf FILE]",
  description: `
Reserves devices for ppt(4) at boot: adds their B/S/F to pptdevs in /boot/loader.conf,
spilling into pptdevs2 and pptdevs3 so that no value exceeds 128 characters (existing
entries stay where they are), adds vmm_load="YES" at the top when it is missing and, on
AMD hosts, hw.vmm.amdvi.enable=1. Prints the unified diff of the change; the previous file is
kept as loader.conf.bak. Refuses bridges, devices outside PCI domain 0 and, unless --force,
devices that cannot be passed through (no MSI/MSI-X, part of the host platform). Running it
twice changes nothing the second time. The change takes effect at the next boot; --now also
binds the devices at once with devctl set driver -f SEL ppt (undone if any of them fails).`,
  options: [
    ...CHANGE_OPTIONS,
    { name: "force", type: "boolean", help: "reserve devices that look ineligible" },
  ],
  args: { min: 1, max: Infinity },
  examples: [
    ["The guide's GPU and its audio function", "pptkit reserve 1/0/0 1/0/1"],
    ["See what would change", "pptkit reserve --dry-run pci0:3:0:0"],
    [
      "Keep pptkit's lines in a drop-in",
      "pptkit reserve 3/0/0 --loader-conf /boot/loader.conf.d/ppt.conf",
    ],
  ],
  async run(ctx) {
    return reportChange(ctx, "reserve", await changeReservations(ctx, "reserve"));
  },
};
