/**
 * `pptkit release ADDR...`: the reverse of reserve. Takes devices out of pptdevs (an emptied
 * `pptdevsN` variable is dropped), prints the diff; `--now` also gives them back to their host
 * drivers with devctl clear driver. Refuses a device that a running VM holds.
 *
 * @module
 */

import { CHANGE_OPTIONS, runChange } from "./change.ts";
import type { Command } from "./command.ts";

export const release: Command = {
  synopsis: "ADDR... [--dry-run] [--now] [--loader-conf FILE]",
  description: `
Takes devices out of pptdevs, pptdevs2 and pptdevs3 in the file where pptdevs is set (the last
one the loader reads), else /boot/loader.conf, or FILE. A variable that becomes empty is
removed, with every duplicate line of it in that file (it is set to "" only when an earlier
file sets it too); every other line stays as it was. Prints the unified diff; the previous
file is kept as FILE.bak, and every version before a change in /var/db/pptkit/backups. A VM
config that still passes a device is named. A device that is no longer on the host can still
be released by its B/S/F. Refuses a device that a running VM holds (exit 75). The change takes
effect at the next boot; --now also returns the devices to their host drivers at once with
devctl clear driver -f SEL.`,
  options: CHANGE_OPTIONS,
  args: { min: 1, max: Infinity },
  examples: [
    ["Give the NIC back to the host at the next boot", "pptkit release 3/0/0"],
    ["... and right now", "pptkit release --now 3/0/0"],
  ],
  async run(ctx) {
    return await runChange(ctx, "release");
  },
};
