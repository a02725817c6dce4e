/**
 * `report DEVICE...`: one file an administrator can attach to a bug report or a pull request
 * to pptkit's compatibility list, made without a network. It is a quirks.d file (JSONC): its
 * comments carry the device records as pciconf printed them, the host facts (release, IOMMU,
 * vmm, AMD-Vi) and pptkit's verdicts; its `rules` are templates, one per device, with the ids
 * and the host's release filled in. Until `rule`, `message` and `source` are filled in, pptkit
 * refuses each template with a line-numbered finding, so an unedited report dropped into
 * quirks.d changes nothing.
 *
 * The file is the administrator's, not the host's: it goes to the path given (or
 * `pptkit-report.jsonc` in the current directory) also with `--snapshot` or `--root`, is created
 * only if nothing is there (O_EXCL: an existing file or a symlink is refused, never followed),
 * and is never overwritten.
 *
 * @module
 */

import type { PptkitConfig } from "../core/config.ts";
import { ExitCode, PptkitError } from "../core/errors.ts";
import { type Finding, withLocation } from "../core/findings.ts";
import type { Host } from "../core/host/host.ts";
import { type Inventory, type InventoryDevice, resolveDevice } from "../core/inventory.ts";
import type { PciDevice } from "../core/pciconf.ts";
import { QUIRK_KINDS } from "../core/plugins/quirks.ts";
import { lines } from "../core/text.ts";
import { loadHostState } from "./host_state.ts";

/** Where a report goes when no path is given: the current directory. */
export const DEFAULT_REPORT_FILE = "pptkit-report.jsonc";

/** What a report holds, before it is written. */
export interface Report {
  /** The devices, as B/S/F (or selector), in the order given. */
  readonly devices: readonly string[];
  /** The file's text. */
  readonly text: string;
}

/** The lines of `device`'s record in the pciconf text (its header up to the next device's). */
function recordLines(text: string, device: PciDevice, all: readonly PciDevice[]): string[] {
  const next = all.reduce(
    (min, d) => d.line > device.line && d.line < min ? d.line : min,
    Number.POSITIVE_INFINITY,
  );
  const out: string[] = [];
  for (const [n, line] of lines(text)) {
    if (n >= device.line && n < next) out.push(line.trimEnd());
  }
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
}

function findingLine(f: Finding): string {
  return `${f.level.padEnd(5)}  ${f.code}: ${withLocation(f)}` +
    (f.vm === undefined ? "" : ` [VM ${f.vm}]`);
}

function hostLines(inventory: Inventory, uname: string | null): string[] {
  const h = inventory.host;
  const yesNo = (v: boolean | null) => v === null ? "unknown" : v ? "yes" : "no";
  return [
    `release: ${h.release ?? "unknown"}` +
    (uname === null ? "" : ` (uname -mr: ${uname.trim()})`),
    `IOMMU: ${h.iommu}, vmm loaded: ${yesNo(h.vmmLoaded)}, vmm from loader.conf: ` +
    `${yesNo(h.vmmFromLoader)}` +
    (h.amdviEnabled === null ? "" : `, AMD-Vi enabled: ${yesNo(h.amdviEnabled)}`),
    ...h.findings.map(findingLine),
  ];
}

/** The template rule for one device: its ids filled in, what was seen left to fill in. */
function template(entry: InventoryDevice, release: string | null): string {
  const d = entry.device;
  const wrappers = [...new Set(entry.usedBy.map((u) => u.source).filter((s) => s !== "lock"))];
  const q = JSON.stringify;
  return [
    "    {",
    `      "vendor": ${q(d.vendorId)},`,
    `      "device": ${q(d.deviceId)},`,
    "      // remove subvendor and subdevice unless it is about this board or card only",
    `      "subvendor": ${q(d.subvendorId)},`,
    `      "subdevice": ${q(d.subdeviceId)},`,
    `      "class": ${q(d.classCode.slice(0, 4))},`,
    `      "ids": "report",`,
    `      // one of: ${QUIRK_KINDS.join(", ")}`,
    `      "rule": "",`,
    "      // what you saw, one line, lower case, no final period",
    `      "message": "",`,
    "      // the URL of your report: a bug, a mailing list post, a forum thread, a blog post",
    `      "source": "",`,
    `      "observed": {`,
    `        "freebsd": ${q(release ?? "")},`,
    "        // the guest OS and its driver",
    `        "guest": "",`,
    "        // a bhyve patch or branch, if not the release's own",
    `        "bhyve": "",`,
    `        "wrapper": ${q(wrappers.join(", "))}`,
    "      }",
    "    }",
  ].join("\n");
}

/** Gathers everything a report says about `addresses` (any spelling; 65 for an unknown one). */
export async function buildReport(
  host: Host,
  config: PptkitConfig,
  addresses: readonly string[],
  made: { readonly version: string },
): Promise<Report> {
  const { inventory } = await loadHostState(host, config);
  const entries: InventoryDevice[] = [];
  for (const a of addresses) {
    const e = resolveDevice(inventory, a);
    if (!entries.includes(e)) entries.push(e);
  }
  const [pciconf, uname] = await Promise.all([host.capture("pciconf"), host.capture("uname")]);
  const all = inventory.devices.map((d) => d.device);
  const comment: string[] = [
    `pptkit report: ${entries.length} device${entries.length === 1 ? "" : "s"} of ` +
    `${inventory.hostDescription}, made by pptkit ${made.version} at ` +
    new Date(host.now()).toISOString(),
    "Attach this file to a bug report, or fill in the rules below and send them as a pull",
    "request to pptkit's compatibility list (plugins/quirks.jsonc); as it is, it is also a",
    "quirks.d file. Review it first: it shows this host's devices, VM names and settings.",
    "",
    "Host",
    ...hostLines(inventory, uname).map((l) => `  ${l}`),
  ];
  for (const e of entries) {
    const d = e.device;
    comment.push(
      "",
      `Device ${e.bsf ?? e.selector} (${e.selector}): ${d.vendor ?? "unknown vendor"} ` +
        `${d.model ?? "unknown model"}`,
      `  status: ${e.statusText}; eligible: ${
        e.eligible === null ? "unknown" : e.eligible ? "yes" : "no"
      }`,
      "  pciconf:",
      ...recordLines(pciconf ?? "", d, all).map((l) => `    ${l}`),
      "  pptkit's verdict:",
      ...(e.findings.length === 0
        ? ["    no findings"]
        : e.findings.map((f) => `    ${findingLine(f)}`)),
    );
  }
  const text = comment.map((l) => l === "" ? "//" : `// ${l}`).join("\n") + "\n" +
    '{\n  "rules": [\n' +
    entries.map((e) => template(e, inventory.host.release)).join(",\n") +
    "\n  ]\n}\n";
  return { devices: entries.map((e) => e.bsf ?? e.selector), text };
}

/**
 * Writes the report to a new file at `path` on this machine (`files`: the real file system,
 * not a snapshot's root). An existing path, a symlink included, is refused (73) and left alone.
 */
export async function writeReport(host: Host, path: string, report: Report): Promise<void> {
  if (!(await host.createLocalFile(path, report.text))) {
    throw new PptkitError(
      ExitCode.CantCreate,
      `${path} exists: pptkit never overwrites a file with a report`,
      "name a new file: pptkit report -o FILE DEVICE...",
    );
  }
}
