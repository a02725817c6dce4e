/**
 * `pptkit reserve ADDR...`: put devices into pptdevs (packing over pptdevs, pptdevs2,
 * pptdevs3), ensure `vmm_load="YES"` and, on AMD hosts, `hw.vmm.amdvi.enable=1`; print the
 * unified diff. `--now` also binds them to ppt(4) at runtime with devctl. The transaction is
 * app/reservation.ts.
 *
 * @module
 */

import { CHANGE_OPTIONS, runChange } from "./change.ts";
import type { Command } from "./command.ts";

export const reserve: Command = {
  synopsis: "ADDR... [--dry-run] [--now] [--force] [--loader-conf FILE]",
  description: `
Reserves devices for ppt(4) at boot: adds their B/S/F to pptdevs in /boot/loader.conf,
spilling into pptdevs2 and pptdevs3 so that no value exceeds 128 characters (existing
entries stay where they are), adds vmm_load="YES" at the top when it is missing and, on
AMD hosts, hw.vmm.amdvi.enable=1. Prints the unified diff of the change; the previous file is
kept as loader.conf.bak. Refuses bridges, devices outside PCI domain 0 and, unless --force,
devices that cannot be passed through (no MSI/MSI-X, part of the host platform). Running it
twice changes nothing the second time. The change takes effect at the next boot; --now also
binds the devices at once with devctl set driver -f SEL ppt (undone if any of them fails).`,
  options: [
    ...CHANGE_OPTIONS,
    { name: "force", type: "boolean", help: "reserve devices that look ineligible" },
  ],
  args: { min: 1, max: Infinity },
  examples: [
    ["The guide's GPU and its audio function", "pptkit reserve 1/0/0 1/0/1"],
    ["See what would change", "pptkit reserve --dry-run pci0:3:0:0"],
    [
      "Keep pptkit's lines in a drop-in",
      "pptkit reserve 3/0/0 --loader-conf /boot/loader.conf.d/ppt.conf",
    ],
  ],
  async run(ctx) {
    return await runChange(ctx, "reserve");
  },
};
