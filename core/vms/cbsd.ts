/**
 * CBSD VM usage, from `cbsd bhyve-ppt mode=list` (CBSD keeps VM settings in SQLite, which
 * pptkit does not read; this listing is its documented view of passthru devices).
 *
 * One line per ppt device, fields separated by ` : `: B/S/F, device, vendor, and the VM the
 * device is attached to, or `-` when none:
 *
 * ```
 * 5/1/0 :  DGE-528T Gigabit Ethernet Adapter :  D-Link System Inc : -
 * 0/31/3 :  7 Series/C216 Chipset Family SMBus Controller :  Intel Corporation : vm1
 * ```
 *
 * Terminal colour sequences are removed first; lines of another shape are skipped.
 *
 * @module
 */

import { tryParseAddress } from "../address.ts";
import type { Finding } from "../findings.ts";
import type { Host } from "../host/host.ts";
import { compareText, lines } from "../text.ts";
import {
  configFinding,
  duplicateEntries,
  type Entry,
  type VmConfig,
  type VmScan,
} from "./types.ts";

/** How findings and VM configs name this source. */
export const CBSD_LIST_COMMAND = "cbsd bhyve-ppt mode=list";

/** Drops `ESC [ ... letter` sequences (CBSD colours its output on a terminal). */
function stripColour(text: string): string {
  if (!text.includes("\u001b")) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 27 && text[i + 1] === "[") {
      let j = i + 2;
      while (j < text.length && !isLetter(text.charCodeAt(j))) j++;
      i = j;
      continue;
    }
    out += text[i];
  }
  return out;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Parses `cbsd bhyve-ppt mode=list` output into one VM config per attached VM. */
export function parseCbsdPptList(text: string, file = CBSD_LIST_COMMAND): VmScan {
  const byVm = new Map<string, Entry[]>();
  const findings: Finding[] = [];
  for (const [n, raw] of lines(stripColour(text))) {
    const fields = raw.split(" : ").map((f) => f.trim());
    if (fields.length < 4) continue;
    const token = tryParseAddress(fields[0], "bsf");
    if (token === undefined || token.address === null || token.spelling !== "bsf") {
      findings.push(configFinding(
        file,
        n,
        `bad B/S/F "${fields[0]}" in CBSD's ppt list`,
        undefined,
        "warn",
      ));
      continue;
    }
    const vm = fields[fields.length - 1];
    if (vm === "-" || vm.length === 0) continue;
    const entries = byVm.get(vm) ?? [];
    entries.push({ token, address: token.address, line: n, options: {} });
    byVm.set(vm, entries);
  }
  const vms: VmConfig[] = [];
  for (const [vm, entries] of [...byVm].sort((a, b) => compareText(a[0], b[0]))) {
    const unique = duplicateEntries(entries, file);
    vms.push({
      vm,
      source: "cbsd",
      file,
      passthru: unique.entries,
      options: {},
      findings: unique.findings,
    });
  }
  return { vms, findings };
}

/** Runs (or reads the snapshot of) the CBSD listing. `found` is false when CBSD is absent. */
export async function readCbsdVms(
  host: Pick<Host, "capture">,
): Promise<VmScan & { found: boolean }> {
  const text = await host.capture("cbsd");
  if (text === null) return { vms: [], findings: [], found: false };
  return { ...parseCbsdPptList(text), found: true };
}
