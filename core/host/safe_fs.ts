/**
 * File access that holds on a hostile host (issue #17): pptkit runs as root, and another local
 * user, a shared snapshot or a `--root` tree may hold symbolic links, FIFOs, devices or huge
 * files where pptkit expects a small text file.
 *
 * - A confined host (a snapshot, `--root DIR`) reads and writes only inside its directory
 *   after symbolic links are resolved: `S/root -> /` or `pciconf.txt -> /dev/zero` is refused.
 * - An input is a regular file of at most {@linkcode MAX_INPUT_BYTES}; a FIFO (opening it would
 *   hang), a device or a socket is refused with one line. The file read is the file checked:
 *   the opened descriptor's device and inode must be those of the path that was checked.
 * - A directory pptkit writes into, or keeps state in, is owned by root (or the user running
 *   pptkit) and not writable by others; otherwise another user could plant or move its files.
 *
 * Deno grants permissions by the path as written and has no O_NOFOLLOW or openat, so every
 * operation uses the path as written and checks it before (resolved path, lstat) and after
 * (fstat of the opened file).
 *
 * @module
 */

import { ExitCode, PptkitError } from "../errors.ts";
import { fileError } from "./errors.ts";
import type { FileInfo } from "./host.ts";

/** The largest file pptkit reads (16 MiB; a 4096-device `pciconf -lbcv` is about 3 MB). */
export const MAX_INPUT_BYTES = 16 << 20;

/** How a message names what is at a path that is not a regular file. */
export function kindOf(info: Deno.FileInfo): string {
  if (info.isSymlink) return "a symbolic link";
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  if (info.isSocket) return "a socket";
  return info.isFile ? "a regular file" : "not a regular file";
}

/** Deno's stat as the Host's {@linkcode FileInfo}. */
export function fileInfo(s: Deno.FileInfo): FileInfo {
  return {
    isFile: s.isFile,
    isDirectory: s.isDirectory,
    mode: s.mode === null ? null : s.mode & 0o7777,
    uid: s.uid,
    gid: s.gid,
    size: s.size,
    mtime: s.mtime?.getTime() ?? null,
  };
}

/** Writes all of `text` (or bytes) to an open file. */
export function writeAllSync(file: Deno.FsFile, text: string | Uint8Array): void {
  const data = typeof text === "string" ? new TextEncoder().encode(text) : text;
  let written = 0;
  while (written < data.length) written += file.writeSync(data.subarray(written));
}

/** True when `path` is `dir` or below it (both resolved, absolute). */
export function isInside(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(dir + "/");
}

/** The directory part of a path (`.` for a bare name). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : ".";
}

/**
 * The directory a host is confined to: a snapshot's, or `--root DIR`; every path it reads or
 * writes must resolve inside it.
 */
export class Confinement {
  private resolved: string | null = null;

  readonly dir: string;

  /** `dir` as given; `name` for messages (`snapshot`, `--root directory`). */
  constructor(dir: string, readonly name: string) {
    this.dir = dir.replace(/(.)\/+$/, "$1");
  }

  /** The directory with its symbolic links resolved (once). */
  base(): string {
    if (this.resolved === null) {
      try {
        this.resolved = Deno.realPathSync(this.dir);
      } catch {
        this.resolved = this.dir; // Missing: nothing under it resolves inside either.
      }
    }
    return this.resolved;
  }

  /**
   * Where `real` (a path under the directory) really is; null when it does not exist. Throws
   * when it resolves outside: `path` (the host path) names it in the message.
   */
  resolve(real: string, path: string, action: "read" | "write"): string | null {
    let target: string;
    try {
      target = Deno.realPathSync(real);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw fileError(e, action, path);
      // Missing: what is there of it (a directory above, which a link may lead out of) must
      // still be inside, or creating it would create it outside.
      const parent = parentOf(real);
      if (parent !== real && parent !== "." && isInside(parent, this.dir)) {
        this.resolve(parent, path, action);
      }
      return null;
    }
    if (!isInside(target, this.base())) {
      throw new PptkitError(
        action === "read" ? ExitCode.DataError : ExitCode.CantCreate,
        `cannot ${action} ${path}: ${real} leads outside the ${this.name} (to ${target})`,
        `a ${this.name} is read and written only inside its directory; ` +
          "replace the symbolic link with the file itself",
        { file: path },
      );
    }
    return target;
  }
}

function notRegular(path: string, info: Deno.FileInfo, action: string): PptkitError {
  if (info.isDirectory) {
    return new PptkitError(ExitCode.NoInput, `cannot ${action} ${path}: it is a directory`);
  }
  return new PptkitError(
    ExitCode.DataError,
    `cannot ${action} ${path}: it is ${kindOf(info)}, not a regular file`,
    "pptkit reads regular files only (a FIFO would hang it, a device never ends)",
    { file: path },
  );
}

function tooLarge(path: string, size: number): PptkitError {
  return new PptkitError(
    ExitCode.DataError,
    `cannot read ${path}: ${size} bytes, more than the ${MAX_INPUT_BYTES >> 20} MiB ` +
      "pptkit reads from one file",
    "this is not a file pptkit knows; check what is at that path",
    { file: path },
  );
}

/**
 * Reads a regular file of at most `limit` bytes; null when it does not exist. `real` is the
 * path to open, `path` the host path for messages; with `confine`, `real` must resolve inside.
 */
export function readRegularFile(
  real: string,
  path: string,
  confine: Confinement | null,
  limit = MAX_INPUT_BYTES,
): Uint8Array | null {
  // A writer that renames a new file over this one (pptkit's own atomic writes, a lock being
  // taken over) may do so between the check and the open: look again, a few times.
  for (let attempt = 1;; attempt++) {
    const read = readChecked(real, path, confine, limit);
    if (read !== "replaced") return read;
    if (attempt === 3) {
      throw new PptkitError(
        ExitCode.TempFail,
        `cannot read ${path}: it was replaced each time pptkit opened it`,
        "run the command again; if this repeats, someone keeps changing the file",
        { file: path },
      );
    }
  }
}

/** One try of {@linkcode readRegularFile}: "replaced" when the open file is not the checked one. */
function readChecked(
  real: string,
  path: string,
  confine: Confinement | null,
  limit: number,
): Uint8Array | null | "replaced" {
  const target = confine === null ? real : confine.resolve(real, path, "read");
  if (target === null) return null;
  let info: Deno.FileInfo;
  try {
    // stat, not open: opening a FIFO waits for a writer forever.
    info = Deno.statSync(target);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw fileError(e, "read", path);
  }
  if (!info.isFile) throw notRegular(path, info, "read");
  if (info.size > limit) throw tooLarge(path, info.size);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(real, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw fileError(e, "read", path);
  }
  try {
    const open = file.statSync();
    if (!open.isFile || !sameInode(open, info)) return "replaced";
    return readAll(file, path, limit, open.size);
  } finally {
    file.close();
  }
}

/** True when two stats are the same file (device and inode; true where neither is known). */
export function sameInode(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  if (a.ino === null || b.ino === null || a.dev === null || b.dev === null) return true;
  return a.ino === b.ino && a.dev === b.dev;
}

/**
 * Reads an open file to its end, refusing more than `limit` bytes (a file still growing).
 * `expected` is its size when it was checked: one read of that size is the usual case.
 */
export function readAll(
  file: Deno.FsFile,
  path: string,
  limit: number,
  expected = 0,
): Uint8Array {
  let buffer = new Uint8Array(Math.min(expected, limit) + 1);
  let size = 0;
  for (;;) {
    if (size === buffer.length) {
      if (size > limit) throw tooLarge(path, size);
      const bigger = new Uint8Array(Math.min(buffer.length * 2, limit + 1));
      bigger.set(buffer);
      buffer = bigger;
    }
    const n = file.readSync(buffer.subarray(size));
    if (n === null || n === 0) break;
    size += n;
  }
  if (size > limit) throw tooLarge(path, size);
  return buffer.subarray(0, size);
}

/** The user pptkit runs as; null where it cannot be asked (then only root may own files). */
export function currentUid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null;
  }
}

/**
 * Why a directory may not hold pptkit's files, or null: it must be a directory owned by root
 * or `uid` and not writable by others (the group may write: FreeBSD's wheel and operator).
 */
export function directoryProblem(info: Deno.FileInfo, uid: number | null): string | null {
  if (!info.isDirectory) return `it is ${kindOf(info)}, not a directory`;
  if (info.uid !== null && info.uid !== 0 && info.uid !== uid) {
    return `it is owned by uid ${info.uid}, not root${
      uid === null || uid === 0 ? "" : ` or uid ${uid}`
    }`;
  }
  const mode = info.mode === null ? 0 : info.mode & 0o7777;
  if ((mode & 0o002) !== 0) {
    return `it is writable by others (mode ${mode.toString(8).padStart(4, "0")})`;
  }
  return null;
}

/**
 * Throws unless the directory at `real` (host path `path`) may hold pptkit's files: inside a
 * confined host, owned by root or the running user, not writable by others. Nothing when it
 * does not exist (the write that follows says so).
 */
export function checkDirectory(
  real: string,
  path: string,
  confine: Confinement | null,
  action: "read" | "write" = "write",
): void {
  const target = confine === null ? real : confine.resolve(real, path, action);
  if (target === null) return;
  let info: Deno.FileInfo;
  const uid = currentUid();
  try {
    // A symbolic link to a directory is that directory (/boot on a GELI install), when the
    // link is root's (or the user's): who may change it is decided by the directory above.
    const link = Deno.lstatSync(real);
    info = link.isSymlink ? Deno.statSync(target) : link;
    if (link.isSymlink && link.uid !== null && link.uid !== 0 && link.uid !== uid) info = link;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    // The launcher grants `--loader-conf FILE` for writing, not its directory for reading:
    // then the write goes ahead unchecked (it is exclusive, and renamed in that directory).
    if (e instanceof Deno.errors.NotCapable && confine === null) return;
    throw fileError(e, "read", path);
  }
  if (!info.isDirectory) {
    throw new PptkitError(
      ExitCode.CantCreate,
      `cannot write ${path}: it is ${kindOf(info)}, not a directory`,
      `remove it (rm ${path}) if it is not needed; pptkit creates the directory`,
      { file: path },
    );
  }
  const problem = directoryProblem(info, uid);
  if (problem === null) return;
  const fix = problem.includes("owned")
    ? `chown root ${path} && chmod o-w ${path}`
    : `chmod o-w ${path}`;
  throw new PptkitError(
    ExitCode.NoPermission,
    `refusing ${path}: ${problem}`,
    `${fix} (another user could plant or move pptkit's files in it)`,
    { file: path },
  );
}

/**
 * Opens a log file for appending without following a symbolic link: a new file is created
 * (O_EXCL), an existing one must be the regular file at the path (checked on the open file).
 */
export function openForAppend(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { write: true, createNew: true, mode: 0o644 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
  let before: Deno.FileInfo;
  try {
    before = Deno.lstatSync(path);
  } catch (e) {
    // deno wants read access even to lstat or fstat: a file granted for writing alone (the
    // launcher grants --log FILE for reading too; a compiled binary's fixed grants may not)
    // cannot be checked.
    if (!(e instanceof Deno.errors.NotCapable)) throw e;
    return Deno.openSync(path, { append: true });
  }
  if (!before.isFile) {
    throw new PptkitError(
      ExitCode.CantCreate,
      `cannot write ${path}: it is ${kindOf(before)}, not a regular file`,
      "pptkit does not follow symbolic links it did not make; name the file itself",
      { file: path },
    );
  }
  const file = Deno.openSync(path, { append: true });
  if (!sameInode(file.statSync(), before)) {
    file.close();
    throw new PptkitError(
      ExitCode.TempFail,
      `cannot write ${path}: it was replaced while pptkit opened it`,
      "run the command again; if this repeats, someone is changing the file",
      { file: path },
    );
  }
  return file;
}
