/**
 * Errors that pptkit reports to the user, and the exit codes of DESIGN §13.
 *
 * The numbers borrow sysexits(3) values so that a wrapper can tell "retry later" (75) from
 * "fix the config" (78). Only {@linkcode PptkitError} becomes a friendly one-line message;
 * any other exception is a bug and main.ts says so.
 *
 * @module
 */

import type { Finding } from "./findings.ts";
import { escapeControls } from "./text.ts";

/** The documented exit codes (man page, EXIT STATUS). */
export const ExitCode = {
  /** Everything worked; for `check`, no error-level finding. */
  Ok: 0,
  /** `check` found an error-level finding, or a hook vetoed a VM start. */
  Failed: 1,
  /** Bad command line: unknown command or option, missing argument (EX_USAGE). */
  Usage: 64,
  /** Input data is malformed: pciconf text, addresses, loader.conf, VM configs (EX_DATAERR). */
  DataError: 65,
  /** An input file or directory does not exist (EX_NOINPUT). */
  NoInput: 66,
  /** A command pptkit needs is missing: not FreeBSD, no pciconf (EX_UNAVAILABLE). */
  Unavailable: 69,
  /** A file could not be written (EX_CANTCREAT). */
  CantCreate: 73,
  /** Try again later: a lock is held (EX_TEMPFAIL). */
  TempFail: 75,
  /** Permission denied (EX_NOPERM). */
  NoPermission: 77,
  /** pptkit's own configuration is wrong (EX_CONFIG). */
  Config: 78,
} as const;

/** One of the values of {@linkcode ExitCode}. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** Where in a file an error was found. */
export interface ErrorLocation {
  /** The file, as the user knows it (a host path such as `/boot/loader.conf`). */
  readonly file?: string;
  /** 1-based line number. */
  readonly line?: number;
}

/**
 * A user-facing error: one line of text, an exit code and, when useful, a hint on what to do.
 * `message` is written without the `pptkit: ` prefix, lower case, no final period. Control
 * characters in either (a VM name with a newline, a directory name with an escape sequence)
 * are kept visible as escapes, so the error stays one line and cannot drive the terminal.
 */
export class PptkitError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  /** The findings behind the error (a veto's), for `--json`; empty for most errors. */
  readonly findings: readonly Finding[];

  constructor(
    exitCode: ExitCode,
    message: string,
    hint?: string,
    location: ErrorLocation = {},
    findings: readonly Finding[] = [],
  ) {
    super(escapeControls(message));
    this.name = "PptkitError";
    this.exitCode = exitCode;
    this.hint = hint === undefined ? undefined : escapeControls(hint);
    this.file = location.file;
    this.line = location.line;
    this.findings = findings;
  }
}

/** Shorthand for a usage error (exit 64). */
export function usageError(message: string, hint?: string): PptkitError {
  return new PptkitError(ExitCode.Usage, message, hint);
}

/** Shorthand for a bad-input error (exit 65), optionally naming file and line. */
export function dataError(message: string, hint?: string, location?: ErrorLocation): PptkitError {
  return new PptkitError(ExitCode.DataError, message, hint, location);
}
