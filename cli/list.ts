/**
 * `pptkit list [--all]`: the guide's table of passthrough devices.
 *
 * @module
 */

import { type InventoryDevice, isPassthroughCandidate } from "../core/inventory.ts";
import { type Command, printJson } from "./command.ts";
import { inventoryJson } from "./json.ts";
import { loadInventoryFor } from "./load.ts";
import { type Colour, paint, renderTable } from "./render.ts";

const STATUS_COLOUR: Record<InventoryDevice["status"], Colour> = {
  "available": "green",
  "in-use": "yellow",
  "running": "cyan",
  "conflict": "red",
  "reboot-pending": "yellow",
  "not-reserved": "dim",
};

/** The guide's Model column shows `GP107GL Quadro P600` for `GP107GL [Quadro P600]`. */
function modelText(entry: InventoryDevice): string {
  const d = entry.device;
  if (d.model === null) return `0x${d.deviceId}`;
  return d.model.replaceAll("[", "").replaceAll("]", "");
}

/** `display/VGA`, `multimedia/HDA`; class code when pciconf gave no names. */
export function typeText(entry: InventoryDevice): string {
  const d = entry.device;
  if (d.class === null) return `0x${d.classCode}`;
  return d.subclass === null ? d.class : `${d.class}/${d.subclass}`;
}

function eligibleText(entry: InventoryDevice): string {
  return entry.eligible === null ? "?" : entry.eligible ? "yes" : "no";
}

/** Table rows; colour only in the Status and Eligible cells. */
export function listRows(devices: readonly InventoryDevice[], all: boolean, colour: boolean) {
  return devices.map((e) => {
    const row = [
      e.device.name,
      e.selector + ":",
      typeText(e),
      e.bsf ?? "-",
      e.device.vendor ?? `0x${e.device.vendorId}`,
      modelText(e),
      paint(e.statusText, STATUS_COLOUR[e.status], colour),
    ];
    if (all) row.push(paint(eligibleText(e), e.eligible === false ? "red" : "green", colour));
    return row;
  });
}

export const list: Command = {
  synopsis: "[--all] [--json]",
  description: `
Lists the devices that are passed through, or can be: those attached to ppt(4), reserved in
loader.conf for the next boot, or named by a VM config. Status is Available, In use by: VM
(configured), Running in: VM, Conflict: VM1, VM2 (two VMs claim it) or Reserved (reboot)
(in loader.conf, ppt after the next boot). --all lists every PCI device with an Eligible
column: yes, no (see pptkit show ADDR for why) or ? (the capture had no capability lines).`,
  options: [{ name: "all", type: "boolean", help: "every PCI device, with an Eligible column" }],
  args: { min: 0, max: 0 },
  examples: [
    ["The devices on ppt(4) and their users", "pptkit list"],
    ["Every device of a captured host, as JSON", "pptkit list --all --json --snapshot DIR"],
  ],
  async run(ctx) {
    const all = ctx.options.all === true;
    const inventory = await loadInventoryFor(ctx);
    const devices = all ? inventory.devices : inventory.devices.filter(isPassthroughCandidate);
    if (ctx.global.json) {
      printJson(ctx.out, "pptkit.inventory/1", inventoryJson(inventory, devices));
      return 0;
    }
    if (devices.length === 0) {
      ctx.out.stderr(
        "pptkit: no device is attached to ppt(4), reserved in loader.conf or used by a VM\n" +
          "hint: see every device with: pptkit list --all\n",
      );
      return 0;
    }
    const columns = [
      { header: "PPT Device" },
      { header: "PCI ID Raw" },
      { header: "Type" },
      { header: "Bhyve PCI ID" },
      { header: "Vendor", wrap: true },
      { header: "Model", wrap: true },
      { header: "Status" },
    ];
    if (all) columns.push({ header: "Eligible" });
    ctx.out.stdout(renderTable({
      title: "Bhyve Passthru Devices",
      columns,
      rows: listRows(devices, all, ctx.out.color),
      maxWidth: ctx.out.columns,
    }));
    return 0;
  },
};
