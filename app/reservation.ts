/**
 * The reservation transaction of `reserve` and `release`: put devices into pptdevs (or take
 * them out), ensure `vmm_load="YES"` and, on AMD hosts, `hw.vmm.amdvi.enable=1`; `now` also
 * (un)binds them at runtime with devctl.
 *
 * What is refused, before anything happens (bad input creates no lock file and binds nothing):
 * a device pptdevs cannot name or ppt(4) never takes (outside PCI domain 0, a bridge); each risk
 * of core/reservability.ts `reservationRisks` (a device the host needs, no MSI, a configured SR-IOV
 * PF, a host that is not amd64) unless its own code is in `allow`; a device a running VM holds
 * (release); an edit that would not count because a file the loader reads later sets the same
 * variable (the edit goes where pptdevs lives unless a file is named).
 *
 * Safety: devctl runs first and is undone when any device fails; then, holding an exclusive
 * lock on `FILE.lock`, the loader files are read again, the new text computed and written
 * atomically (temp file in the same directory, fsync, rename) with the previous contents kept
 * as `FILE.bak` and a timestamped copy in the history (app/backups.ts). A failure at any point
 * leaves the file as it was. A file that is a symbolic link is never written through.
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
import { dataError, ExitCode, PptkitError, usageError } from "../core/errors.ts";
import type { Finding } from "../core/findings.ts";
import type { Host } from "../core/host/host.ts";
import { type Inventory, type InventoryDevice, slotSiblings } from "../core/inventory.ts";
import { editLoaderConf, type LoaderEdit, pptdevsHome } from "../core/loader/edit.ts";
import { parseLoaderConf } from "../core/loader/lines.ts";
import { isLoaderConfDropIn, loaderFileOrder } from "../core/loader/order.ts";
import { LOADER_CONF, LOADER_CONF_DIR } from "../core/paths.ts";
import { nearest } from "../core/text.ts";
import {
  ALLOWABLE_RISKS,
  allowOption,
  NEVER_RESERVABLE,
  reservationRisks,
} from "../core/reservability.ts";
import { historyPath, keepHistory } from "./backups.ts";
import { readLoaderFiles, readLoaderText } from "./host_state.ts";

/** How long to wait for another pptkit that edits the same file. */
const LOCK_WAIT_MS = 10_000;

/** reserve or release. */
export type ChangeMode = "reserve" | "release";

/** What to change, and how. */
export interface ChangeRequest {
  readonly mode: ChangeMode;
  /** The devices as the command line names them (any spelling). */
  readonly devices: readonly string[];
  /** The risks accepted, by finding code (`--allow host-critical,no-msi`). */
  readonly allow: readonly string[];
  /** `--force`: retired (it accepted every risk at once); refused with the `--allow` to use. */
  readonly force: boolean;
  /** Also (un)bind at runtime with devctl. */
  readonly now: boolean;
  /** Compute and report, write nothing. */
  readonly dryRun: boolean;
  /** The file to edit; null: the file where pptdevs lives (default /boot/loader.conf). */
  readonly loaderConf: string | null;
  /** Where the timestamped copies go (`stateDir/backups`). */
  readonly backupsDir: string;
}

/** What a reserve or release run did. */
export interface ChangeResult {
  readonly edit: LoaderEdit;
  readonly written: boolean;
  /** The devices as B/S/F (the selector outside domain 0), in command line order. */
  readonly devices: readonly string[];
  /** B/S/F bound (reserve) or unbound (release) at runtime. */
  readonly bound: readonly string[];
  readonly findings: readonly Finding[];
  /** Where the previous file is (or would be) kept; null when the target did not exist. */
  readonly backup: string | null;
  /** The timestamped copy of the previous file (or the one a dry run would make), or null. */
  readonly history: string | null;
  /** B/S/F that `now` (un)binds at runtime, or would in a dry run. */
  readonly runtime: readonly string[];
  readonly dryRun: boolean;
  readonly now: boolean;
  /** Whether `--now` could bind now (vmm.ko loaded), for the hints of the report. */
  readonly vmmLoaded: boolean | null;
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

/** `pptkit reserve [--now] [--allow ...] [--loader-conf F] ADDR...`: the same run, changed. */
function commandLine(
  request: ChangeRequest,
  targets: readonly Target[],
  extra: { allow?: readonly Finding[]; now?: boolean; loaderConf?: string } = {},
): string {
  const allow = extra.allow === undefined ? "" : allowOption(extra.allow);
  const conf = extra.loaderConf ?? request.loaderConf;
  return `pptkit ${request.mode} ` + (extra.now ?? request.now ? "--now " : "") + allow +
    (conf === null ? "" : `--loader-conf ${conf} `) +
    targets.map((t) => formatLabel(t.address)).join(" ");
}

/** Why a risk stands in the way, and how to accept just that one. */
function riskHint(risk: Finding, command: string): string {
  switch (risk.code) {
    case "host-critical":
      return `if the host can do without it: ${command}`;
    case "no-msi":
      return `bhyve cannot pass it to a guest; to reserve it anyway: ${command}`;
    case "sriov-pf":
      return `${risk.fix}, then: ${command}`;
    default:
      return `to write pptdevs anyway (another amd64 boot of this disk): ${command}`;
  }
}

/** Refuses what cannot be done before anything happens. */
function checkTargets(targets: readonly Target[], inventory: Inventory, request: ChangeRequest) {
  const { mode } = request;
  for (const t of targets) {
    if (t.address.domain !== 0) {
      throw dataError(
        `cannot ${mode} ${formatSelector(t.address)}: it is in PCI domain ${t.address.domain}, ` +
          "and pptdevs can only name devices in domain 0",
      );
    }
  }
  if (mode === "reserve") {
    const risks: Finding[] = [];
    for (const t of targets) {
      if (t.entry === undefined) continue;
      for (const r of reservationRisks(t.entry, inventory.host)) {
        if (NEVER_RESERVABLE.has(r.code)) {
          throw new PptkitError(ExitCode.DataError, `cannot reserve: ${r.message}`, r.fix);
        }
        if (!risks.some((k) => k.code === r.code && k.message === r.message)) risks.push(r);
      }
    }
    if (request.force) {
      throw usageError(
        "--force is retired: it accepted every risk at once; name each one you accept " +
          "with --allow",
        risks.length === 0
          ? `none is needed here: ${commandLine(request, targets)}`
          : `${commandLine(request, targets, { allow: risks })}`,
      );
    }
    const open = risks.filter((r) => !request.allow.includes(r.code));
    if (open.length > 0) {
      const [first, ...rest] = open;
      const accepted = risks.filter((r) => request.allow.includes(r.code) || r === first);
      const more = rest.length > 0
        ? ` (also: ${[...new Set(rest.map((r) => r.code))].join(", ")})`
        : "";
      throw new PptkitError(
        ExitCode.DataError,
        `cannot reserve: ${first.message}${more}`,
        riskHint(first, commandLine(request, targets, { allow: accepted })),
        {},
        open,
      );
    }
  }
  if (mode === "release") {
    for (const t of targets) {
      const holder = t.entry?.usedBy.find((u) => u.running);
      if (holder === undefined) continue;
      throw new PptkitError(
        ExitCode.TempFail,
        `cannot release ${formatLabel(t.address)}: VM ${holder.vm} is running with it`,
        `stop ${holder.vm} first`,
      );
    }
  }
  if (request.now && !request.dryRun && inventory.host.vmmLoaded !== true) {
    throw new PptkitError(
      ExitCode.Unavailable,
      `cannot ${mode === "reserve" ? "bind" : "unbind"} at runtime: vmm.ko is not loaded ` +
        "(ppt(4) is part of it)",
      `reboot after the change instead: ${commandLine(request, targets, { now: false })}`,
    );
  }
}

/** Checks `--allow` values: known risk codes only, with "did you mean". */
export function checkAllow(values: readonly string[]): void {
  for (const v of values) {
    if ((ALLOWABLE_RISKS as readonly string[]).includes(v)) continue;
    const near = nearest(v, ALLOWABLE_RISKS);
    throw usageError(
      `--allow: unknown risk "${v}": expected ${ALLOWABLE_RISKS.join(", ")}`,
      near === undefined ? "see: pptkit reserve --help" : `did you mean --allow ${near}?`,
    );
  }
}

/** `target` of a symbolic link at `link`, as an absolute host path. */
function resolveLink(link: string, to: string): string {
  return to.startsWith("/") ? to : `${link.slice(0, link.lastIndexOf("/"))}/${to}`;
}

/**
 * The loader files with the target among them: the one named, else the one where pptdevs
 * lives (core/loader/edit.ts `pptdevsHome`), else /boot/loader.conf. A new drop-in joins the
 * loader's order; a file a loader file links to takes that file's place; `read` is false for a
 * file the loader never reads.
 */
async function filesWithTarget(host: Host, release: string | null, requested: string | null) {
  const loader = await readLoaderFiles(host, release);
  const target = requested ?? pptdevsHome(loader.files) ?? LOADER_CONF;
  if (loader.files.some((f) => f.path === target)) {
    return { target, files: loader.files, read: true };
  }
  const conf = parseLoaderConf((await readLoaderText(host, target)) ?? "", target);
  const slash = target.lastIndexOf("/");
  if (target.slice(0, slash) === LOADER_CONF_DIR && isLoaderConfDropIn(target.slice(slash + 1))) {
    const dropIns = [...((await host.readDir(LOADER_CONF_DIR)) ?? []), target.slice(slash + 1)];
    const order = loaderFileOrder(release, [...new Set(dropIns)]);
    const files = order.files.map((p) =>
      p === target ? conf : loader.files.find((f) => f.path === p) ?? parseLoaderConf("", p)
    );
    return { target, files, read: true };
  }
  // The file a loader file links to: the loader reads it in the link's place.
  for (const f of loader.files) {
    const to = (await host.readLink?.(f.path)) ?? null;
    if (to !== null && resolveLink(f.path, to) === target) {
      return { target, files: loader.files.map((g) => g === f ? conf : g), read: true };
    }
  }
  // A file the loader never reads: edit it alone, and say so.
  return { target, files: [conf], read: false };
}

/** A symbolic link is never written through: refused (73) with the file it points to. */
async function refuseLink(
  host: Host,
  target: string,
  request: ChangeRequest,
  targets: readonly Target[],
) {
  const info = await host.stat(target);
  if (info === null || info.isFile || info.isDirectory) return;
  const to = (await host.readLink?.(target)) ?? null;
  if (to === null) {
    throw new PptkitError(ExitCode.CantCreate, `cannot write ${target}: not a regular file`);
  }
  const real = resolveLink(target, to);
  throw new PptkitError(
    ExitCode.CantCreate,
    `cannot write ${target}: it is a symbolic link to ${to}, and pptkit does not write ` +
      "through links",
    `edit the file it points to: ${commandLine(request, targets, { loaderConf: real })}`,
    { file: target },
  );
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

/**
 * What the run has to say besides the edit: for reserve, the risks accepted with --allow, the
 * host's IOMMU problems, the other functions of each card (offered), SR-IOV virtual functions
 * (iovctl); for release, the VM configs that still pass a device.
 */
function notes(
  targets: readonly Target[],
  inventory: Inventory,
  request: ChangeRequest,
): Finding[] {
  const out: Finding[] = [];
  const named = new Set(targets.map((t) => addressKey(t.address)));
  if (request.mode === "reserve") {
    out.push(
      ...inventory.host.findings.filter((f) =>
        f.code === "no-iommu" || f.code === "iommu-disabled" ||
        f.code === "arch-unsupported"
      ),
    );
    for (const t of targets) {
      if (t.entry === undefined) continue;
      out.push(...reservationRisks(t.entry, inventory.host).filter((f) => f.device !== undefined));
      out.push(...t.entry.findings.filter((f) => f.code === "sriov-vf"));
      const offer = slotSiblings(inventory, t.entry).filter((s) =>
        !named.has(addressKey(s.device.address)) && s.device.driver !== "ppt" &&
        !s.reserved.inLoaderConf && s.bsf !== null &&
        reservationRisks(s, inventory.host).length === 0
      );
      if (offer.length === 0) continue;
      const list = offer.map((s) => `${s.bsf} (${s.device.name})`).join(", ");
      out.push({
        level: "info",
        code: "partial-device",
        message: `${formatLabel(t.address)} shares its card with ${list}, which ` +
          `${offer.length === 1 ? "is" : "are"} not reserved: a guest usually needs every ` +
          "function of a card",
        fix: `reserve ${offer.length === 1 ? "it" : "them"} too: pptkit reserve ` +
          offer.map((s) => s.bsf).join(" "),
        device: formatSelector(t.address),
      });
    }
  } else {
    for (const t of targets) {
      for (const u of t.entry?.usedBy ?? []) {
        if (u.running || u.source === "lock") continue;
        const label = formatLabel(t.address);
        out.push({
          level: "warn",
          code: "still-used",
          message: `VM ${u.vm} still passes ${label}` +
            (u.file ? ` (${u.source} ${u.file})` : ` (${u.source})`) +
            ": it cannot start once the device is back with its host driver",
          fix: `take ${label} out of ${u.vm}'s config, or keep it: pptkit reserve ${label}`,
          device: formatSelector(t.address),
          vm: u.vm,
        });
      }
    }
  }
  // Accepted risks and notes once each, even when several devices share them.
  const seen = new Set<string>();
  return out.filter((f) => {
    const key = `${f.code}\0${f.device ?? ""}\0${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Reserves or releases devices (see the module comment). */
export async function changeReservations(
  host: Host,
  inventory: Inventory,
  request: ChangeRequest,
): Promise<ChangeResult> {
  const { mode } = request;
  checkAllow(request.allow);
  const targets = resolveTargets(inventory, request.devices, mode === "reserve");
  checkTargets(targets, inventory, request);
  const addresses = targets.map((t) => t.address);
  const edit = {
    add: mode === "reserve" ? addresses : [],
    remove: mode === "release" ? addresses : [],
    amdvi: mode === "reserve" && inventory.host.iommu === "amd-vi",
  };
  const extra = notes(targets, inventory, request);
  const compute = async () => {
    const { target, files, read } = await filesWithTarget(
      host,
      inventory.host.release,
      request.loaderConf,
    );
    await refuseLink(host, target, request, targets);
    const result = editLoaderConf(files, target, edit);
    if (result.lostTo !== null) {
      const a = result.lostTo;
      const pptdevs = a.key.startsWith("pptdevs");
      throw new PptkitError(
        ExitCode.DataError,
        `cannot ${mode} in ${target}: ${a.file} sets ${a.key} (line ${a.line}) and the ` +
          "loader reads it later, so its value is the one that counts",
        pptdevs
          ? `edit that file instead: ${commandLine(request, targets, { loaderConf: a.file })}`
          : `set ${a.key === "vmm_load" ? 'vmm_load="YES"' : `${a.key}=1`} in ${a.file} ` +
            "(or remove the line there), then run pptkit again",
      );
    }
    const notRead: Finding[] = read ? [] : [{
      level: "warn",
      code: "loader-conf-overridden",
      message: `the loader does not read ${target}: the change has no effect at boot`,
      fix: `use ${LOADER_CONF} or a ${LOADER_CONF_DIR}/*.conf drop-in`,
      file: target,
    }];
    // Broken pptdevs lines the loader rejects are worth saying even when this edit is fine.
    const syntax = inventory.host.findings.filter((f) =>
      f.code.startsWith("pptdevs") || f.code === "loader-conf-typo" || f.code === "loader-conf-bom"
    );
    // writeFileAtomic keeps a backup only of a file that exists.
    const before = await host.stat(target);
    const history = before === null || !result.changed
      ? null
      : await historyPath(host, request.backupsDir, target);
    return {
      edit: result,
      before,
      backup: before === null ? null : `${target}.bak`,
      history,
      findings: [...extra, ...notRead, ...syntax, ...result.findings],
    };
  };
  const toBind = targets.filter((t) =>
    mode === "reserve" ? t.entry?.device.driver !== "ppt" : t.entry?.device.driver === "ppt"
  );
  const runtime = request.now ? toBind.map((t) => formatLabel(t.address)) : [];
  const done = {
    devices: targets.map((t) => formatLabel(t.address)),
    runtime,
    dryRun: request.dryRun,
    now: request.now,
    vmmLoaded: inventory.host.vmmLoaded,
  };

  if (request.dryRun) {
    const { edit, backup, history, findings } = await compute();
    return { edit, written: false, bound: [], findings, backup, history, ...done };
  }
  // Check the request before anything happens (no lock file, no binding for bad input); it is
  // computed again under the lock, where another pptkit cannot change the files under it.
  const target = (await compute()).edit.path;
  // Bind first: if devctl fails, everything is undone and the file was never touched.
  const bound = request.now ? await runtimeBind(host, toBind, mode === "reserve") : [];
  try {
    return await host.withLock(`${target}.lock`, LOCK_WAIT_MS, async () => {
      const { edit, before, backup, history, findings } = await compute();
      if (edit.path !== target) {
        throw new PptkitError(
          ExitCode.TempFail,
          `the loader files changed while pptkit waited: pptdevs now lives in ${edit.path}`,
          "run the command again",
        );
      }
      if (edit.changed) {
        if (history !== null) {
          await keepHistory(
            host,
            request.backupsDir,
            edit.path,
            history,
            edit.oldText,
            before?.mode ?? 0o644,
          );
        }
        await host.writeFileAtomic(edit.path, edit.text, { backup: `${edit.path}.bak` });
      }
      return { edit, written: edit.changed, bound, findings, backup, history, ...done };
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
