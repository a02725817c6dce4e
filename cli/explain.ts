/**
 * `pptkit explain [TEXT...]`: reads a bhyve error line or a whole log (stdin when no TEXT is
 * given) and says, for each known message, what it means, what pptkit found on the host and in
 * the rest of the log about it, and what to do; for a log, also which wrapper wrote it, where
 * bhyve's own messages went, the lint of each bhyve command line it logs, and what the boot
 * messages say. The catalogue is in core/explain/catalogue/, the checks in
 * core/explain/checks.ts.
 *
 * @module
 */

import { explainFacts } from "../app/explain.ts";
import { explainText, foundAnything } from "../core/explain/explain.ts";
import { describeErrno } from "../core/explain/errno.ts";
import type { ExplainReport, Explanation, LogReport } from "../core/explain/types.ts";
import { type Command, printJson } from "./command.ts";
import { findingJson } from "./json.ts";
import { type Colour, paint } from "./render.ts";

const RESULT_COLOUR: Record<string, Colour> = {
  cause: "red",
  ok: "green",
  unknown: "yellow",
  check: "cyan",
};

const LEVEL_COLOUR: Record<string, Colour> = { error: "red", warn: "yellow", info: "cyan" };

function at(lines: readonly number[]): string {
  return lines.length === 1 ? `line ${lines[0]}` : `lines ${lines.join(", ")}`;
}

/** `FreeBSD 14.0 and later`, `CBSD 11.1.0 to 13.1.3 (UNVERIFIED)`: the matched wording's releases. */
function releases(x: Explanation): string {
  const who = x.where.repo === "freebsd/freebsd-src" ? "FreeBSD" : x.origin;
  const { first, last, verified } = x.format;
  const range = first === null
    ? `${who} up to ${last}`
    : last === null
    ? `${who} ${first} and later`
    : `${who} ${first} to ${last}`;
  return range + (verified ? "" : " (UNVERIFIED)");
}

/** An explanation that needs a block of its own (the rest are listed briefly). */
function isMain(x: Explanation): boolean {
  if (x.role === "error" || x.role === "warning") return true;
  return x.role === "exit" && x.checks.some((c) => c.result !== "ok");
}

function renderMessage(
  x: Explanation,
  where: string,
  problem: string | null,
  colour: boolean,
): string {
  let out = `${at(x.lines)}: ${paint(x.text, "bold", colour)}\n`;
  out += `  means: ${x.meaning} [${x.source}; this wording: ${releases(x)}]\n`;
  if (x.errno !== null && x.errno.line !== x.lines[0]) {
    out += `  errno: ${
      describeErrno(x.errno)
    } from line ${x.errno.line}: only the causes it allows are checked\n`;
  }
  if (x.checks.length > 0) {
    const byHand = x.checks.every((c) => c.result === "check");
    out += byHand
      ? `  check, in this order${
        problem === null ? "" : ` (host facts unavailable: ${problem})`
      }:\n`
      : `  checked on ${where === "" ? "the text" : where}, in this order:\n`;
    for (const c of x.checks) {
      out += `    ${paint(c.result.padEnd(7), RESULT_COLOUR[c.result], colour)}  ${c.text}\n`;
    }
  }
  for (const fix of x.fixes) out += `  do: ${fix}\n`;
  return out;
}

function renderLog(log: LogReport, where: string, colour: boolean): string {
  let out = "";
  if (log.wrapper !== null) {
    out += `log: written by ${log.wrapper} (line ${log.wrapperLine})\n`;
    if (log.stderr !== null) out += `  bhyve's messages: ${log.stderr}\n`;
  }
  for (const c of log.commandLines) {
    out += `bhyve command line, ${at(c.lines)}${c.vm === null ? "" : ` (VM ${c.vm})`}: ${c.text}\n`;
    const passed = c.passthru.map((p) => `${p.bsf ?? p.device} at guest ${p.guest}`);
    out += `  passthru: ${passed.length === 0 ? "none" : passed.join(", ")}; -S: ${
      c.wired ? "yes" : "no"
    }\n`;
    if (c.findings.length === 0) {
      out += `  lint: no problem found${
        c.checkedOnHost ? ` (devices checked on ${where})` : " (devices not checked: no host facts)"
      }\n`;
    }
    for (const f of c.findings) {
      out += `  ${paint(f.level.padEnd(7), LEVEL_COLOUR[f.level], colour)}  ${f.message}\n`;
      if (f.fix !== undefined) out += `           do: ${f.fix}\n`;
    }
  }
  const d = log.dmesg;
  if (d.iommu.length > 0) {
    out += `boot messages: IOMMU units ${
      d.iommu.map((u) => `${u.name} (${u.kind}, line ${u.line})`).join(", ")
    }\n`;
  }
  const ppt = d.attached.filter((a) => a.driver === "ppt");
  if (ppt.length > 0) {
    out += `boot messages: ppt(4) took ${
      ppt.map((a) => `${a.bsf} as ${a.name} (line ${a.line})`).join(", ")
    }` +
      (ppt.some((a) =>
          a.assumed
        )
        ? " (pciN read as bus N)"
        : "") +
      "\n";
  }
  for (const p of d.pptdevs) {
    if (p.problem === null) continue;
    out += `  ${paint("error".padEnd(7), "red", colour)}  ${p.problem}\n`;
    if (p.fix !== null) out += `           do: ${p.fix}\n`;
  }
  for (const f of d.faults) {
    out += `boot messages: an IOMMU fault of ${f.device ?? "an unknown device"} (line ${f.line})` +
      (f.holder === null ? "" : `, a device of VM ${f.holder}`) + "\n";
  }
  return out;
}

function render(
  report: ExplainReport,
  where: string,
  problem: string | null,
  colour: boolean,
): string {
  const blocks: string[] = [];
  const head = renderLog(report.log, where, colour);
  if (head !== "") blocks.push(head);
  for (const x of report.messages.filter(isMain)) {
    blocks.push(renderMessage(x, where, problem, colour));
  }
  const rest = report.messages.filter((x) => !isMain(x) && x.role !== "command-line");
  if (rest.length > 0) {
    let also = "also in the text:\n";
    for (const x of rest) {
      const said = x.checks.find((c) => c.result !== "check");
      also += `  ${at(x.lines)}: ${x.text}: ${said === undefined ? x.meaning : said.text}\n`;
    }
    blocks.push(also);
  }
  return blocks.join("\n");
}

function explanationJson(x: Explanation): Record<string, unknown> {
  return {
    id: x.id,
    lines: x.lines,
    text: x.text,
    source: x.source,
    device: x.device,
    meaning: x.meaning,
    checks: x.checks.map((c) => ({
      result: c.result,
      text: c.text,
      fix: c.fix ?? null,
      check: c.check ?? null,
    })),
    fixes: x.fixes,
    role: x.role,
    origin: x.origin,
    where: x.where,
    format: x.format,
    errno: x.errno,
    status: x.status,
    holder: x.holder,
    commandLine: x.commandLine,
  };
}

function logJson(log: LogReport): Record<string, unknown> {
  return {
    ...log,
    commandLines: log.commandLines.map((c) => ({ ...c, findings: c.findings.map(findingJson) })),
  };
}

export const explain: Command = {
  synopsis: "[TEXT...]",
  description: `
Reads a bhyve error line, or a whole wrapper, console or boot log from standard input when no
TEXT is given, and explains every passthrough message it knows: bhyve's (pci_passthru.c,
pci_emul.c, bhyverun.c, pci_gvt-d.c), the kernel's (vmm, VT-d and AMD-Vi, IOMMU faults, kenv),
devctl's, kldload's, and those of vm-bhyve, CBSD, wifibox, iohyve and Hoster. Each cause is
checked in order against the host (or --snapshot DIR) and the rest of the text: the errno of a
Device emulation initialization error line narrows "not using the ppt(4) driver" to not on
ppt(4) (ENOENT), another VM (EBUSY) or the IOMMU (ENXIO); a kernel line that AMD-Vi is off
answers the IOMMU question; another VM's command line names the holder. For a log it also says
where the wrapper put bhyve's own messages, lints every bhyve command line it logs (vm-bhyve
[bhyve options:] and [bhyve devices:], CBSD cmd: and [debug], wifibox Arguments:, Hoster BHYVE
START CMD:, ps lines) with the guest slot rules and the device facts, and reads boot messages
(the driver that took each pptdevs device, IOMMU units, faults by B/S/F). Exit status 1 when
the text holds nothing known.`,
  options: [],
  args: { min: 0, max: Infinity },
  examples: [
    [
      "What went wrong with this start?",
      "pptkit explain 'bhyve: PCI device at 1/0/0 is not using the ppt(4) driver'",
    ],
    ["Everything pptkit knows in a vm-bhyve log", "pptkit explain < /vm/vm1/vm-bhyve.log"],
    ["Which driver took the pptdevs devices at boot", "pptkit explain < /var/run/dmesg.boot"],
  ],
  async run(ctx) {
    const text = ctx.args.length > 0 ? ctx.args.join(" ") : await ctx.stdin();
    let report = explainText(text, null);
    let where = "";
    let problem: string | null = null;
    const found = foundAnything(report);
    if (found) {
      const host = await explainFacts(() => ctx.host(), () => ctx.config(), {
        plugins: report.log.commandLines.length > 0,
      });
      where = host.where;
      problem = host.problem;
      if (host.facts !== null) report = explainText(text, host.facts);
    }
    if (ctx.global.json) {
      printJson(ctx.out, "pptkit.explain/1", {
        found: report.messages.length,
        host: problem === null && where !== "" ? where : null,
        hostProblem: problem,
        messages: report.messages.map(explanationJson),
        log: logJson(report.log),
      });
    } else if (found) {
      ctx.out.stdout(render(report, where, problem, ctx.out.color));
    }
    if (found) return 0;
    ctx.out.stderr(
      "pptkit: nothing known found in the text: no passthrough message, command line or boot message\n",
    );
    ctx.out.stderr(
      "hint: explain knows lines like: PCI device at 1/0/0 is not using the ppt(4) driver\n",
    );
    return 1;
  },
};
