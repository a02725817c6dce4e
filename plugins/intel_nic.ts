/**
 * Intel network adapters (vendor 8086, class 02). Their ports are independent PCI functions, so
 * they may be split into separate guest slots; the bhyve wiki says so in as many words ("Intel
 * network adapters *do not* have this issue and can be split out to different guest slots").
 * pptkit keeps the default grouping and says, in an info finding, that a split is possible (or
 * that the split the config asks for is fine).
 *
 * @module
 */

import {
  definePlugin,
  formatLabel,
  formatSelector,
  type GroupEntry,
  type PciDevice,
  slotKey,
} from "../core/plugins/api.ts";

const SOURCE = "https://wiki.freebsd.org/bhyve/pci_passthru";
const isIntelNic = (d: PciDevice) => d.vendorId === "8086" && d.classCode.startsWith("02");

export default definePlugin({
  name: "intel_nic",
  version: "1.0.0",
  description: "Intel network adapters: ports may be split into separate guest slots",
  matches: isIntelNic,
  group(entries, ctx) {
    const bySlot = new Map<string, GroupEntry[]>();
    for (const e of entries) {
      if (e.device === null) continue;
      const list = bySlot.get(slotKey(e.device.address)) ?? [];
      list.push(e);
      bySlot.set(slotKey(e.device.address), list);
    }
    for (const list of bySlot.values()) {
      const names = list.map((e) => formatLabel(e.entry.address));
      const device = formatSelector(list[0].device!.address);
      const grouped = list.filter((e) => e.grouping === "auto" && !e.entry.token.split);
      if (grouped.length >= 2) {
        ctx.report({
          level: "info",
          code: "quirk",
          message: `${names.join(", ")} are ports of one Intel network adapter: they share a ` +
            "guest slot, and may also be split into separate guest slots, which Intel " +
            `adapters support (source: ${SOURCE})`,
          fix: `to split them, write ${names.map((n) => "-" + n).join(" ")}`,
          device,
        });
      } else if (list.some((e) => e.entry.token.split) && list.length >= 2) {
        ctx.report({
          level: "info",
          code: "quirk",
          message: `${names.join(", ")} are split into separate guest slots, which Intel ` +
            `network adapters support (source: ${SOURCE})`,
          device,
        });
      }
    }
    return entries;
  },
});
