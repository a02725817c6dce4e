#!/usr/bin/env -S deno run
/**
 * pptkit: bhyve PCI passthrough, one command, correct and explained.
 *
 * Entry point: parse argv, dispatch to a command in `cli/`, map errors to exit codes.
 * Nothing else happens here; nothing else exits.
 *
 * @module
 */

import { findCommandName, parseArgs, suggest } from "./cli/args.ts";
import type { Command, Context, Output } from "./cli/command.ts";
import { type CommandEntry, COMMANDS, findCommand } from "./cli/commands.ts";
import { ExitCode, PptkitError, usageError } from "./core/errors.ts";
import { loadConfig, type PptkitConfig } from "./core/config.ts";
import { withLocation } from "./core/findings.ts";
import type { Host } from "./core/host/host.ts";
import { LiveHost } from "./core/host/live.ts";
import { env, readStdin, terminal, write } from "./core/host/process.ts";
import { SnapshotHost } from "./core/host/snapshot.ts";

/** Exit status for a bug (sysexits EX_SOFTWARE); documented in pptkit(8). */
const EXIT_INTERNAL = 70;

function output(color: boolean, columns: number | null): Output {
  return {
    stdout: (text) => write("stdout", text),
    stderr: (text) => write("stderr", text),
    color,
    columns,
  };
}

async function loadEntry(name: string): Promise<[CommandEntry, Command]> {
  const entry = findCommand(name);
  if (entry === undefined) {
    const near = suggest(name, COMMANDS.map((c) => c.name));
    throw usageError(
      `unknown command "${name}"`,
      near === undefined ? "see: pptkit --help" : `did you mean "${near}"?`,
    );
  }
  return [entry, await entry.load()];
}

async function main(argv: readonly string[]): Promise<number> {
  const tty = terminal();
  const noColor = (env("NO_COLOR") ?? "") !== "";
  let position = findCommandName(argv);
  let wantsHelp = false;
  if (position.name === "help") {
    // `pptkit help CMD` is `pptkit CMD --help`.
    wantsHelp = true;
    const helpAt = position.index;
    argv = argv.filter((_, i) => i !== helpAt);
    position = findCommandName(argv);
  }
  const { name, index } = position;
  const [entry, command] = name === undefined ? [undefined, null] : await loadEntry(name);
  const args = parseArgs(argv, index, name, command, noColor, tty.isTty);
  const out = output(args.global.color, tty.columns);
  if (args.version) {
    const { VERSION } = await import("./cli/help.ts");
    out.stdout(`pptkit ${VERSION}\n`);
    return ExitCode.Ok;
  }
  if (entry === undefined || command === null || args.help || wantsHelp) {
    const help = await import("./cli/help.ts");
    if (entry !== undefined && command !== null) {
      out.stdout(help.commandHelp(entry, command, tty.columns));
      return ExitCode.Ok;
    }
    if (args.help || wantsHelp) {
      out.stdout(help.mainHelp(COMMANDS, tty.columns));
      return ExitCode.Ok;
    }
    throw usageError("no command given", "see: pptkit --help");
  }
  if (args.positionals.length < command.args.min) {
    throw usageError(
      `${entry.name}: missing argument`,
      `usage: pptkit ${entry.name} ${command.synopsis}`,
    );
  }
  if (args.positionals.length > command.args.max) {
    throw usageError(
      `${entry.name}: unexpected argument "${args.positionals[command.args.max]}"`,
      `usage: pptkit ${entry.name} ${command.synopsis}`,
    );
  }
  let host: Promise<Host> | undefined;
  let config: Promise<PptkitConfig> | undefined;
  const ctx: Context = {
    args: args.positionals,
    options: args.options,
    global: args.global,
    out,
    host: () =>
      host ??= args.global.snapshot !== undefined
        ? SnapshotHost.open(args.global.snapshot)
        : Promise.resolve(new LiveHost(args.global.root ?? "/")),
    config: () => config ??= ctx.host().then((h) => loadConfig(h, args.global.config)),
    stdin: readStdin,
  };
  return await command.run(ctx);
}

/** One line `pptkit: ...` (+ `hint: ...`) and the exit code; a trace only with PPTKIT_DEBUG. */
function report(e: unknown): number {
  const debug = env("PPTKIT_DEBUG") === "1";
  if (e instanceof PptkitError) {
    write("stderr", `pptkit: ${withLocation(e)}\n`);
    if (e.hint !== undefined) write("stderr", `hint: ${e.hint}\n`);
    if (debug && e.stack) write("stderr", e.stack + "\n");
    return e.exitCode;
  }
  if (e instanceof Deno.errors.NotCapable) {
    write("stderr", `pptkit: permission denied by the sandbox: ${e.message}\n`);
    write("stderr", "hint: run pptkit through its launcher, which grants what it needs\n");
    return ExitCode.NoPermission;
  }
  const message = e instanceof Error ? e.message : String(e);
  write("stderr", `pptkit: internal error: ${message.split("\n")[0]}\n`);
  write("stderr", "hint: this is a bug in pptkit; rerun with PPTKIT_DEBUG=1 and report it\n");
  if (debug && e instanceof Error && e.stack) write("stderr", e.stack + "\n");
  return EXIT_INTERNAL;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    code = report(e);
  }
  Deno.exit(code);
}
