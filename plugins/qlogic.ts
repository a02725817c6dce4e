/**
 * QLogic Fibre Channel adapters (vendor 1077, class 0c04). The bhyve wiki's caveat, quoted by the
 * user guide: "multi-function devices are not always independent, and may have to be assigned to
 * guests with the functions being the same. An example is QLogic FC adapters, where function 0
 * is used for firmware loading, while the other functions are for port data transfer." So every
 * function keeps its host number in one guest slot (the allocator refuses a split `-4/0/1` with
 * this plugin's reason), and function 0 must be passed (prestart says why).
 *
 * @module
 */

import {
  cardOf,
  definePlugin,
  deviceLabel,
  type Finding,
  formatSelector,
  type GroupEntry,
  type PciDevice,
  type PluginContext,
} from "../core/plugins/api.ts";

const isQlogicFc = (d: PciDevice) => d.vendorId === "1077" && d.classCode.startsWith("0c04");
const WIKI = "https://wiki.freebsd.org/bhyve/pci_passthru";
const REASON = "qlogic: the guest must see the adapter's functions at their host numbers in " +
  'one slot (bhyve wiki: "multi-function devices are not always independent, and may have to ' +
  "be assigned to guests with the functions being the same. An example is QLogic FC adapters, " +
  "where function 0 is used for firmware loading, while the other functions are for port data " +
  'transfer")';

/** A `missing-function0` error when `vm` passes functions of the adapter but not function 0. */
function missingFunction0(
  vm: string,
  device: PciDevice,
  ctx: PluginContext,
  passed: (d: PciDevice) => boolean,
): Finding | null {
  const card = cardOf(device, ctx, isQlogicFc);
  const zero = card.find((d) => d.address.function === 0);
  if (zero === undefined || passed(zero)) return null;
  const given = card.filter(passed);
  if (given.length === 0) return null;
  return {
    level: "error",
    code: "missing-function0",
    message: `${vm} passes ${given.map(deviceLabel).join(", ")} of a QLogic FC adapter without ` +
      `function 0 (${deviceLabel(zero)}), which loads the adapter's firmware (source: ${WIKI})`,
    fix: `add ${deviceLabel(zero)} to ${vm}'s passthru list`,
    device: formatSelector(given[0].address),
  };
}

export default definePlugin({
  name: "qlogic",
  version: "1.0.0",
  description: "QLogic FC adapters: same function numbers in one guest slot, function 0 required",
  matches: isQlogicFc,
  group(entries) {
    return entries.map((e): GroupEntry => ({ ...e, grouping: "same-function", reason: REASON }));
  },
  prestart(vm, ctx) {
    const keys = new Set(vm.entries.map((e) => e.device && deviceLabel(e.device)));
    const passed = (d: PciDevice) => keys.has(deviceLabel(d));
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const e of vm.entries) {
      if (e.device === null) continue;
      const card = cardOf(e.device, ctx, isQlogicFc);
      const first = card[0] === undefined ? "" : deviceLabel(card[0]);
      if (seen.has(first)) continue;
      seen.add(first);
      const f = missingFunction0(vm.name, e.device, ctx, passed);
      if (f !== null) out.push(f);
    }
    return out;
  },
});
