/**
 * The {@linkcode PluginContext} every plugin hook gets: the host's devices, the VM, the other
 * functions of a device's host slot, and who uses a device.
 *
 * @module
 */

import { slotKey } from "../address.ts";
import type { Finding } from "../findings.ts";
import type { PciDevice } from "../pciconf.ts";
import type { PluginContext, VmUser } from "./api.ts";
/** What a context knows about the host besides its devices; unknown when left out. */
export interface ContextFacts {
  /** The host's release (`uname -r`). */
  readonly release?: string | null;
  /** The VM whose lock names a device. */
  readonly lockedBy?: (device: PciDevice) => string | null;
}

/**
 * A plugin context over a device listing. `usersOf` defaults to "nobody"; `report` to dropping
 * findings; the facts to unknown.
 */
export function pluginContext(
  devices: readonly PciDevice[],
  vm: string | null,
  usersOf: (device: PciDevice) => readonly VmUser[] = () => [],
  report: (finding: Finding) => void = () => {},
  facts: ContextFacts = {},
): PluginContext {
  let slots: Map<string, PciDevice[]> | null = null;
  return {
    devices,
    vm,
    slotOf(device) {
      if (slots === null) {
        slots = new Map();
        for (const d of devices) {
          const key = slotKey(d.address);
          const list = slots.get(key);
          if (list === undefined) slots.set(key, [d]);
          else list.push(d);
        }
        for (const list of slots.values()) {
          list.sort((a, b) => a.address.function - b.address.function);
        }
      }
      return slots.get(slotKey(device.address)) ?? [device];
    },
    usersOf,
    lockedBy: facts.lockedBy ?? (() => null),
    release: facts.release ?? null,
    report,
  };
}
