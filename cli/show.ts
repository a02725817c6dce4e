/**
 * `pptkit show ADDR`: everything known about one device.
 *
 * @module
 */

import { loadHostState } from "../app/host_state.ts";
import { formatRawSelector } from "../core/address.ts";
import { addressKey } from "../core/address.ts";
import { resolveDevice, slotSiblings } from "../core/inventory.ts";
import { DEFAULT_STALE_AFTER_SECONDS, holdingText } from "../core/ownership/locks.ts";
import type { PciDevice } from "../core/pciconf.ts";
import { type Command, printJson } from "./command.ts";
import { renderFindings } from "./findings.ts";
import { deviceJson, lockJson } from "./json.ts";
import { typeText } from "./list_table.ts";
import { renderTable } from "./render.ts";

function yesNo(value: boolean | null): string {
  return value === null ? "unknown" : value ? "yes" : "no";
}

function capabilityRows(d: PciDevice): string[][] {
  if (!d.capabilitiesKnown) return [["capabilities", "unknown (capture without pciconf -c)"]];
  const msi = d.msi === null
    ? "none"
    : `${d.msi.messages} message${d.msi.messages === 1 ? "" : "s"}` +
      (d.msi.bits64 ? ", 64 bit" : "") +
      (d.msi.enabled > 0 ? `, ${d.msi.enabled} enabled` : "");
  const msix = d.msix === null
    ? "none"
    : `${d.msix.messages} messages` + (d.msix.table ? `, table in map ${d.msix.table}` : "") +
      (d.msix.enabled ? ", enabled" : "");
  const pcie = d.pcie === null ? "none (conventional PCI)" : d.pcie.type;
  const rows = [
    ["MSI", msi],
    ["MSI-X", msix],
    ["PCI-Express", pcie],
    ["FLR", yesNo(d.flr)],
  ];
  if (d.sriov !== null) {
    rows.push([
      "SR-IOV",
      `${d.sriov.configuredVFs} of ${d.sriov.totalVFs} VFs configured` +
      (d.sriov.vfDeviceId ? `, VF device id 0x${d.sriov.vfDeviceId}` : ""),
    ]);
  }
  return rows;
}

export const show: Command = {
  synopsis: "ADDR",
  description: `
Shows one device: ids and names, driver, MSI / MSI-X / PCI-Express / FLR / SR-IOV
capabilities, its reservation in loader.conf and in the running kernel, the VMs that use it,
its findings, its lock (which VM holds it and since when) and the other functions of the
same slot. ADDR is any spelling: 1/0/0, pci0:1:0:0, ppt0@pci0:1:0:0:, or a device name such
as ppt0.`,
  options: [],
  args: { min: 1, max: 1 },
  examples: [["The first function of the card in bus 1", "pptkit show 1/0/0"]],
  async run(ctx) {
    const host = await ctx.host();
    const { inventory, locks, running } = await loadHostState(host, await ctx.config());
    const entry = resolveDevice(inventory, ctx.args[0]);
    const siblings = slotSiblings(inventory, entry);
    const key = addressKey(entry.device.address);
    const lock = locks.find((l) => addressKey(l.address) === key);
    const now = host.now();
    if (ctx.global.json) {
      printJson(ctx.out, "pptkit.device/1", {
        device: deviceJson(entry),
        siblings: siblings.map((s) => ({ selector: s.selector, bsf: s.bsf, name: s.device.name })),
        lock: lock === undefined ? null : lockJson(lock, running, now),
      });
      return 0;
    }
    const d = entry.device;
    const r = entry.reserved;
    const rows: string[][] = [
      ["device", `${d.name} at ${formatRawSelector(d.address)} (bhyve: ${entry.bsf ?? "none"})`],
      ["vendor", `${d.vendor ?? "unknown"} (0x${d.vendorId})`],
      ["model", `${d.model ?? "unknown"} (0x${d.deviceId})`],
      ["subsystem", `0x${d.subvendorId} 0x${d.subdeviceId}`],
      ["class", `${typeText(entry)} (0x${d.classCode}), revision 0x${d.revision}`],
      [
        "header",
        `type ${d.headerType}${d.headerType === 0 ? " (endpoint)" : ""}` +
        (d.multiFunction ? ", multi-function" : ""),
      ],
      ["driver", d.driver === "none" ? "none attached" : d.driver],
      ...capabilityRows(d),
      [
        "reserved",
        r.inLoaderConf ? `next boot (${r.where})` : "not in loader.conf",
      ],
      [
        "this boot",
        r.atBoot === null ? "unknown (no kenv)" : r.atBoot ? "in pptdevs" : "not in pptdevs",
      ],
      [
        "used by",
        entry.usedBy.length === 0
          ? "no VM"
          : entry.usedBy.map((u) =>
            `${u.vm} (${u.source}${u.file ? ` ${u.file}` : ""}${u.running ? ", running" : ""})`
          ).join(", "),
      ],
      ["status", entry.statusText],
      [
        "lock",
        lock === undefined
          ? "none"
          : `held by ${holdingText(lock, running, now, DEFAULT_STALE_AFTER_SECONDS * 1000)}`,
      ],
      ["eligible", yesNo(entry.eligible)],
    ];
    if (siblings.length > 0) {
      rows.push([
        "same slot",
        siblings.map((s) => `${s.bsf ?? s.selector} ${s.device.name} ${typeText(s)}`).join("; "),
      ]);
    }
    ctx.out.stdout(renderTable({
      style: "plain",
      columns: [{ header: "" }, { header: "", wrap: true }],
      rows,
      maxWidth: ctx.out.columns,
    }));
    if (entry.findings.length > 0) {
      ctx.out.stdout("\n" + renderFindings(entry.findings, ctx.out.color));
    }
    return 0;
  },
};
