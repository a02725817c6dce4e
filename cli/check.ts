/**
 * `pptkit check [ADDR...]`: the doctor. Host checks (IOMMU, vmm from loader.conf, AMD-Vi,
 * pptdevs syntax and limits, reboot pending) and device checks, each finding with its fix.
 * Exit 1 when any error-level finding is reported.
 *
 * `pptkit check --vm VM`: the checks of `hook prestart` for one VM, without taking locks (for
 * wrappers without hooks, such as Hoster, and for CI of VM configs). Exit 0 when the VM may
 * start, 1 when a check fails, 75 when only another running VM's hold on a device stands in
 * the way.
 *
 * @module
 */

import { loadHostState } from "../app/host_state.ts";
import { checkVmStart, vetoError } from "../app/vm_start.ts";
import { WRAPPER, wrapperOption } from "./options.ts";
import { addressKey, formatSelector } from "../core/address.ts";
import { ExitCode, usageError } from "../core/errors.ts";
import { type Finding, hasError } from "../core/findings.ts";
import { type InventoryDevice, isPassthroughCandidate, resolveDevice } from "../core/inventory.ts";
import { type Command, type Context, type OptionSpec, printJson, stringOption } from "./command.ts";
import { countFindings, renderFindings } from "./findings.ts";
import { findingJson } from "./json.ts";
import { paint } from "./render.ts";

const VM: OptionSpec = {
  name: "vm",
  type: "string",
  value: "VM",
  help: "run the checks of hook prestart for this VM (its devices from its config), " +
    "without taking locks",
};

function visible(findings: readonly Finding[], verbose: boolean, quiet: boolean): Finding[] {
  return findings.filter((f) => quiet ? f.level === "error" : verbose || f.level !== "info");
}

/** `check --vm VM`: the prestart verdict, with every finding behind it. */
async function checkVm(ctx: Context, vm: string): Promise<number> {
  const { request: spec, state, devices, verdict: report } = await checkVmStart(
    await ctx.host(),
    await ctx.config(),
    vm,
    { wrapper: wrapperOption(ctx, "check") },
    { scope: "all" },
  );
  const verdict = report.errors.length === 0
    ? ExitCode.Ok
    : report.busy
    ? ExitCode.TempFail
    : ExitCode.Failed;
  const inventory = state.inventory;
  const host = report.findings.filter((f) => f.device === undefined);
  const labels = devices.map((d) => inventory.byKey.get(addressKey(d))?.bsf ?? formatSelector(d));
  if (ctx.global.json) {
    printJson(ctx.out, "pptkit.check/1", {
      ok: verdict === 0,
      host: {
        iommu: inventory.host.iommu,
        findings: inventory.host.findings.map(findingJson),
      },
      devices: report.found.map((d) => ({
        selector: d.selector,
        bsf: d.bsf,
        name: d.device.name,
        eligible: d.eligible,
        findings: d.findings.map(findingJson),
      })),
      vm: {
        name: vm,
        source: spec.source,
        file: spec.file,
        devices: labels,
        canStart: verdict === 0,
        busy: report.busy,
        findings: report.findings.map(findingJson),
      },
    });
    return verdict;
  }
  const { verbose, quiet } = ctx.global;
  const colour = ctx.out.color;
  let text = "";
  if (!quiet) {
    const from = spec.file === null ? spec.source : `${spec.source} ${spec.file}`;
    text += `VM ${vm} (${from}): ${
      labels.length === 0 ? "no passthru devices" : labels.join(" ")
    }\n`;
    text += `host: ${inventory.hostDescription}, IOMMU ${inventory.host.iommu}\n`;
  }
  text += renderFindings(visible(host, verbose, quiet), colour, "  ");
  for (const d of devices) {
    const key = addressKey(d);
    const mine = report.findings.filter((f) => f.device === formatSelector(d));
    const shown = visible(mine, verbose, quiet);
    if (quiet && shown.length === 0) continue;
    const entry = inventory.byKey.get(key);
    const label = entry === undefined
      ? formatSelector(d)
      : `${entry.bsf ?? entry.selector} ${entry.device.name} (${entry.statusText})`;
    const state = hasError(mine)
      ? paint("cannot be used now", "red", colour)
      : paint("ok", "green", colour);
    text += `${label}: ${state}\n`;
    text += renderFindings(shown, colour, "  ");
  }
  if (verdict === 0) {
    if (!quiet) text += `VM ${vm} can start: ${countFindings(report.findings)}\n`;
    ctx.out.stdout(text);
    return 0;
  }
  ctx.out.stdout(text);
  const veto = vetoError(vm, report);
  ctx.out.stderr(`pptkit: ${veto.message}\n`);
  if (veto.hint !== undefined) ctx.out.stderr(`hint: ${veto.hint}\n`);
  return verdict;
}

export const check: Command = {
  synopsis: "[ADDR...] [--vm VM [--wrapper NAME]]",
  description: `
Checks the host (IOMMU in the ACPI tables, vmm loaded from loader.conf, AMD-Vi enabled,
pptdevs syntax and length, loader.conf versus the running kernel) and the devices: the ones
named, or else every device on ppt(4), reserved in loader.conf or used by a VM. Each
finding comes with the change that fixes it. Exit status 1 when any finding is an error.
-v also shows info-level findings; -q shows only errors.

--vm VM runs the checks of pptkit hook prestart for one VM without taking locks: its devices
(from its config, native first, then Hoster, vm-bhyve, CBSD) must be on this host and on
ppt(4), eligible, and not held by another running VM, the host must have an IOMMU, and no
plugin may object. Exit status 0 when the VM may start, 1 when it may not, 75 when only
another running VM holding a device stands in the way. Hoster has no hooks: run
pptkit check --vm NAME before hoster vm start NAME.`,
  options: [VM, WRAPPER],
  args: { min: 0, max: Infinity },
  examples: [
    ["Is this host ready for passthrough?", "pptkit check"],
    ["Can the card in bus 1 be passed through?", "pptkit check 1/0/0 1/0/1"],
    ["May Hoster start vm1 now?", "pptkit check --vm vm1 && hoster vm start vm1"],
  ],
  async run(ctx) {
    const vm = stringOption(ctx, VM);
    if (vm === undefined && ctx.options.wrapper !== undefined) {
      throw usageError("--wrapper goes with --vm VM", "usage: pptkit check --vm VM --wrapper NAME");
    }
    if (vm !== undefined) {
      if (ctx.args.length > 0) {
        throw usageError(
          "check takes either ADDR... or --vm VM",
          "--vm checks the devices of the VM's config",
        );
      }
      return await checkVm(ctx, vm);
    }
    const { inventory } = await loadHostState(await ctx.host(), await ctx.config());
    const devices: InventoryDevice[] = ctx.args.length > 0
      ? ctx.args.map((a) => resolveDevice(inventory, a))
      : inventory.devices.filter(isPassthroughCandidate);
    const all = [...inventory.host.findings, ...devices.flatMap((d) => d.findings)];
    const failed = hasError(all);
    if (ctx.global.json) {
      printJson(ctx.out, "pptkit.check/1", {
        ok: !failed,
        host: {
          iommu: inventory.host.iommu,
          findings: inventory.host.findings.map(findingJson),
        },
        devices: devices.map((d) => ({
          selector: d.selector,
          bsf: d.bsf,
          name: d.device.name,
          eligible: d.eligible,
          findings: d.findings.map(findingJson),
        })),
      });
      return failed ? 1 : 0;
    }
    const { verbose, quiet } = ctx.global;
    const colour = ctx.out.color;
    const h = inventory.host;
    let text = "";
    if (!quiet) {
      const vmm = h.vmmFromLoader === null ? "unknown" : h.vmmFromLoader ? "yes" : "no";
      text += `host: ${inventory.hostDescription}` +
        (h.release === null ? "" : `, FreeBSD ${h.release}`) +
        `, IOMMU ${h.iommu}, vmm from loader.conf ${vmm}\n`;
    }
    text += renderFindings(visible(h.findings, verbose, quiet), colour, "  ");
    for (const d of devices) {
      const shown = visible(d.findings, verbose, quiet);
      if (quiet && shown.length === 0) continue;
      const label = `${d.bsf ?? d.selector} ${d.device.name}`;
      const state = hasError(d.findings)
        ? paint(d.eligible === false ? "not eligible" : "has errors", "red", colour)
        : d.eligible === null
        ? "eligibility unknown"
        : paint("ok", "green", colour);
      text += `${label} (${d.statusText}): ${state}\n`;
      text += renderFindings(shown, colour, "  ");
    }
    if (!quiet) {
      text += `${devices.length} device${devices.length === 1 ? "" : "s"} checked: ${
        countFindings(all)
      }\n`;
    }
    ctx.out.stdout(text);
    return failed ? 1 : 0;
  },
};
