/**
 * `pptkit check [ADDR...]`: the doctor. Host checks (IOMMU, vmm from loader.conf, AMD-Vi,
 * pptdevs syntax and limits, reboot pending) and device checks, each finding with its fix.
 * Exit 1 when any error-level finding is reported.
 *
 * @module
 */

import { type Finding, hasError } from "../core/eligibility.ts";
import { type InventoryDevice, isPassthroughCandidate, resolveDevice } from "../core/inventory.ts";
import { type Command, printJson } from "./command.ts";
import { countFindings, renderFindings } from "./findings.ts";
import { findingJson } from "./json.ts";
import { loadInventoryFor } from "./load.ts";
import { paint } from "./render.ts";

function visible(findings: readonly Finding[], verbose: boolean, quiet: boolean): Finding[] {
  return findings.filter((f) => quiet ? f.level === "error" : verbose || f.level !== "info");
}

export const check: Command = {
  synopsis: "[ADDR...]",
  description: `
Checks the host (IOMMU in the ACPI tables, vmm loaded from loader.conf, AMD-Vi enabled,
pptdevs syntax and length, loader.conf versus the running kernel) and the devices: the ones
named, or else every device on ppt(4), reserved in loader.conf or used by a VM. Each
finding comes with the change that fixes it. Exit status 1 when any finding is an error.
-v also shows info-level findings; -q shows only errors.`,
  options: [],
  args: { min: 0, max: Infinity },
  examples: [
    ["Is this host ready for passthrough?", "pptkit check"],
    ["Can the card in bus 1 be passed through?", "pptkit check 1/0/0 1/0/1"],
  ],
  async run(ctx) {
    const inventory = await loadInventoryFor(ctx);
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
        ? paint("not eligible", "red", colour)
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
