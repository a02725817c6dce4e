/**
 * `pptkit plugins`: the vendor-quirk plugins and compatibility rules that are loaded, and where
 * each came from (built in, or a community file), with the files that were refused and why.
 *
 * @module
 */

import { hostPlugins } from "../app/plugins.ts";
import type { Command } from "./command.ts";
import { renderFindings } from "./findings.ts";
import { renderTable } from "./render.ts";

export const plugins: Command = {
  synopsis: "[--json]",
  description: `
Lists the loaded plugins (built in: nvidia, amd_gpu, qlogic, intel_nic; community plugins from
the pluginDirs of pptkit.jsonc) with the hooks they implement, and the declarative
compatibility rules (plugins/quirks.jsonc and quirksDir), each with its source; with --json
every rule with all its keys (observed, ids, note, minRelease), its file and line. Community
files that are writable by group or others, or owned by another user, are refused and listed
with the reason.`,
  options: [],
  args: { min: 0, max: 0 },
  examples: [["What pptkit knows about vendors", "pptkit plugins"]],
  async run(ctx) {
    const registry = await hostPlugins(await ctx.host(), await ctx.config());
    const listing = registry.describe();
    if (ctx.global.json) {
      ctx.out.stdout(JSON.stringify(listing, null, 2) + "\n");
      return 0;
    }
    ctx.out.stdout(renderTable({
      title: "Plugins",
      columns: [{ header: "Name" }, { header: "Version" }, { header: "Hooks" }, {
        header: "From",
        wrap: true,
      }],
      rows: listing.plugins.map((p) => [p.name, p.version, p.hooks.join(", "), p.path]),
      maxWidth: ctx.out.columns,
    }));
    if (listing.rules.length > 0) {
      ctx.out.stdout(renderTable({
        title: "Compatibility rules",
        columns: [
          { header: "Vendor" },
          { header: "Device" },
          { header: "Class" },
          { header: "Rule" },
          { header: "Message", wrap: true },
          { header: "Source", wrap: true },
        ],
        rows: listing.rules.map((r) => [
          r.vendor,
          r.device ?? "any",
          r.class ?? "any",
          r.rule,
          r.message,
          r.source,
        ]),
        maxWidth: ctx.out.columns,
      }));
    }
    if (listing.findings.length > 0) {
      ctx.out.stderr(renderFindings(listing.findings, ctx.out.color));
    }
    return 0;
  },
};
