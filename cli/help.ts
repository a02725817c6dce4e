/**
 * Help text, built from the command table and each command's option specs with the same
 * renderer that draws tables (plain style).
 *
 * @module
 */

import { type Command, GLOBAL_OPTIONS, type OptionSpec } from "./command.ts";
import type { CommandEntry } from "./commands.ts";
import { renderTable } from "./render.ts";

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
    "pptkit prepares FreeBSD hosts and bhyve VMs for PCI passthrough: which devices can be",
    "passed, the pptdevs lines of /boot/loader.conf, the guest slots, and the pre-start checks.",
    "",
    "Commands:",
    list.trimEnd(),
    "",
    "Global options (before or after the command):",
    optionTable(GLOBAL_OPTIONS, columns).trimEnd(),
    "",
    "pptkit help CMD (or pptkit CMD --help) describes one command; see also pptkit(8).",
    "",
  ].join("\n");
}

/** `pptkit CMD --help`. */
export function commandHelp(entry: CommandEntry, command: Command, columns: number | null): string {
  const parts = [
    `usage: pptkit ${entry.name} ${command.synopsis}`.trimEnd(),
    "",
    `${entry.summary}.`,
    "",
    command.description.trim(),
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
