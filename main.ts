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
import { type Finding, withLocation } from "./core/findings.ts";
import { findingJson } from "./cli/json.ts";
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

/**
 * The width output is fitted to: the terminal's, else `COLUMNS` (a whole number, at least 20),
 * else null: unlimited (a pipe, by choice).
 */
function outputColumns(tty: { columns: number | null }): number | null {
  if (tty.columns !== null) return tty.columns;
  const text = env("COLUMNS") ?? "";
  const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  return n >= 20 ? n : null;
}

async function main(argv: readonly string[]): Promise<number> {
  const tty = terminal();
  // NO_COLOR (no-color.org) and a dumb terminal, which cannot show colour, mean no colour.
  const noColor = (env("NO_COLOR") ?? "") !== "" || env("TERM") === "dumb";
  const columns = outputColumns(tty);
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
  const out = output(args.global.color, columns);
  if (args.version) {
    const { VERSION } = await import("./cli/version.ts");
    out.stdout(
      args.global.json
        ? JSON.stringify({ schema: "pptkit.version/1", version: VERSION }, null, 2) + "\n"
        : `pptkit ${VERSION}\n`,
    );
    return ExitCode.Ok;
  }
  if (entry === undefined || command === null || args.help || wantsHelp) {
    const help = await import("./cli/help.ts");
    if (entry !== undefined && command !== null) {
      out.stdout(help.commandHelp(entry, command, columns));
      return ExitCode.Ok;
    }
    if (args.help || wantsHelp) {
      out.stdout(help.mainHelp(COMMANDS, columns));
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

/** What went wrong, as the user sees it: exit code, message (after `pptkit: `), hint. */
interface Failure {
  readonly exitCode: number;
  readonly message: string;
  readonly hint: string | undefined;
  /** The findings behind a veto (`hook prestart`), for scripts. */
  readonly findings: readonly Finding[];
}

function failure(e: unknown): Failure {
  if (e instanceof PptkitError) {
    return {
      exitCode: e.exitCode,
      message: withLocation(e),
      hint: e.hint,
      findings: e.findings,
    };
  }
  if (e instanceof Deno.errors.NotCapable) {
    return {
      exitCode: ExitCode.NoPermission,
      message: `permission denied by the sandbox: ${e.message}`,
      hint: "run pptkit through its launcher, which grants what it needs",
      findings: [],
    };
  }
  const message = e instanceof Error ? e.message : String(e);
  return {
    exitCode: EXIT_INTERNAL,
    message: `internal error: ${message.split("\n")[0]}`,
    hint: "this is a bug in pptkit; rerun with PPTKIT_DEBUG=1 and report it",
    findings: [],
  };
}

/** The `pptkit.error/1` document that `--json` prints on stdout besides the stderr line. */
function errorJson(f: Failure): string {
  const doc = {
    schema: "pptkit.error/1",
    exitCode: f.exitCode,
    message: f.message,
    hint: f.hint ?? null,
    findings: f.findings.map(findingJson),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

/**
 * Whether the command line asks for JSON: read from argv itself, because the error may be
 * that argv does not parse. Tokens after `--` are arguments, not options.
 */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/**
 * One line `pptkit: ...` (+ `hint: ...`) and the exit code; a trace only with PPTKIT_DEBUG.
 * With `json`, also the `pptkit.error/1` document on stdout.
 */
function report(e: unknown, json: boolean): number {
  // The reader went away (`pptkit list | head -1`): nothing more to say, and no one to say it to.
  if (e instanceof Deno.errors.BrokenPipe) return ExitCode.Ok;
  const debug = env("PPTKIT_DEBUG") === "1";
  const f = failure(e);
  if (json) write("stdout", errorJson(f));
  write("stderr", `pptkit: ${f.message}\n`);
  if (f.hint !== undefined) write("stderr", `hint: ${f.hint}\n`);
  if (debug && e instanceof Error && e.stack) write("stderr", e.stack + "\n");
  return f.exitCode;
}

/**
 * Ends the process with `code`. deno writes V8's code cache of the bundle (the compiled code
 * that the next run loads instead of compiling, DESIGN §15) on a thread of its own, and only a
 * process that ends by itself waits for that write; `Deno.exit` does not, and a pending timer
 * or lock wait would keep a process that ends by itself alive. So a run ends by itself only
 * when the launcher says this bundle has no code cache yet (`PPTKIT_CACHE_WRITE`, its first
 * run after an install or an upgrade); every other run exits at once.
 */
function end(code: number): void {
  if (env("PPTKIT_CACHE_WRITE") === "1") Deno.exitCode = code;
  else Deno.exit(code);
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    code = report(e, wantsJson(Deno.args));
  }
  end(code);
}
