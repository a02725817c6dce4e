/**
 * `pptkit report DEVICE...`: one file to attach to a bug report or a pull request to the
 * compatibility list (app/report.ts): the device records, the host facts, pptkit's verdicts and
 * a quirks.d template to fill in with what was seen.
 *
 * @module
 */

import { buildReport, DEFAULT_REPORT_FILE, writeReport } from "../app/report.ts";
import { usageError } from "../core/errors.ts";
import { type Command, type OptionSpec, printJson, stringOption } from "./command.ts";
import { VERSION } from "./version.ts";

const OUTPUT: OptionSpec = {
  name: "output",
  short: "o",
  type: "string",
  value: "FILE",
  help: "write the report to FILE (never overwritten)",
  default: DEFAULT_REPORT_FILE,
};

export const report: Command = {
  synopsis: "[-o FILE] DEVICE...",
  description: `
Writes one file about the devices named (any spelling: 3/0/0, pci0:3:0:0, ppt0) to attach to a
bug report, or to fill in and send as a pull request to pptkit's compatibility list: each
device's pciconf record, the host's release and IOMMU, pptkit's verdicts, and a template in the
quirks.d format for what was seen (vendor, device and subsystem ids and the release filled
in; rule, message and source left to fill in, so that pptkit refuses the template until they
are). The file is FILE (default ${DEFAULT_REPORT_FILE} in the current directory), also with
--snapshot DIR; an existing file or symlink there is never overwritten or followed. Review it
before you share it: it names this host's VMs.`,
  options: [OUTPUT],
  args: { min: 1, max: Infinity },
  examples: [
    ["Report the GPU and its audio function", "pptkit report 3/0/0 3/0/1"],
    [
      "Report a device of a captured host",
      "pptkit report -o /tmp/rx9060.jsonc --snapshot /tmp/myhost 3/0/0",
    ],
  ],
  async run(ctx) {
    const path = stringOption(ctx, OUTPUT) ?? DEFAULT_REPORT_FILE;
    if (path === "") {
      throw usageError("-o needs a file name", "example: pptkit report -o gpu.jsonc 3/0/0");
    }
    const made = await buildReport(await ctx.host(), await ctx.config(), ctx.args, {
      version: VERSION,
    });
    // The report is the administrator's file: the real path, not under --snapshot or --root.
    await writeReport(await ctx.host(), path, made);
    if (ctx.global.json) {
      printJson(ctx.out, "pptkit.report/1", { file: path, devices: made.devices });
    } else if (!ctx.global.quiet) {
      ctx.out.stdout(
        `report on ${made.devices.join(" ")} written to ${path}: review it, fill in the ` +
          "rules, and attach it or send it upstream\n",
      );
    }
    return 0;
  },
};
