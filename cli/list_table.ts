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

/** The column headers of the table (and of `list --plain`). */
export function listHeaders(all: boolean): string[] {
  const headers = ["PPT Device", "PCI ID Raw", "Type", "Bhyve PCI ID", "Vendor", "Model", "Status"];
  return all ? [...headers, "Eligible"] : headers;
}

/**
 * The whole table: title "Bhyve Passthru Devices", `--all` adds the Eligible column. Narrower
 * than the table, every column wraps between words (headers too); when even that does not fit,
 * Vendor and then PCI ID Raw are left out, with a line that says so.
 */
export function renderListTable(
  devices: readonly InventoryDevice[],
  all: boolean,
  colour: boolean,
  columns: number | null,
): string {
  const columnsOf: Record<string, { wrap?: number; drop?: number }> = {
    "PPT Device": { wrap: 6 },
    "PCI ID Raw": { wrap: 7, drop: 2 },
    "Type": { wrap: 4 },
    "Bhyve PCI ID": { wrap: 5 },
    "Vendor": { wrap: 2, drop: 1 },
    "Model": { wrap: 1 },
    "Status": { wrap: 3 },
  };
  return renderTable({
    title: "Bhyve Passthru Devices",
    columns: listHeaders(all).map((header) => ({ header, ...columnsOf[header] })),
    rows: listRows(devices, all, colour),
    maxWidth: columns,
    dropNote: (dropped, width) =>
      `${dropped.join(" and ")} not shown: the table is wider than ${width} columns ` +
      "(pptkit list --wide or --plain shows every column)",
  });
}
