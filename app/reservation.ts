/**
 * The reservation transaction of `reserve` and `release`: put devices into pptdevs (or take
 * them out), ensure `vmm_load="YES"` and, on AMD hosts, `hw.vmm.amdvi.enable=1`; `now` also
 * (un)binds them at runtime with devctl.
 *
 * Safety: the request is checked before anything happens (bad input creates no lock file and
 * binds nothing); devctl runs first and is undone when any device fails; then, holding an
 * exclusive lock on `FILE.lock`, the loader files are read again, the new text computed and
 * written atomically (temp file in the same directory, fsync, rename) with the previous contents
 * kept as `FILE.bak`. A failure at any point leaves the file as it was.
 *
 * @module
 */

import {
  addressKey,
  formatLabel,
  formatSelector,
  parseAddress,
  type PciAddress,
} from "../core/address.ts";
import { dataError, ExitCode, PptkitError } from "../core/errors.ts";
import type { Finding } from "../core/findings.ts";
import type { Host } from "../core/host/host.ts";
import type { Inventory, InventoryDevice } from "../core/inventory.ts";
import { editLoaderConf, type LoaderEdit } from "../core/loader/edit.ts";
import { parseLoaderConf } from "../core/loader/lines.ts";
import { isLoaderConfDropIn, loaderFileOrder } from "../core/loader/order.ts";
import { LOADER_CONF, LOADER_CONF_DIR } from "../core/paths.ts";
import { readLoaderFiles } from "./host_state.ts";

/** How long to wait for another pptkit that edits the same file. */
const LOCK_WAIT_MS = 10_000;

/** reserve or release. */
export type ChangeMode = "reserve" | "release";

/** What to change, and how. */
export interface ChangeRequest {
  readonly mode: ChangeMode;
  /** The devices as the command line names them (any spelling). */
  readonly devices: readonly string[];
  /** reserve a device whose own findings say it cannot be passed through. */
  readonly force: boolean;
  /** Also (un)bind at runtime with devctl. */
  readonly now: boolean;
  /** Compute and report, write nothing. */
  readonly dryRun: boolean;
  /** The file to edit (default /boot/loader.conf). */
  readonly loaderConf: string;
}

/** What a reserve or release run did. */
export interface ChangeResult {
  readonly edit: LoaderEdit;
  readonly written: boolean;
  /** B/S/F bound (reserve) or unbound (release) at runtime. */
  readonly bound: readonly string[];
  readonly findings: readonly Finding[];
  /** Where the previous file is (or would be) kept; null when the target did not exist. */
  readonly backup: string | null;
  /** B/S/F that `now` (un)binds at runtime, or would in a dry run. */
  readonly runtime: readonly string[];
  readonly dryRun: boolean;
  readonly now: boolean;
}

/** One device named on the command line. */
interface Target {
  readonly text: string;
  readonly address: PciAddress;
  /** The device when the host has it (release may name a device that is gone). */
  readonly entry: InventoryDevice | undefined;
}

function resolveTargets(
  inventory: Inventory,
  texts: readonly string[],
  mustExist: boolean,
): Target[] {
  const targets: Target[] = [];
  for (const text of texts) {
    const token = parseAddress(text);
    const entry = token.address !== null
      ? inventory.byKey.get(addressKey(token.address))
      : inventory.devices.find((d) => d.device.name === token.name);
    if (token.split || token.pin !== null) {
      throw dataError(
        `${text}: a split (-) or pinned (=S:F) entry belongs in a VM config, not in pptdevs`,
        `name the device plainly: ${formatLabel(token.address!)}`,
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
    if (!targets.some((t) => addressKey(t.address) === addressKey(address))) {
      targets.push({ text, address, entry });
    }
  }
  return targets;
}

/**
 * The finding that forbids reserving a device: an error about the device itself (a finding
 * about a VM's use of it, such as not being on ppt(4) yet, is what reserving fixes). `force`
 * lifts all but the structural ones.
 */
function refusal(entry: InventoryDevice, force: boolean): Finding | undefined {
  const structural = new Set(["domain-unsupported", "not-endpoint"]);
  return entry.findings.find((f) =>
    f.vm === undefined && f.level === "error" && (structural.has(f.code) || !force)
  );
}

/** Refuses what cannot be done before anything happens. */
function checkTargets(targets: readonly Target[], inventory: Inventory, request: ChangeRequest) {
  const { mode } = request;
  for (const t of targets) {
    if (t.address.domain !== 0) {
      throw dataError(
        `cannot reserve ${formatSelector(t.address)}: it is in PCI domain ${t.address.domain}, ` +
          "and pptdevs can only name devices in domain 0",
      );
    }
    if (mode === "reserve" && t.entry !== undefined) {
      const why = refusal(t.entry, request.force);
      if (why !== undefined) {
        throw new PptkitError(
          ExitCode.DataError,
          `cannot reserve: ${why.message}`,
          why.code === "not-endpoint" || why.code === "domain-unsupported"
            ? why.fix
            : `${why.fix ?? "see: pptkit show " + formatLabel(t.address)}; --force reserves ` +
              "it anyway",
        );
      }
    }
    if (mode === "release" && t.entry?.usedBy.some((u) => u.running)) {
      const vm = t.entry.usedBy.find((u) => u.running)!.vm;
      throw new PptkitError(
        ExitCode.TempFail,
        `cannot release ${formatLabel(t.address)}: VM ${vm} is running with it`,
        `stop ${vm} first`,
      );
    }
  }
  if (request.now && !request.dryRun && inventory.host.vmmLoaded !== true) {
    throw new PptkitError(
      ExitCode.Unavailable,
      `cannot ${mode === "reserve" ? "bind" : "unbind"} at runtime: vmm.ko is not loaded ` +
        "(ppt(4) is part of it)",
      "reboot after this change, or load vmm first (kldload vmm)",
    );
  }
}

/** The loader files with `target` among them (a new drop-in joins the loader's order). */
async function filesWithTarget(host: Host, release: string | null, target: string) {
  const loader = await readLoaderFiles(host, release);
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
  return done.map((t) => formatLabel(t.address));
}

/** Reserves or releases devices (see the module comment). */
export async function changeReservations(
  host: Host,
  inventory: Inventory,
  request: ChangeRequest,
): Promise<ChangeResult> {
  const { mode, loaderConf: target } = request;
  const targets = resolveTargets(inventory, request.devices, mode === "reserve");
  checkTargets(targets, inventory, request);
  const addresses = targets.map((t) => t.address);
  const edit = {
    add: mode === "reserve" ? addresses : [],
    remove: mode === "release" ? addresses : [],
    amdvi: mode === "reserve" && inventory.host.iommu === "amd-vi",
  };
  const compute = async () => {
    const { files, read } = await filesWithTarget(host, inventory.host.release, target);
    const result = editLoaderConf(files, target, edit);
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
    return { edit: result, backup, findings: [...notRead, ...syntax, ...result.findings] };
  };
  const toBind = targets.filter((t) =>
    mode === "reserve" ? t.entry?.device.driver !== "ppt" : t.entry?.device.driver === "ppt"
  );
  const runtime = request.now ? toBind.map((t) => formatLabel(t.address)) : [];
  const done = { runtime, dryRun: request.dryRun, now: request.now };

  if (request.dryRun) {
    const { edit, backup, findings } = await compute();
    return { edit, written: false, bound: [], findings, backup, ...done };
  }
  // Check the request before anything happens (no lock file, no binding for bad input); it is
  // computed again under the lock, where another pptkit cannot change the files under it.
  await compute();
  // Bind first: if devctl fails, everything is undone and the file was never touched.
  const bound = request.now ? await runtimeBind(host, toBind, mode === "reserve") : [];
  try {
    return await host.withLock(`${target}.lock`, LOCK_WAIT_MS, async () => {
      const { edit, backup, findings } = await compute();
      if (edit.changed) {
        await host.writeFileAtomic(target, edit.text, { backup: `${target}.bak` });
      }
      return { edit, written: edit.changed, bound, findings, backup, ...done };
    });
  } catch (e) {
    if (bound.length > 0) {
      await runtimeBind(
        host,
        toBind.filter((t) => bound.includes(formatLabel(t.address))),
        mode !== "reserve",
      ).catch(() => {});
    }
    throw e;
  }
}
