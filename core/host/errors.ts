/**
 * Deno's file-system errors as the one-line errors of pptkit(8).
 *
 * @module
 */

import { ExitCode, PptkitError } from "../errors.ts";

/** Turns a Deno file-system error into a one-line PptkitError. */
export function fileError(e: unknown, action: string, path: string): PptkitError {
  if (e instanceof PptkitError) return e;
  if (e instanceof Deno.errors.NotCapable) {
    // The launcher grants named paths only (pptkit(8), ENVIRONMENT).
    return new PptkitError(
      ExitCode.NoPermission,
      `cannot ${action} ${path}: outside the paths the launcher allows`,
      `add it to ${action === "read" ? "PPTKIT_ALLOW_READ" : "PPTKIT_ALLOW_WRITE"} ` +
        "(comma-separated paths)",
    );
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new PptkitError(
      ExitCode.NoPermission,
      `cannot ${action} ${path}: permission denied`,
      "run pptkit as root, or check the file's mode and owner",
    );
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return new PptkitError(ExitCode.NoInput, `cannot ${action} ${path}: it is a directory`);
  }
  if (e instanceof Deno.errors.NotADirectory) {
    return new PptkitError(
      ExitCode.NoInput,
      `cannot ${action} ${path}: a part of the path is not a directory`,
    );
  }
  const message = e instanceof Error ? e.message : String(e);
  const readOnly = message.includes("Read-only file system") || message.includes("os error 30");
  return new PptkitError(
    action === "read" ? ExitCode.NoInput : ExitCode.CantCreate,
    `cannot ${action} ${path}: ${readOnly ? "read-only file system" : message}`,
    readOnly ? "remount it read-write (mount -uw /) or use --loader-conf FILE" : undefined,
  );
}
