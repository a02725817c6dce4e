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
import { PptkitError } from "../core/errors.ts";
import { parsePciconf, type PciDevice } from "../core/pciconf.ts";
import { type Command, type Context, printJson } from "./command.ts";
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

/**
 * Device names (`ppt0`) resolved against the host (`--snapshot DIR`, `--root DIR` or this
 * host): only they need pciconf. A host that cannot be read leaves them unresolved.
 */
async function resolveNames(
  ctx: Context,
  tokens: AddressToken[],
): Promise<{ tokens: AddressToken[]; hostRead: boolean }> {
  if (!tokens.some((t) => t.address === null)) return { tokens, hostRead: false };
  let devices: PciDevice[];
  try {
    const host = await ctx.host();
    devices = parsePciconf((await host.capture("pciconf")) ?? "", host.description).devices;
  } catch (e) {
    if (e instanceof PptkitError) return { tokens, hostRead: false };
    throw e;
  }
  const resolved = tokens.map((t) => {
    if (t.address !== null) return t;
    const found = devices.find((d) => d.name === t.name);
    return found === undefined ? t : { ...t, address: found.address };
  });
  return { tokens: resolved, hostRead: true };
}

export const parse: Command = {
  synopsis: "[TEXT...]",
  description: `
Converts PCI addresses between the spellings pptkit understands: pciconf's
vgapci0@pci0:0:2:0:, the selector pci0:0:2:0 (pciconf, devctl), bhyve's and pptdevs'
B/S/F 0/2/0, Hoster's split form -1/0/1 and vm-bhyve's pinned form 1/0/0=6:0. Reads the
addresses from standard input when none is given. A device name (ppt0) is looked up on the
host (with --snapshot DIR, on that host); unit numbers change between boots, so the B/S/F is
what a config should hold.`,
  options: [],
  args: { min: 0, max: Infinity },
  examples: [
    ["The guide's example", "pptkit parse vgapci0@pci0:0:2:0:"],
    ["Every ppt device of this host", "pciconf -l | grep ^ppt | cut -f1 | pptkit parse"],
  ],
  async run(ctx) {
    const texts = ctx.args.length > 0 ? [...ctx.args] : tokensOf(await ctx.stdin());
    const { tokens, hostRead } = await resolveNames(ctx, texts.map((t) => parseAddress(t)));
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
        ? (hostRead
          ? "device name: no such device"
          : "device name: needs the host (--snapshot DIR)")
        : t.spelling === "name"
        ? "device name, on this host"
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
