/**
 * The lint of a bhyve command line found in a log: the guest PCI rules of core/slots/rules.ts
 * (one home for them) applied to every `-s` device of each guest bus, `-S` for passthrough,
 * the spelling of each passthru device against the host's bhyve, and the device facts of the
 * verdict engine (core/verdict.ts `judgeVm`: on this host, on ppt(4), a bridge, no MSI, a GPU
 * without its audio, ...).
 *
 * Pure: the command and the host facts in, findings out.
 *
 * @module
 */

import { formatLabel, parseAddress, type PciAddress } from "../address.ts";
import { type Finding, type FindingCode, sortFindings } from "../findings.ts";
import type { Inventory } from "../inventory.ts";
import { parseRelease } from "../loader/order.ts";
import type { PluginHooks } from "../plugins/api.ts";
import { type GuestDevice, layoutProblems } from "../slots/rules.ts";
import { judgeVm } from "../verdict.ts";
import type { Entry as VmEntry } from "../vms/types.ts";
import { BY_ID } from "./catalogue/index.ts";
import type { BhyveCommand, PassthruDevice } from "./cmdline.ts";

/** What the lint knows of the host; null parts are unknown. */
export interface LintHost {
  readonly inventory: Inventory | null;
  readonly plugins: PluginHooks | null;
}

/**
 * The host address of an emulated device in a guest layout: it has none. rules.ts never reads
 * the address; this keeps emulated devices in the slot and function checks.
 */
const EMULATED: PciAddress = { domain: -1, bus: -1, slot: -1, function: -1 };

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

/** The release that first reads pptN and pciB:S:F after passthru (the pptN lookup's). */
const NAMES_ENTRY = BY_ID.get("bad-device-name")!;
const NAMES_SINCE = NAMES_ENTRY.formats[0].first ?? "14.0";
const NAMES_VERIFIED = NAMES_ENTRY.formats[0].verified;

function before(release: string, since: string): boolean | null {
  const r = parseRelease(release);
  const s = parseRelease(since);
  if (r === null || s === null) return null;
  return r.major < s.major || (r.major === s.major && r.minor < s.minor);
}

function at(spec: { readonly text: string }): string {
  return `-s ${spec.text}`;
}

/** The problems of the passthru device's spelling. */
function spellingFindings(
  p: PassthruDevice,
  release: string | null,
  inventory: Inventory | null,
): Finding[] {
  const arg = at(p.spec);
  if (p.spelling === "invalid") {
    let hint: string | undefined;
    try {
      parseAddress(p.device, "bsf");
    } catch (e) {
      hint = (e as { hint?: string }).hint;
    }
    return [{
      level: "error",
      code: "passthru-spelling",
      message: `${arg}: bhyve cannot read the device "${p.device}" (passthru: invalid options)` +
        (hint === undefined ? "" : `: ${hint}`),
      fix:
        "write the device as decimal B/S/F, e.g. -s 6:0,passthru,1/0/0 (pptkit parse converts any spelling)",
    }];
  }
  if (p.spelling === "pci" && p.device.split(":").length === 4 && !p.device.startsWith("pci0:")) {
    const bsf = p.address === null ? "?" : formatLabel(p.address);
    return [{
      level: "error",
      code: "passthru-spelling",
      message:
        `${arg}: bhyve reads "${p.device}" as ${bsf} (pciB:S:F): a PCI domain cannot be named`,
      fix: "pass a device of PCI domain 0, written as B/S/F",
    }];
  }
  if (p.spelling === "bsf") return [];
  const old = release === null ? null : before(release, NAMES_SINCE);
  const since = `FreeBSD ${NAMES_SINCE}${NAMES_VERIFIED ? "" : " (UNVERIFIED boundary)"}`;
  const named = p.name === null
    ? undefined
    : inventory?.devices.find((d) => d.device.name === p.name);
  const address = p.address ?? named?.device.address ?? null;
  const bsf = address === null ? null : formatLabel(address);
  const fix = bsf === null
    ? "name the device by B/S/F (pptkit parse NAME shows it)"
    : `write it as B/S/F: -s ${p.spec.text.slice(0, p.spec.text.indexOf(",") + 1)}passthru,${bsf}`;
  if (old === true) {
    return [{
      level: "error",
      code: "passthru-spelling",
      message: `${arg}: bhyve of ${release} reads only B/S/F here; "${p.device}" needs ${since}`,
      fix,
    }];
  }
  if (old === null) {
    return [{
      level: "info",
      code: "passthru-spelling",
      message: `${arg}: "${p.device}" needs the bhyve of ${since}; the host's release is unknown`,
      fix,
    }];
  }
  return [];
}

/** The guest layout of every `-s` device, by guest bus. */
function layouts(command: BhyveCommand): Map<number, GuestDevice[]> {
  const byBus = new Map<number, GuestDevice[]>();
  for (const s of command.slots) {
    if (s.bus === null || s.slot === null || s.function === null) continue;
    const p = command.passthru.find((d) => d.spec === s);
    const device: GuestDevice = {
      slot: s.slot,
      function: s.function,
      text: at(s),
      address: p?.address ?? EMULATED,
    };
    byBus.set(s.bus, [...(byBus.get(s.bus) ?? []), device]);
  }
  return byBus;
}

/** The slot rules of core/slots/rules.ts, worded for a command line. */
function layoutFindings(command: BhyveCommand): Finding[] {
  const out: Finding[] = [];
  for (const s of command.slots) {
    if (s.problem !== null) {
      out.push({
        level: "error",
        code: "guest-slot-syntax",
        message: `-s ${s.text}: ${s.problem} (bhyve: Invalid PCI slot info field)`,
        fix: "write -s slot[:function],emulation[,options], e.g. -s 6:0,passthru,1/0/0",
      });
    }
  }
  for (const [bus, devices] of [...layouts(command)].sort(([a], [b]) => a - b)) {
    for (const problem of layoutProblems(devices, false)) {
      if (problem.kind === "function-range") {
        out.push({
          level: "error",
          code: "guest-function-range",
          message:
            `${problem.device.text}: guest function ${problem.device.function} is out of range 0-7 (bhyve: Invalid PCI slot info field)`,
          fix:
            "give it a function 0-7: host functions above 7 need other guest functions (pptkit plan does it)",
        });
      } else if (problem.kind === "slot-range") {
        out.push({
          level: "error",
          code: "guest-slot-range",
          message:
            `${problem.device.text}: guest slot ${problem.device.slot} is out of range 0-31 (bhyve: Invalid PCI slot info field)`,
          fix: "use a free guest slot 1-30 (pptkit plan VM finds one)",
        });
      } else if (problem.kind === "collision") {
        const [a, b] = problem.devices;
        out.push({
          level: "error",
          code: "slot-collision",
          message:
            `${a.text} and ${b.text} use one guest slot ${bus}:${a.slot}:${a.function} (bhyve: pci slot ${bus}:${a.slot}:${a.function} already occupied!)`,
          fix:
            "give each device its own slot:function (pptkit plan VM --used-slots LIST leaves the wrapper's alone)",
        });
      } else {
        const passed = problem.devices.filter((d) => d.address !== EMULATED);
        const first = passed[0]?.address ?? null;
        out.push({
          level: "error",
          code: "missing-function0",
          message: `guest slot ${bus}:${problem.slot} has ${
            problem.devices.map((d) => d.text).join(", ")
          } but no function 0: the guest will not see ${
            problem.devices.length > 1 ? "them" : "it"
          }`,
          fix: first === null
            ? `put one device of slot ${problem.slot} at function 0`
            : `put ${formatLabel(first)} at function 0: -s ${bus}:${problem.slot}:0,passthru,${
              formatLabel(first)
            }`,
        });
      }
    }
  }
  return out;
}

/** The passthru devices as host addresses; pptN names resolved against the inventory. */
function hostAddresses(command: BhyveCommand, inventory: Inventory | null): PciAddress[] {
  const out: PciAddress[] = [];
  for (const p of command.passthru) {
    if (p.address !== null) out.push(p.address);
    else if (p.name !== null && inventory !== null) {
      const d = inventory.devices.find((e) => e.device.name === p.name);
      if (d !== undefined) out.push(d.device.address);
    }
  }
  return out;
}

/** The verdict engine's device findings for the command's passthru devices. */
function deviceFindings(command: BhyveCommand, host: LintHost): Finding[] {
  if (host.inventory === null) return [];
  const entries: VmEntry[] = hostAddresses(command, host.inventory).map((address, i) => ({
    token: parseAddress(formatLabel(address), "bsf"),
    address,
    line: i + 1,
    options: {},
  }));
  const verdict = judgeVm(
    { vm: command.vm ?? "the VM", source: "--devices", file: null, entries, findings: [] },
    { inventory: host.inventory, plugins: host.plugins, ownership: null },
  );
  const names = command.passthru.filter((p) => p.name !== null && p.address === null);
  const missing: Finding[] = names
    .filter((p) => !host.inventory!.devices.some((d) => d.device.name === p.name))
    .map((p) => ({
      level: "error",
      code: "unknown-device",
      message: `${
        at(p.spec)
      }: no device is called ${p.name} now (Passthru device ${p.name} not found)`,
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
export function lintCommand(command: BhyveCommand, host: LintHost): Finding[] {
  const out: Finding[] = [...layoutFindings(command)];
  const release = host.inventory?.host.release ?? null;
  for (const p of command.passthru) out.push(...spellingFindings(p, release, host.inventory));
  if (command.passthru.length > 0 && !command.wired) {
    out.push({
      level: "error",
      code: "not-wired",
      message:
        "the command line has passthru devices but no -S (bhyve: passthru requires guest memory to be wired)",
      fix:
        "add -S (vm-bhyve, CBSD and Hoster add it themselves for passthru; iohyve needs it in bargs)",
    });
  }
  out.push(...deviceFindings(command, host));
  return out;
}
