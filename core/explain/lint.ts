/**
 * The lint of a bhyve command line found in a log: the one lint of a guest's `-s` list
 * (core/slots/lint.ts `layoutLint`: slot fields, ranges, collisions, function 0, the bridges'
 * slots, passthru spellings against the host's bhyve, `-S`), then the device facts of the
 * verdict engine (core/verdict.ts `judgeVm`: on this host, on ppt(4), a bridge, no MSI, a GPU
 * without its audio, ...).
 *
 * Pure: the command and the host facts in, findings out.
 *
 * @module
 */

import { formatLabel, parseAddress } from "../address.ts";
import { type Finding, type FindingCode, sortFindings } from "../findings.ts";
import type { Inventory } from "../inventory.ts";
import type { PluginHooks } from "../plugins/api.ts";
import { layoutLint, passthruAddress } from "../slots/lint.ts";
import { judgeVm } from "../verdict.ts";
import type { Entry as VmEntry } from "../vms/types.ts";
import type { LoggedCommand } from "./cmdline.ts";

/** What the lint knows of the host; null parts are unknown. */
export interface LintHost {
  readonly inventory: Inventory | null;
  readonly plugins: PluginHooks | null;
}

/** Device findings of the verdict engine that apply to a logged command line. */
const DEVICE_CODES: ReadonlySet<FindingCode> = new Set([
  "not-on-ppt",
  "unknown-device",
  "not-endpoint",
  "no-msi",
  "domain-unsupported",
  "host-critical",
  "partial-device",
  "no-flr",
  "quirk",
]);

/** The verdict engine's device findings for the command's passthru devices. */
function deviceFindings(command: LoggedCommand, inventory: Inventory, host: LintHost): Finding[] {
  const devices = inventory.devices.map((d) => d.device);
  const entries: VmEntry[] = command.passthru.flatMap((l) => {
    const address = passthruAddress(l, devices);
    return address === null ? [] : [address];
  }).map((address, i) => ({
    token: parseAddress(formatLabel(address), "bsf"),
    address,
    line: i + 1,
    options: {},
  }));
  const verdict = judgeVm(
    { vm: command.vm ?? "the VM", source: "--devices", file: null, entries, findings: [] },
    { inventory, plugins: host.plugins, ownership: null },
  );
  const missing: Finding[] = command.passthru
    .filter((l) => l.passthru!.spelling === "ppt" && passthruAddress(l, devices) === null)
    .map((l) => ({
      level: "error",
      code: "unknown-device",
      message: `${l.text}: no device is called ${l.passthru!.device} now (Passthru device ${
        l.passthru!.device
      } not found)`,
      fix: "name the device by B/S/F: ppt unit numbers change between boots",
    }));
  // Worst first; the engine already leaves out not-on-ppt where the device's own error (a
  // bridge, no MSI) is the reason, since "reserve it" would be wrong advice there.
  return [
    ...missing,
    ...sortFindings(
      verdict.findings.filter((f) => DEVICE_CODES.has(f.code) && f.level !== "info"),
    ).map((f) => {
      const { vm: _vm, file: _file, line: _line, ...rest } = f;
      return rest;
    }),
  ];
}

/** Every problem of a logged command line, in the order bhyve would meet them. */
export function lintCommand(command: LoggedCommand, host: LintHost): Finding[] {
  const inventory = host.inventory;
  const devices = inventory === null ? [] : inventory.devices.map((d) => d.device);
  return [
    // A log that names no VM: its fixes say "pptkit plan VM", for the reader to fill in.
    ...layoutLint(command.layout, {
      vm: command.vm ?? "VM",
      file: null,
      fix: undefined,
      host: { release: inventory?.host.release ?? null, devices },
    }),
    ...(inventory === null ? [] : deviceFindings(command, inventory, host)),
  ];
}
