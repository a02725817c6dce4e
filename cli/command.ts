/**
 * What a command is: its usage, options and `run`. One file per command in `cli/` exports a
 * {@linkcode Command}; the table in `cli/commands.ts` names them. Usage text and option
 * defaults are built from the same `options` list the parser uses, so help cannot drift from
 * behaviour (the lesson of pkg's `checksum.c`).
 *
 * A command's `run()` returns its exit code; only main.ts exits.
 *
 * @module
 */

import type { PptkitConfig } from "../core/config.ts";
import type { Host } from "../core/host/host.ts";
import { DEFAULT_CONFIG_FILE } from "../core/paths.ts";

/** One option of a command (or a global one). */
export interface OptionSpec {
  /** Long name without dashes: `all`, `first-slot`. */
  readonly name: string;
  /** One-letter alias: `q`. */
  readonly short?: string;
  /** `boolean` flags take no value; `string` options take one (`--snapshot DIR`). */
  readonly type: "boolean" | "string";
  /** Placeholder in usage: `DIR`, `N`. */
  readonly value?: string;
  /** One line of help. */
  readonly help: string;
  /** Default shown in help and used when absent. */
  readonly default?: string;
}

/** The options every command accepts, before or after the command name (DESIGN §4). */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    name: "snapshot",
    type: "string",
    value: "DIR",
    help: "read the host from a snapshot directory; writes go to DIR/root",
  },
  {
    name: "root",
    type: "string",
    value: "DIR",
    help: "run live commands but read and write files under DIR",
  },
  { name: "json", type: "boolean", help: "print one JSON document on stdout" },
  { name: "no-color", type: "boolean", help: "no colour (also when NO_COLOR is set)" },
  {
    name: "config",
    type: "string",
    value: "FILE",
    help: "pptkit configuration",
    default: DEFAULT_CONFIG_FILE,
  },
  { name: "quiet", short: "q", type: "boolean", help: "print only errors" },
  { name: "verbose", short: "v", type: "boolean", help: "print more detail" },
  { name: "help", short: "h", type: "boolean", help: "show help" },
  { name: "version", type: "boolean", help: "show the version" },
];

/** Global options after parsing. */
export interface GlobalOptions {
  readonly snapshot?: string;
  readonly root?: string;
  readonly json: boolean;
  readonly color: boolean;
  readonly config?: string;
  readonly quiet: boolean;
  readonly verbose: boolean;
}

/** Where a command writes; tests and main.ts provide it. */
export interface Output {
  /** Human or JSON output. */
  stdout(text: string): void;
  /** Diagnostics. */
  stderr(text: string): void;
  /** Colour allowed (a TTY, no NO_COLOR, no --no-color). */
  readonly color: boolean;
  /** The width to fit: the terminal's, else `COLUMNS`, else null (no wrapping). */
  readonly columns: number | null;
}

/** What `run` receives. */
export interface Context {
  /** Positional arguments after the command name. */
  readonly args: readonly string[];
  /** The command's own options by long name (`first-slot`), strings or booleans. */
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  readonly global: GlobalOptions;
  readonly out: Output;
  /** The host to inspect: opened on first use (snapshot or live). */
  host(): Promise<Host>;
  /** pptkit.jsonc of that host (`--config FILE`, else the default): read on first use. */
  config(): Promise<PptkitConfig>;
  /** Reads stdin (for `parse` and `explain` without arguments). */
  stdin(): Promise<string>;
}

/** A command: what its module exports (name and summary live in the table of cli/commands.ts). */
export interface Command {
  /** Arguments in the usage line: `[--all] [--json]`, `ADDR...`. */
  readonly synopsis: string;
  /** Paragraphs for `pptkit CMD --help`. */
  readonly description: string;
  readonly options: readonly OptionSpec[];
  /** Positional arguments: minimum and maximum count (Infinity for `...`). */
  readonly args: { readonly min: number; readonly max: number };
  /** Examples for help: [description, command line]. */
  readonly examples?: readonly (readonly [string, string])[];
  run(ctx: Context): Promise<number>;
}

/** A string option's value, or the default from its spec. */
export function stringOption(ctx: Context, spec: OptionSpec): string | undefined {
  const v = ctx.options[spec.name];
  return typeof v === "string" ? v : spec.default;
}

/** Writes a JSON document with its schema first. */
export function printJson(out: Output, schema: string, body: Record<string, unknown>): void {
  out.stdout(JSON.stringify({ schema, ...body }, null, 2) + "\n");
}
