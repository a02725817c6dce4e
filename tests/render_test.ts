import assert from "node:assert/strict";
import { detectIommu } from "../core/acpi.ts";
import { buildInventory, type LoaderFacts } from "../core/inventory.ts";
import { parsePciconf } from "../core/pciconf.ts";
import { listRows, renderListTable } from "../cli/list_table.ts";
import { displayWidth, paint, renderTable, stripColour, wrapText } from "../cli/render.ts";
import { DEMO } from "./helpers.ts";

const NO_LOADER: LoaderFacts = {
  reserved: new Map(),
  bootReserved: null,
  vmmLoad: true,
  amdviEnabled: false,
  rebootPending: false,
  findings: [],
};

/** The table of reference/passthru-guide.md, verbatim. */
const GUIDE_TABLE =
  `╭─────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────╮
│                                                             Bhyve Passthru Devices                                                              │
├────────────┬─────────────┬────────────────┬──────────────┬────────────────────┬──────────────────────────────────────────┬──────────────────────┤
│ PPT Device │ PCI ID Raw  │      Type      │ Bhyve PCI ID │       Vendor       │                  Model                   │        Status        │
├────────────┼─────────────┼────────────────┼──────────────┼────────────────────┼──────────────────────────────────────────┼──────────────────────┤
│ ppt0       │ pci0:1:0:0: │ display/VGA    │ 1/0/0        │ NVIDIA Corporation │ GP107GL Quadro P600                      │ In use by: test-vm-1 │
├────────────┼─────────────┼────────────────┼──────────────┼────────────────────┼──────────────────────────────────────────┼──────────────────────┤
│ ppt1       │ pci0:1:0:1: │ multimedia/HDA │ 1/0/1        │ NVIDIA Corporation │ GP107GL High Definition Audio Controller │ In use by: test-vm-1 │
╰────────────┴─────────────┴────────────────┴──────────────┴────────────────────┴──────────────────────────────────────────┴──────────────────────╯
`;

const COLUMNS = [
  "PPT Device",
  "PCI ID Raw",
  "Type",
  "Bhyve PCI ID",
  "Vendor",
  "Model",
  "Status",
].map((header) => ({ header, wrap: header === "Model" }));

/** The demo host's devices, its NVIDIA card's two functions named by `users`. */
function demoInventory(users: readonly { vm: string; source: string; running: boolean }[]) {
  return buildInventory({
    listing: parsePciconf(Deno.readTextFileSync(`${DEMO}/pciconf.txt`)),
    iommu: detectIommu(null),
    loader: NO_LOADER,
    kldstat: null,
    sysctl: null,
    release: null,
    snapshot: true,
    usage: new Map([["0:1:0:0", users], ["0:1:0:1", users]]),
  });
}

Deno.test("renderTable() draws the guide's table byte for byte from the demo host", () => {
  const inventory = demoInventory([{ vm: "test-vm-1", source: "hoster", running: false }]);
  const ppt = inventory.devices.filter((d) => d.device.driver === "ppt");
  const text = renderTable({
    title: "Bhyve Passthru Devices",
    columns: COLUMNS,
    rows: listRows(ppt, false, false),
  });
  assert.equal(text, GUIDE_TABLE);
});

Deno.test("renderTable() wraps the Model column to fit the terminal width", () => {
  const rows = [[
    "ppt0",
    "pci0:0:20:0:",
    "serial bus/USB",
    "0/20/0",
    "Intel Corporation",
    "100 Series/C230 Series Chipset Family USB 3.0 xHCI Controller",
    "Available",
  ]];
  const text = renderTable({
    title: "Bhyve Passthru Devices",
    columns: COLUMNS,
    rows,
    maxWidth: 120,
  });
  const lines = text.trimEnd().split("\n");
  for (const line of lines) assert.ok(displayWidth(line) <= 120, `fits: ${line}`);
  assert.ok(lines.length > 7, "the model wrapped onto a second line");
  assert.ok(text.includes("xHCI"));
});

Deno.test("displayWidth() ignores colour and counts wide characters twice", () => {
  assert.equal(displayWidth(paint("Available", "green", true)), 9);
  assert.equal(stripColour(paint("x", "red", true)), "x");
  assert.equal(paint("x", "red", false), "x");
  assert.equal(displayWidth("日本"), 4);
});

Deno.test("wrapText() breaks at spaces and splits words longer than the width", () => {
  assert.deepEqual(wrapText("GP107GL High Definition Audio Controller", 16), [
    "GP107GL High",
    "Definition Audio",
    "Controller",
  ]);
  assert.deepEqual(wrapText("abcdefghij", 4), ["abcd", "efgh", "ij"]);
  assert.deepEqual(wrapText("short", 10), ["short"]);
});

Deno.test("renderTable() plain style aligns columns without borders", () => {
  const text = renderTable({
    style: "plain",
    indent: 2,
    columns: [{ header: "" }, { header: "" }],
    rows: [["list", "list devices"], ["snapshot", "capture this host"]],
  });
  assert.equal(text, "  list      list devices\n  snapshot  capture this host\n");
});

/** Every token a table shows: text between blanks and borders. */
function tokens(text: string): Set<string> {
  return new Set(text.split(/[\s│─╭╮╰╯├┤┬┴┼]+/).filter((t) => t !== ""));
}

Deno.test("#15.7 list --all at 80 columns wraps between words, never inside one", () => {
  const inventory = demoInventory([{ vm: "win-gpu", source: "native", running: true }]);
  for (const all of [false, true]) {
    const devices = all ? inventory.devices : inventory.devices.slice(8, 10);
    const text = renderListTable(devices, all, false, 80);
    const lines = text.trimEnd().split("\n");
    for (const line of lines) assert.ok(displayWidth(line) <= 80, `fits 80: ${line}`);
    const shown = tokens(text);
    assert.ok(shown.has("Running") && shown.has("in:") && shown.has("win-gpu"), text);
    assert.doesNotMatch(text, /Runnin(?!g)|win-gp(?!u)/);
    // Every word of the Type, Model and Status cells is whole (a "/" may end a line).
    for (const row of listRows(devices, all, false)) {
      for (const cell of [row[2], row[5], row[6]]) {
        for (const word of cell.split(" ")) {
          const parts = word.split(/(?<=\/)/);
          assert.ok(
            shown.has(word) || parts.every((p) => shown.has(p)),
            `"${word}" whole in:\n${text}`,
          );
        }
      }
    }
    if (all) assert.match(text, /^PCI ID Raw and Vendor not shown: the table is wider than 80/m);
  }
});

Deno.test("renderTable() cuts a word only when it is longer than its column can be", () => {
  assert.deepEqual(wrapText("mass storage/SATA", 11), ["mass", "storage/", "SATA"]);
  assert.deepEqual(wrapText("Running in: win-gpu", 11), ["Running in:", "win-gpu"]);
  // The plain style (help, show) keeps cutting a path that no line can hold.
  assert.deepEqual(wrapText("/a/very/long/path", 6), ["/a/", "very/", "long/", "path"]);
});
