/**
 * Trusting a community file (DESIGN §11, issue #17) the way sshd's StrictModes trusts
 * `authorized_keys` (OpenSSH `safe_path()`): with its symbolic links resolved, the file and
 * every directory from it up to `/` must be owned by root or the user running pptkit and be
 * writable by neither group nor others, or another user could change it between the check and
 * its use. The checks are made on the opened file (fstat), and the bytes returned are read
 * from that same descriptor: the bytes that run are the bytes that were checked.
 *
 * Deno grants reading by path prefix, and the launcher grants /usr/local/etc and below, not
 * /usr/local, /usr or / (granting / would grant everything): a directory deno does not let
 * pptkit look at ends the walk up. Everything the launcher grants is checked.
 *
 * @module
 */

import { ExitCode, PptkitError } from "../errors.ts";
import type { FileInfo } from "./host.ts";
import { type Confinement, fileInfo, parentOf, readAll, sameInode } from "./safe_fs.ts";

/** The largest community plugin or quirks.d file pptkit reads. */
export const MAX_TRUSTED_BYTES = 1 << 20;

/**
 * Why a community file may not be trusted, or null when it may: it must be a regular file (or
 * directory) owned by root or `uid`, and not writable by group or others.
 */
export function untrustedReason(
  info: FileInfo | null,
  uid: number | null,
  what: string,
): string | null {
  if (info === null) return `${what} does not exist`;
  if (info.uid === null || info.mode === null) return `cannot check the owner and mode of ${what}`;
  if (info.uid !== 0 && info.uid !== uid) {
    return `${what} is owned by uid ${info.uid}, not root${
      uid === null || uid === 0 ? "" : ` or uid ${uid}`
    }`;
  }
  if ((info.mode & 0o022) !== 0) {
    const mode = (info.mode & 0o7777).toString(8).padStart(4, "0");
    const who = (info.mode & 0o022) === 0o022
      ? "its group and others"
      : (info.mode & 0o020) !== 0
      ? "its group"
      : "others";
    return `${what} is writable by ${who} (mode ${mode})`;
  }
  return null;
}

function refused(path: string, reason: string, fix: string): PptkitError {
  return new PptkitError(ExitCode.NoPermission, `refusing ${path}: ${reason}`, fix, {
    file: path,
  });
}

/**
 * Reads a community file that passes the StrictModes check; throws (77) `refusing PATH: why`
 * otherwise. `real` is where the file is on this machine, `path` its host path for messages.
 */
export function readTrustedFile(
  real: string,
  path: string,
  uid: number | null,
  confine: Confinement | null,
  step: () => void = () => {},
): Uint8Array {
  const link = Deno.lstatSync(real);
  if (!link.isFile) {
    throw refused(
      path,
      `it is ${link.isSymlink ? "a symbolic link (not followed)" : "not a regular file"}`,
      `put the file itself at ${path}`,
    );
  }
  const resolved = confine === null ? Deno.realPathSync(real) : confine.resolve(real, path, "read");
  if (resolved === null) throw refused(path, "it does not exist", `check ${path}`);
  for (let dir = parentOf(resolved);; dir = parentOf(dir)) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(dir);
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable) break;
      throw e;
    }
    const problem = untrustedReason(fileInfo(info), uid, `directory ${dir}`);
    if (problem !== null) {
      throw refused(path, problem, `chown root ${dir} && chmod go-w ${dir}`);
    }
    if (dir === "/" || dir === ".") break;
  }
  // Tests swap the file here, where a race against the checks above would.
  step();
  const file = Deno.openSync(resolved, { read: true });
  try {
    const open = file.statSync();
    if (!open.isFile || !sameInode(open, link)) {
      throw refused(path, "it was replaced while pptkit opened it", `check ${path}`);
    }
    const problem = untrustedReason(fileInfo(open), uid, path);
    if (problem !== null) throw refused(path, problem, `chown root ${path} && chmod go-w ${path}`);
    if (open.size > MAX_TRUSTED_BYTES) {
      throw refused(
        path,
        `it is larger than ${MAX_TRUSTED_BYTES >> 20} MiB`,
        "a plugin or a quirks.d file is one small text file",
      );
    }
    return readAll(file, path, MAX_TRUSTED_BYTES, open.size);
  } finally {
    file.close();
  }
}
