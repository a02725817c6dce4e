/**
 * `pptkit explain [TEXT...]`: reads a bhyve error line or a whole wrapper log (stdin when no
 * TEXT is given) and says, for each known message, what it means, what pptkit found on the host
 * about it, and what to do. The messages and their causes are in core/explain.ts.
 *
 * @module
 */

import { explainFacts } from "../app/explain.ts";
import { explainText } from "../core/explain/explain.ts";
import type { Explanation } from "../core/explain/types.ts";
import { type Command, printJson } from "./command.ts";
import { type Colour, paint } from "./render.ts";

const RESULT_COLOUR: Record<string, Colour> = {
  cause: "red",
  ok: "green",
  unknown: "yellow",
  check: "cyan",
};

function render(
  found: readonly Explanation[],
  where: string,
  problem: string | null,
  colour: boolean,
): string {
  let out = "";
  for (const x of found) {
    if (out !== "") out += "\n";
    const at = x.lines.length === 1 ? `line ${x.lines[0]}` : `lines ${x.lines.join(", ")}`;
    out += `${at}: ${paint(x.text, "bold", colour)}\n`;
    out += `  means: ${x.meaning} [${x.source}]\n`;
    if (x.checks.length > 0) {
      const byHand = x.checks.every((c) => c.result === "check");
      out += byHand
        ? `  check, in this order${
          problem === null ? "" : ` (host facts unavailable: ${problem})`
        }:\n`
        : `  checked on ${where}, in this order:\n`;
      for (const c of x.checks) {
        out += `    ${paint(c.result.padEnd(7), RESULT_COLOUR[c.result], colour)}  ${c.text}\n`;
      }
    }
    for (const fix of x.fixes) out += `  do: ${fix}\n`;
  }
  return out;
}

function explanationJson(x: Explanation): Record<string, unknown> {
  return {
    id: x.id,
    lines: x.lines,
    text: x.text,
    source: x.source,
    device: x.device,
    meaning: x.meaning,
    checks: x.checks.map((c) => ({ result: c.result, text: c.text, fix: c.fix ?? null })),
    fixes: x.fixes,
  };
}

export const explain: Command = {
  synopsis: "[TEXT...]",
  description: `
Reads a bhyve error line, or a whole wrapper or console log from standard input when no TEXT
is given, and explains every passthrough message it knows: bhyve's passthru, slot and memory
errors (PCI device at B/S/F is not using the ppt(4) driver, passthru requires guest memory to
be wired, Unable to setup memory, invalid options, romfile errors, Invalid PCI slot info
field, ...) and the kernel's (AMD-Vi disabled, VT-d panics, too long kenv string). Where one
message has several causes, pptkit checks them against the host (or --snapshot DIR) in order:
for "not using the ppt(4) driver" whether the device is on ppt(4), whether another running VM
holds it, and whether the host has an IOMMU. Exit status 1 when the text holds no known
message.`,
  options: [],
  args: { min: 0, max: Infinity },
  examples: [
    [
      "What went wrong with this start?",
      "pptkit explain 'bhyve: PCI device at 1/0/0 is not using the ppt(4) driver'",
    ],
    ["Everything pptkit knows in a vm-bhyve log", "pptkit explain < /vm/vm1/vm-bhyve.log"],
  ],
  async run(ctx) {
    const text = ctx.args.length > 0 ? ctx.args.join(" ") : await ctx.stdin();
    let found = explainText(text, null);
    let where = "";
    let problem: string | null = null;
    if (found.length > 0) {
      const host = await explainFacts(() => ctx.host(), () => ctx.config());
      where = host.where;
      problem = host.problem;
      if (host.facts !== null) found = explainText(text, host.facts);
    }
    if (ctx.global.json) {
      printJson(ctx.out, "pptkit.explain/1", {
        found: found.length,
        host: problem === null && where !== "" ? where : null,
        hostProblem: problem,
        messages: found.map(explanationJson),
      });
    } else if (found.length > 0) {
      ctx.out.stdout(render(found, where, problem, ctx.out.color));
    }
    if (found.length > 0) return 0;
    ctx.out.stderr("pptkit: nothing known found in the text: no bhyve passthru message\n");
    ctx.out.stderr(
      "hint: explain knows lines like: PCI device at 1/0/0 is not using the ppt(4) driver\n",
    );
    return 1;
  },
};
