/**
 * `pptkit list [--all]`: the guide's table of passthrough devices.
 *
 * @module
 */

import { loadHostState } from "../app/host_state.ts";
import { isPassthroughCandidate } from "../core/inventory.ts";
import { formatLabel } from "../core/address.ts";
import { DEFAULT_STALE_AFTER_SECONDS, holdingText } from "../core/ownership/locks.ts";
import { type Command, printJson } from "./command.ts";
import { inventoryJson, lockJson } from "./json.ts";

export const list: Command = {
  synopsis: "[--all] [--json]",
  description: `
Lists the devices that are passed through, or can be: those attached to ppt(4), reserved in
loader.conf for the next boot, or named by a VM config. Status is Available, In use by: VM
(configured), Running in: VM, Conflict: VM1, VM2 (two VMs claim it) or Reserved (reboot)
(in loader.conf, ppt after the next boot). --all lists every PCI device with an Eligible
column: yes, no (see pptkit show ADDR for why) or ? (the capture had no capability lines).
Below the table, each lock of the run dir says which VM holds the device, since when, and
whether it still holds it (running, starting or rebooting, or free).`,
  options: [{ name: "all", type: "boolean", help: "every PCI device, with an Eligible column" }],
  args: { min: 0, max: 0 },
  examples: [
    ["The devices on ppt(4) and their users", "pptkit list"],
    ["Every device of a captured host, as JSON", "pptkit list --all --json --snapshot DIR"],
  ],
  async run(ctx) {
    const all = ctx.options.all === true;
    const host = await ctx.host();
    const { inventory, locks, running } = await loadHostState(host, await ctx.config());
    const devices = all ? inventory.devices : inventory.devices.filter(isPassthroughCandidate);
    const now = host.now();
    if (ctx.global.json) {
      printJson(ctx.out, "pptkit.inventory/1", {
        ...inventoryJson(inventory, devices),
        locks: locks.map((l) => lockJson(l, running, now)),
      });
      return 0;
    }
    if (devices.length === 0) {
      ctx.out.stderr(
        "pptkit: no device is attached to ppt(4), reserved in loader.conf or used by a VM\n" +
          "hint: see every device with: pptkit list --all\n",
      );
      return 0;
    }
    // The table renderer is loaded only here: list --json never pays for it.
    const { renderListTable } = await import("./list_table.ts");
    ctx.out.stdout(renderListTable(devices, all, ctx.out.color, ctx.out.columns));
    const staleAfterMs = DEFAULT_STALE_AFTER_SECONDS * 1000;
    if (locks.length > 0) {
      ctx.out.stdout(
        "\nLocks:\n" +
          locks.map((l) =>
            `  ${formatLabel(l.address)} locked by ${holdingText(l, running, now, staleAfterMs)}\n`
          ).join(""),
      );
    }
    return 0;
  },
};
