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
  synopsis: "ADDR... [--dry-run] [--now] [--allow RISK,...] [--loader-conf FILE]",
  description: `
Reserves devices for ppt(4) at boot: adds their B/S/F to pptdevs, spilling into pptdevs2 and
pptdevs3 so that no value exceeds 128 characters (existing entries stay where they are), adds
vmm_load="YES" at the top when it is missing and, on AMD hosts, hw.vmm.amdvi.enable=1. The
file is the one where pptdevs is set (the last one the loader reads), else /boot/loader.conf;
--loader-conf names another, and an edit that a file read later would override is refused.

Prints the unified diff; the previous file is kept as FILE.bak, and every version before a
change in /var/db/pptkit/backups (the first and the 9 newest). A device a VM config names but
that is not on ppt(4) yet is what reserve is for. Refused: bridges and devices outside PCI
domain 0 (never), and, each unless its own --allow, a device the host needs (host-critical:
the boot disk controller, the console display, the NIC of the default route), one without MSI
or MSI-X (no-msi), an SR-IOV physical function with VFs configured (sriov-pf), and any device
on a host that is not amd64 (arch-unsupported). The other functions of a card are offered; an
SR-IOV virtual function gets a note on iovctl(8). Running it twice changes nothing the second
time. The change takes effect at the next boot; --now also binds the devices at once with
devctl set driver -f SEL ppt (undone if any of them fails).`,
  options: [
    ...CHANGE_OPTIONS,
    {
      name: "allow",
      type: "string",
      value: "RISK,...",
      help: "accept these risks, each by name: host-critical, no-msi, sriov-pf, arch-unsupported",
    },
    {
      name: "force",
      type: "boolean",
      help: "retired: it accepted every risk at once; use --allow RISK",
    },
  ],
  args: { min: 1, max: Infinity },
  examples: [
    ["A GPU and its audio function, the two functions of one card", "pptkit reserve 1/0/0 1/0/1"],
    ["See what would change", "pptkit reserve --dry-run pci0:3:0:0"],
    [
      "The NIC of the default route, when the host has another way onto the network",
      "pptkit reserve --allow host-critical 0/31/6",
    ],
    [
      "Keep pptkit's lines in a drop-in",
      "pptkit reserve 3/0/0 --loader-conf /boot/loader.conf.d/ppt.conf",
    ],
  ],
  async run(ctx) {
    return await runChange(ctx, "reserve");
  },
};
