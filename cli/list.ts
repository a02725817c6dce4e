/**
 * `pptkit list [--all]`: the guide's table of passthrough devices.
 *
 * @module
 */

import { loadHostState } from "../app/host_state.ts";
import { usageError } from "../core/errors.ts";
import { isPassthroughCandidate } from "../core/inventory.ts";
import { formatLabel } from "../core/address.ts";
import { DEFAULT_STALE_AFTER_SECONDS, holdingText } from "../core/ownership/locks.ts";
import { type Command, printJson } from "./command.ts";
import { inventoryJson, lockJson } from "./json.ts";

export const list: Command = {
  synopsis: "[--all] [--wide | --plain] [--json]",
  description: `
Lists the devices that are passed through, or can be: those attached to ppt(4), reserved in
loader.conf for the next boot, or named by a VM config. Status gives the state that matters
first: Running in: VM (a running VM holds it; "; conflict: VM2" when another VM names it too),
Conflict: VM1, VM2 (two VMs name it), Reserved (reboot): VM or Not on ppt: VM (a VM names it
but it is not on ppt(4) yet: reboot, or reserve it), In use by: VM (configured, on ppt(4)),
Available (on ppt(4), no VM names it), Reserved (reboot) (in loader.conf, ppt after the next
boot) or Not reserved (a host driver has it). --all lists every PCI device with an Eligible
column: yes, no (see pptkit show ADDR for why) or ? (the capture had no capability lines).

The table fits the terminal (or COLUMNS), wrapping between words; when it cannot, Vendor and
then PCI ID Raw are left out and a line says so. Piped without COLUMNS it is not wrapped.
--wide never wraps; --plain prints a header line and one line per device with the fields
separated by tabs, for scripts. Below the table, each lock of the run dir says which VM holds
the device, since when, and whether it still holds it (running, starting or rebooting, or free).`,
  options: [
    { name: "all", type: "boolean", help: "every PCI device, with an Eligible column" },
    { name: "wide", type: "boolean", help: "never wrap the table, whatever the width" },
    {
      name: "plain",
      type: "boolean",
      help: "tab-separated fields, a header line first, no table and no colour",
    },
  ],
  args: { min: 0, max: 0 },
  examples: [
    ["The devices on ppt(4) and their users", "pptkit list"],
    ["Every device of a captured host, as JSON", "pptkit list --all --json --snapshot DIR"],
    [
      "The B/S/F of every available device",
      "pptkit list --plain | awk -F'\\t' '$7 == \"Available\" { print $4 }'",
    ],
  ],
  async run(ctx) {
    const all = ctx.options.all === true;
    if (ctx.options.wide === true && ctx.options.plain === true) {
      throw usageError("--wide and --plain exclude each other", "--plain has no table to widen");
    }
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
    const { listHeaders, listRows, renderListTable } = await import("./list_table.ts");
    if (ctx.options.plain === true) {
      const field = (text: string) => text.replaceAll("\t", " ").replaceAll("\n", " ");
      const lines = [listHeaders(all), ...listRows(devices, all, false)]
        .map((row) => row.map(field).join("\t") + "\n");
      ctx.out.stdout(lines.join(""));
      return 0;
    }
    const width = ctx.options.wide === true ? null : ctx.out.columns;
    ctx.out.stdout(renderListTable(devices, all, ctx.out.color, width));
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
