/**
 * The table of commands (the habit of pkg's `src/main.c`): name, one line of summary, and a
 * lazy loader, so `pptkit hook prestart` never loads the table renderer or the plugins.
 * A new command is one file in `cli/` plus one line here.
 *
 * @module
 */

import type { Command } from "./command.ts";

/** One row of the table. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "list",
    summary: "list passthrough devices (--all: every PCI device)",
    load: async () => (await import("./list.ts")).list,
  },
  {
    name: "show",
    summary: "everything known about one device",
    load: async () => (await import("./show.ts")).show,
  },
  {
    name: "check",
    summary: "check the host and devices; each finding with its fix",
    load: async () => (await import("./check.ts")).check,
  },
  {
    name: "reserve",
    summary: "reserve devices for ppt(4) in loader.conf (pptdevs)",
    load: async () => (await import("./reserve.ts")).reserve,
  },
  {
    name: "release",
    summary: "take devices out of pptdevs",
    load: async () => (await import("./release.ts")).release,
  },
  {
    name: "plan",
    summary: "guest slots of a VM's passthru devices, as bhyve arguments or config lines",
    load: async () => (await import("./plan.ts")).plan,
  },
  {
    name: "hook",
    summary: "wrapper hook: check and lock a VM's devices (prestart), release them (poststop)",
    load: async () => (await import("./hook.ts")).hook,
  },
  {
    name: "explain",
    summary: "say what a bhyve passthru error means and what to do",
    load: async () => (await import("./explain.ts")).explain,
  },
  {
    name: "parse",
    summary: "convert PCI addresses between spellings",
    load: async () => (await import("./parse.ts")).parse,
  },
  {
    name: "plugins",
    summary: "loaded vendor-quirk plugins and compatibility rules",
    load: async () => (await import("./plugins.ts")).plugins,
  },
  {
    name: "snapshot",
    summary: "capture this host into a snapshot directory",
    load: async () => (await import("./snapshot.ts")).snapshot,
  },
  {
    name: "report",
    summary: "write one file about devices for a bug report or the compatibility list",
    load: async () => (await import("./report.ts")).report,
  },
];

/** Looks a command up by name. */
export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
