/**
 * The table of `pptkit list`: the guide's columns, colour in the Status and Eligible cells.
 * Kept apart from cli/list.ts so that `list --json` never loads the table renderer.
 *
 * @module
 */

import { formatRawSelector } from "../core/address.ts";
import type { InventoryDevice } from "../core/inventory.ts";
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
      formatRawSelector(e.device.address),
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

/** The whole table: title "Bhyve Passthru Devices", `--all` adds the Eligible column. */
export function renderListTable(
  devices: readonly InventoryDevice[],
  all: boolean,
  colour: boolean,
  columns: number | null,
): string {
  const headers = [
    { header: "PPT Device" },
    { header: "PCI ID Raw" },
    { header: "Type", wrap: 4 },
    { header: "Bhyve PCI ID" },
    { header: "Vendor", wrap: 2 },
    { header: "Model", wrap: 1 },
    { header: "Status", wrap: 3 },
  ];
  if (all) headers.push({ header: "Eligible" });
  return renderTable({
    title: "Bhyve Passthru Devices",
    columns: headers,
    rows: listRows(devices, all, colour),
    maxWidth: columns,
  });
}
