/**
 * `pptkit parse TEXT...`: every spelling of a PCI address (DESIGN §3), the guide's
 * "PCI Device name parsing" done by the tool.
 *
 * @module
 */

import {
  type AddressToken,
  formatBsf,
  formatRawSelector,
  formatSelector,
  parseAddress,
} from "../core/address.ts";
import { type Command, printJson } from "./command.ts";
import { renderTable } from "./render.ts";

function tokensOf(text: string): string[] {
  return text.split(/\s+/).filter((t) => t !== "");
}

function asJson(t: AddressToken): Record<string, unknown> {
  const a = t.address;
  return {
    input: t.text,
    spelling: t.spelling,
    name: t.name,
    domain: a?.domain ?? null,
    bus: a?.bus ?? null,
    slot: a?.slot ?? null,
    function: a?.function ?? null,
    selector: a === null ? null : formatSelector(a),
    pciconf: a === null ? null : formatRawSelector(a),
    bsf: a === null ? null : formatBsf(a),
    split: t.split,
    pin: t.pin,
  };
}

export const parse: Command = {
  synopsis: "[TEXT...]",
  description: `
Converts PCI addresses between the spellings pptkit understands: pciconf's
vgapci0@pci0:0:2:0:, the selector pci0:0:2:0 (pciconf, devctl), bhyve's and pptdevs'
B/S/F 0/2/0, Hoster's split form -1/0/1 and vm-bhyve's pinned form 1/0/0=6:0. Reads the
addresses from standard input when none is given. A device name (ppt0) is recognised but
needs the host to resolve: use pptkit show NAME.`,
  options: [],
  args: { min: 0, max: Infinity },
  examples: [
    ["The guide's example", "pptkit parse vgapci0@pci0:0:2:0:"],
    ["Every ppt device of this host", "pciconf -l | grep ^ppt | cut -f1 | pptkit parse"],
  ],
  async run(ctx) {
    const texts = ctx.args.length > 0 ? [...ctx.args] : tokensOf(await ctx.stdin());
    const tokens = texts.map((t) => parseAddress(t));
    if (ctx.global.json) {
      printJson(ctx.out, "pptkit.parse/1", { addresses: tokens.map(asJson) });
      return 0;
    }
    const rows = tokens.map((t) => {
      const a = t.address;
      const extra = t.split
        ? "own guest slot"
        : t.pin
        ? `guest ${t.pin.slot}:${t.pin.function}`
        : t.name !== null && a === null
        ? "device name"
        : "";
      return [
        t.text,
        a === null ? "-" : formatSelector(a),
        a === null ? "-" : (formatBsf(a) ?? "none (domain not 0)"),
        t.name ?? "-",
        extra,
      ];
    });
    ctx.out.stdout(renderTable({
      style: "plain",
      columns: [{ header: "" }, { header: "" }, { header: "" }, { header: "" }, { header: "" }],
      rows: [["INPUT", "SELECTOR", "B/S/F", "NAME", "NOTE"], ...rows],
    }));
    return 0;
  },
};
