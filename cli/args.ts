/**
 * Command-line parsing: find the command, then parse global and command options together
 * with `mri` in strict mode, so global options work before or after the command and every
 * unknown option is a usage error (exit 64) with a suggestion when the typo is small.
 *
 * @module
 */

import mri from "mri";
import { usageError } from "../core/errors.ts";
import { nearest } from "../core/text.ts";
import { type Command, GLOBAL_OPTIONS, type GlobalOptions, type OptionSpec } from "./command.ts";

/** The command name and where it stands in argv. */
export interface CommandPosition {
  readonly name: string | undefined;
  readonly index: number;
}

function specByName(specs: readonly OptionSpec[], token: string): OptionSpec | undefined {
  if (token.startsWith("--")) {
    const eq = token.indexOf("=");
    const name = token.slice(2, eq < 0 ? undefined : eq);
    return specs.find((s) => s.name === name);
  }
  return specs.find((s) => s.short === token.slice(1));
}

/** Finds the first argument that is not an option (or the value of a global string option). */
export function findCommandName(argv: readonly string[]): CommandPosition {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === "--") return { name: argv[i + 1], index: i + 1 };
    if (!token.startsWith("-") || token === "-") return { name: token, index: i };
    const spec = specByName(GLOBAL_OPTIONS, token);
    if (spec?.type === "string" && !token.includes("=")) i++;
  }
  return { name: undefined, index: -1 };
}

/** The closest name within two edits, for a hint ("did you mean --all?"). */
export function suggest(word: string, names: readonly string[]): string | undefined {
  return nearest(word, names);
}

/** Parsed command line. */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Record<string, string | boolean | undefined>;
  readonly global: GlobalOptions;
  readonly help: boolean;
  readonly version: boolean;
}

/**
 * Parses argv (without the command name at `skip`) against the global options and the
 * command's own. `commandName` is used in messages; `command` may be null (no command given).
 */
export function parseArgs(
  argv: readonly string[],
  skip: number,
  commandName: string | undefined,
  command: Command | null,
  noColorEnv: boolean,
  isTty: boolean,
): ParsedArgs {
  const specs = [...GLOBAL_OPTIONS, ...(command?.options ?? [])];
  const alias: Record<string, string[]> = {};
  const string: string[] = [];
  const boolean: string[] = [];
  for (const s of specs) {
    // mri strips "no-" before its strict check: --no-color arrives as color=false.
    const key = s.name.startsWith("no-") ? s.name.slice(3) : s.name;
    alias[key] = s.short ? [s.short] : [];
    (s.type === "string" ? string : boolean).push(key);
  }
  // Hoster's split spelling (-1/0/1) starts with a dash but is an argument, not an option:
  // hide such tokens from mri behind placeholders and put them back afterwards.
  const hidden: string[] = [];
  const hide = (token: string) => {
    if (token.length < 2 || token[0] !== "-" || token[1] < "0" || token[1] > "9") return token;
    hidden.push(token);
    return `\u0000${hidden.length - 1}`;
  };
  const unhide = (value: unknown): unknown =>
    typeof value === "string" && value.startsWith("\u0000")
      ? hidden[Number(value.slice(1))]
      : value;
  const rest = argv.filter((_, i) => i !== skip).map(hide);
  const parsed = mri(rest, {
    alias,
    string,
    boolean,
    unknown: (flag: string) => {
      const bare = flag.replace(/^-+/, "");
      const near = suggest(bare, specs.map((s) => s.name));
      const where = commandName === undefined ? "" : ` for ${commandName}`;
      throw usageError(
        `unknown option ${flag}${where}`,
        near === undefined
          ? `see: pptkit ${commandName ?? ""} --help`.replace("  ", " ")
          : `did you mean --${near}?`,
      );
    },
  }) as Record<string, unknown> & { _: unknown[] };

  const options: Record<string, string | boolean | undefined> = {};
  for (const s of specs) {
    const key = s.name.startsWith("no-") ? s.name.slice(3) : s.name;
    let value = parsed[key];
    if (Array.isArray(value)) value = value[value.length - 1];
    value = unhide(value);
    if (s.type === "string") {
      if (value === undefined) continue;
      if (typeof value !== "string" || value === "") {
        throw usageError(`option --${s.name} needs a value (${s.value ?? "VALUE"})`);
      }
      options[s.name] = value;
    } else if (value !== undefined) {
      options[s.name] = s.name.startsWith("no-") ? value === false : value === true;
    }
  }

  const global: GlobalOptions = {
    snapshot: options.snapshot as string | undefined,
    root: options.root as string | undefined,
    json: options.json === true,
    color: isTty && !noColorEnv && options["no-color"] !== true,
    config: options.config as string | undefined,
    quiet: options.quiet === true,
    verbose: options.verbose === true,
  };
  if (global.snapshot !== undefined && global.root !== undefined) {
    throw usageError("--snapshot and --root cannot be used together");
  }
  return {
    positionals: parsed._.map((p) => String(unhide(p))),
    options,
    global,
    help: options.help === true,
    version: options.version === true,
  };
}
