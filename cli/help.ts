/**
 * Help text, built from the command table and each command's option specs with the same
 * renderer that draws tables (plain style).
 *
 * @module
 */

import { type Command, GLOBAL_OPTIONS, type OptionSpec } from "./command.ts";
import type { CommandEntry } from "./commands.ts";
import { renderTable, wrapText } from "./render.ts";

/** The version of this pptkit. */

function optionRows(specs: readonly OptionSpec[]): string[][] {
  return specs.map((s) => {
    const flag = (s.short ? `-${s.short}, ` : "    ") + `--${s.name}` +
      (s.type === "string" ? ` ${s.value ?? "VALUE"}` : "");
    const help = s.default === undefined ? s.help : `${s.help} (default: ${s.default})`;
    return [flag, help];
  });
}

function optionTable(specs: readonly OptionSpec[], columns: number | null): string {
  return renderTable({
    style: "plain",
    indent: 2,
    columns: [{ header: "" }, { header: "", wrap: true }],
    rows: optionRows(specs),
    maxWidth: columns ?? 80,
  });
}

/** `pptkit --help`. */
export function mainHelp(commands: readonly CommandEntry[], columns: number | null): string {
  const list = renderTable({
    style: "plain",
    indent: 2,
    columns: [{ header: "" }, { header: "", wrap: true }],
    rows: commands.map((c) => [c.name, c.summary]),
    maxWidth: columns ?? 80,
  });
  return [
    "usage: pptkit [global options] command [arguments]",
    "",
    reflow(
      "pptkit prepares FreeBSD hosts and bhyve VMs for PCI passthrough: which devices can be " +
        "passed, the pptdevs lines of /boot/loader.conf, the guest slots, and the pre-start " +
        "checks.",
      columns,
    ),
    "",
    "Commands:",
    list.trimEnd(),
    "",
    "Global options (before or after the command):",
    optionTable(GLOBAL_OPTIONS, columns).trimEnd(),
    "",
    reflow(
      "pptkit help CMD (or pptkit CMD --help) describes one command; see also pptkit(8).",
      columns,
    ),
    "",
  ].join("\n");
}

/**
 * Prose reflowed to `width` (80 when unknown): paragraphs are separated by blank lines, and
 * the line breaks inside one are only where the source was wrapped.
 */
export function reflow(text: string, width: number | null): string {
  return text.trim().split(/\n[ \t]*\n/).map((paragraph) =>
    wrapText(paragraph.split("\n").map((l) => l.trim()).join(" "), width ?? 80).join("\n")
  ).join("\n\n");
}

/** `pptkit CMD --help`. */
export function commandHelp(entry: CommandEntry, command: Command, columns: number | null): string {
  // A long synopsis continues under the command, indented, never inside a [...] group.
  let depth = 0;
  const glued = [...command.synopsis].map((c) => {
    if (c === "[") depth++;
    if (c === "]") depth--;
    return c === " " && depth > 0 ? "\u00a0" : c;
  }).join("");
  const usage = `usage: pptkit ${entry.name} ${glued}`.trimEnd();
  const indent = " ".repeat(`usage: pptkit ${entry.name} `.length);
  const [first, ...rest] = wrapText(usage, columns ?? 80);
  const continued = rest.length === 0
    ? []
    : wrapText(rest.join(" "), Math.max(20, (columns ?? 80) - indent.length)).map((l) =>
      indent + l
    );
  const parts = [
    [first, ...continued].join("\n").replaceAll("\u00a0", " "),
    "",
    reflow(`${entry.summary}.`, columns),
    "",
    reflow(command.description, columns),
    "",
  ];
  if (command.options.length > 0) {
    parts.push("Options:", optionTable(command.options, columns).trimEnd(), "");
  }
  if (command.examples !== undefined && command.examples.length > 0) {
    parts.push("Examples:");
    for (const [what, line] of command.examples) parts.push(`  ${what}:`, `    ${line}`);
    parts.push("");
  }
  parts.push("Global options: see pptkit --help.", "");
  return parts.join("\n");
}
