/**
 * File operations shared by the live host and snapshots: host paths live under a root
 * directory; reads are synchronous (see readTextSync), writes atomic. A snapshot or `--root`
 * host is confined to its directory, and inputs are regular files of bounded size
 * (core/host/safe_fs.ts).
 *
 * @module
 */

import { ExitCode, PptkitError } from "../errors.ts";
import { fileError } from "./errors.ts";
import {
  SANDBOX_LIMITS,
  type SandboxedModule,
  type SandboxLimits,
  startSandbox,
} from "./sandbox.ts";
import { MAX_TRUSTED_BYTES, readTrustedFile } from "./trust.ts";
import {
  checkDirectory,
  Confinement,
  currentUid,
  fileInfo,
  kindOf,
  openForAppend,
  parentOf,
  readRegularFile,
  writeAllSync,
} from "./safe_fs.ts";
import type {
  AtomicWriteOptions,
  CaptureName,
  FileInfo,
  Host,
  RunResult,
  ToolName,
} from "./host.ts";

/** Decodes command output and captures, replacing what is not UTF-8. */
export const decoder = new TextDecoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

export { fileError };

export function joinPath(root: string, path: string): string {
  if (root === "" || root === "/") return path;
  return root.replace(/\/+$/, "") + (path.startsWith("/") ? path : "/" + path);
}

/** File operations shared by both hosts: host paths live under `root`. */
export abstract class FileHost implements Host {
  abstract readonly kind: "live" | "snapshot";
  abstract readonly description: string;

  /**
   * `root`: where host paths live; `confine`: the directory every path must resolve inside
   * (null: the whole machine, a live host at /).
   */
  constructor(protected readonly root: string, protected readonly confine: Confinement | null) {}

  realPath(path: string): string {
    return joinPath(this.root, path);
  }

  /** Directory listings read so far (null: no such directory); any write clears them. */
  private readonly listings = new Map<string, Listing>();

  /**
   * False when the directory listing says a real path does not exist. Many optional files are
   * absent (loader.conf.local, pptkit.jsonc, plugin dirs, ps.txt): asking the directory is
   * far cheaper than the first NotFound error a process builds, which costs milliseconds in a
   * large bundle. True when the listing cannot be read (then the file itself is tried).
   */
  protected mayExist(real: string): boolean {
    const slash = real.lastIndexOf("/");
    if (slash <= 0) return true;
    const dir = real.slice(0, slash);
    let names = this.listings.get(dir);
    if (names === undefined) {
      names = this.mayExist(dir) ? listNames(dir) : null;
      this.listings.set(dir, names);
    }
    return names === "unknown" || (names !== null && names.has(real.slice(slash + 1)));
  }

  /**
   * True when a new listing of its directory names `real`; it replaces the one kept, so the
   * reads that follow see the same state. False when it is not there or the directory cannot
   * be listed.
   */
  private listedAfresh(real: string): boolean {
    const slash = real.lastIndexOf("/");
    if (slash <= 0) return false;
    const dir = real.slice(0, slash);
    const names = listNames(dir);
    if (names === "unknown") return false;
    this.listings.set(dir, names);
    return names !== null && names.has(real.slice(slash + 1));
  }

  /** Forgets the listings after a change to the file tree. */
  protected changed(): void {
    this.listings.clear();
  }

  abstract capture(name: CaptureName, path?: string): Promise<string | null>;
  abstract run(tool: ToolName, args: readonly string[]): Promise<RunResult>;

  readText(path: string): Promise<string | null> {
    return settle(() => this.readTextSync(path));
  }

  /**
   * Sync reads: a hook runs before every VM boot, and the first async file operation of a
   * process waits for Deno's thread pool; a few small files are read faster in place.
   */
  private readTextSync(path: string): string | null {
    const real = this.realPath(path);
    if (!this.mayExist(real)) return null;
    const bytes = readRegularFile(real, path, this.confine);
    if (bytes === null) return null;
    try {
      return strictDecoder.decode(bytes);
    } catch {
      throw new PptkitError(
        ExitCode.DataError,
        `cannot read ${path}: not UTF-8 text`,
        "pptkit edits text files byte for byte and refuses to guess an encoding",
        { file: path },
      );
    }
  }

  readDir(path: string): Promise<string[] | null> {
    return settle(() => this.readDirSync(path));
  }

  private readDirSync(path: string): string[] | null {
    const real = this.realPath(path);
    if (!this.mayExist(real)) return null;
    if (this.confine !== null && this.confine.resolve(real, path, "read") === null) return null;
    const names: string[] = [];
    try {
      for (const entry of Deno.readDirSync(this.realPath(path))) names.push(entry.name);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw fileError(e, "read", path);
    }
    return names.sort();
  }

  stat(path: string): Promise<FileInfo | null> {
    return settle(() => this.statSync(path));
  }

  private statSync(path: string): FileInfo | null {
    const real = this.realPath(path);
    if (!this.mayExist(real)) return null;
    // The last component is not followed; the directories above it must stay inside.
    if (this.confine !== null && this.confine.resolve(parentOf(real), path, "read") === null) {
      return null;
    }
    try {
      return fileInfo(Deno.lstatSync(real));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw fileError(e, "read", path);
    }
  }

  writeFileAtomic(path: string, text: string, options: AtomicWriteOptions = {}): Promise<void> {
    this.changed();
    return settle(() => this.writeFileAtomicSync(path, text, options));
  }

  /** Synchronous, like the reads: a plan or a reserve writes one small file. */
  private writeFileAtomicSync(path: string, text: string, options: AtomicWriteOptions): void {
    const real = this.realPath(path);
    const dir = parentOf(real);
    const tmp = `${real}.tmp`;
    // The temp file and the backup are created exclusively, and renamed, in this directory.
    checkDirectory(dir, parentOf(path), this.confine);
    const before = this.statSync(path);
    if (before !== null && !before.isFile) {
      throw new PptkitError(ExitCode.CantCreate, `cannot write ${path}: not a regular file`);
    }
    try {
      if (options.backup !== undefined && before !== null) {
        const old = readRegularFile(real, path, this.confine) ?? new Uint8Array();
        writeDurably(this.realPath(options.backup), old, before.mode ?? 0o644);
      }
      const mode = before?.mode ?? options.mode ?? 0o644;
      writeDurably(tmp, new TextEncoder().encode(text), mode);
      if (before !== null && before.uid !== null && before.gid !== null) {
        keepOwner(tmp, before.uid, before.gid);
      }
      Deno.renameSync(tmp, real);
      syncDirectory(dir);
    } catch (e) {
      try {
        Deno.removeSync(tmp);
      } catch {
        // Never created, or already renamed: nothing to clean up.
      }
      throw fileError(e, "write", path);
    }
  }

  createExclusive(path: string, text: string): Promise<boolean> {
    const real = this.realPath(path);
    // A lock that exists is the usual answer (a guest reboot's own, another VM's): the listing
    // of its directory, read afresh, says so without the exception a refused O_EXCL open
    // throws (a millisecond in a bundle this size). The caller reads that lock next, through
    // this listing; gone meanwhile, it asks again and gets a new listing. O_EXCL stays the one
    // atomic test: a name the listing lacks is created with it, a race lost there is false.
    if (this.listedAfresh(real)) return Promise.resolve(false);
    this.changed();
    // Sync and without fsync: an ownership lock lives in the run dir and means nothing after a
    // crash or a reboot (no VM survives those), so durability would only slow every VM start.
    return settle(() => {
      this.inside(parentOf(real), path);
      return createNewFile(real, path, text);
    });
  }

  createLocalFile(path: string, text: string): Promise<boolean> {
    return settle(() => createNewFile(path, path, text));
  }

  remove(path: string): Promise<boolean> {
    this.changed();
    return settle(() => {
      try {
        this.inside(parentOf(this.realPath(path)), path);
        Deno.removeSync(this.realPath(path));
        return true;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return false;
        throw fileError(e, "write", path);
      }
    });
  }

  rename(from: string, to: string): Promise<boolean> {
    this.changed();
    return settle(() => {
      try {
        this.inside(parentOf(this.realPath(from)), from);
        this.inside(parentOf(this.realPath(to)), to);
        Deno.renameSync(this.realPath(from), this.realPath(to));
        return true;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return false;
        throw fileError(e, "write", to);
      }
    });
  }

  /**
   * Creates a directory (and its parents) mode 0755 when missing, then refuses it, and its
   * parent, when another user could change what is in it (core/host/safe_fs.ts
   * `checkDirectory`): pptkit's state and run directories hold slot maps and device locks.
   */
  ensureDir(path: string): Promise<void> {
    this.changed();
    return settle(() => {
      const real = this.realPath(path);
      // A confined host checks each directory before it makes the next one in it: a link on
      // the way would make them outside.
      this.inside(real, path);
      try {
        Deno.mkdirSync(real, { recursive: true, mode: 0o755 });
      } catch (e) {
        throw fileError(e, "write", path);
      }
      checkDirectory(real, path, this.confine);
      this.checkParent(real, path);
    });
  }

  checkDir(path: string): Promise<void> {
    return settle(() => {
      const real = this.realPath(path);
      checkDirectory(real, path, this.confine, "read");
      this.checkParent(real, path, "read");
    });
  }

  /** The directory above a state directory: a sticky one (/tmp) may be writable by all. */
  private checkParent(real: string, path: string, action: "read" | "write" = "write"): void {
    const parent = parentOf(real);
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(parent);
    } catch {
      return;
    }
    if (info.mode !== null && (info.mode & 0o1000) !== 0) return;
    checkDirectory(parent, parentOf(path), this.confine, action);
  }

  /** Throws unless the directory `real` (of host path `path`) resolves inside the host. */
  private inside(real: string, path: string): void {
    this.confine?.resolve(real, path, "write");
  }

  async withLock<T>(path: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
    this.changed();
    const real = this.realPath(path);
    const started = Date.now();
    const deadline = started + waitMs;
    // Every way round the loop checks the deadline, and every way out says what blocked it.
    for (let round = 0;; round++) {
      refuseOddLockFile(real, path);
      let file: Deno.FsFile;
      try {
        file = openLockFile(real);
      } catch (e) {
        throw fileError(e, "write", path);
      }
      try {
        // The usual case takes the lock at once; only contention pays for a timer (the first
        // setTimeout of a process costs milliseconds, and the hook runs before every boot).
        if (!file.tryLockSync(true)) {
          const left = deadline - Date.now();
          await Promise.race([file.lock(true), timeout(Math.max(left, 0))]);
        }
      } catch {
        file.close();
        throw new PptkitError(
          ExitCode.TempFail,
          `${path} is locked by another process (waited ${Math.round(waitMs / 1000)} s)`,
          `see which one with: fstat ${path} (then try again)`,
        );
      }
      // The holder before us removes the lock file when it is done: a lock on a file that is
      // no longer at the path locks nothing, so take the new one.
      const same = sameFile(file, real);
      if (same === true) {
        try {
          return await fn();
        } finally {
          // Remove it while still holding it, so no lock file stays behind in /boot.
          try {
            Deno.removeSync(real);
          } catch {
            // Already gone: nothing to clean up.
          }
          file.close();
        }
      }
      file.close();
      if (same !== false) {
        throw new PptkitError(ExitCode.CantCreate, `cannot lock ${path}: ${same}`);
      }
      if (Date.now() >= deadline) {
        throw new PptkitError(
          ExitCode.TempFail,
          `${path} kept being replaced while pptkit waited for it ` +
            `(${round + 1} tries in ${Math.round((Date.now() - started) / 1000)} s)`,
          `see which processes use it with: fstat ${path}`,
        );
      }
      // Another holder came and went: give it a moment from the second try on.
      if (round > 0) await sleep(Math.min(10, Math.max(deadline - Date.now(), 0)));
    }
  }

  appendLog(path: string, text: string): Promise<void> {
    return settle(() => {
      const file = openForAppend(path);
      try {
        writeAllSync(file, text);
      } finally {
        file.close();
      }
    });
  }

  readTrusted(path: string): Promise<Uint8Array> {
    return settle(() => {
      const real = this.realPath(path);
      try {
        if (this.kind === "snapshot") {
          const bytes = readRegularFile(real, path, this.confine, MAX_TRUSTED_BYTES);
          if (bytes === null) throw new Deno.errors.NotFound(path);
          return bytes;
        }
        return readTrustedFile(real, path, this.uid(), this.confine);
      } catch (e) {
        throw fileError(e, "read", path);
      }
    });
  }

  startPlugin(
    path: string,
    source: Uint8Array,
    limits: SandboxLimits = SANDBOX_LIMITS,
  ): Promise<SandboxedModule> {
    return settle(() => startSandbox(path, source, limits));
  }

  uid(): number | null {
    return currentUid();
  }

  processIds(): { pid: number; ppid: number | null } {
    return { pid: Deno.pid, ppid: typeof Deno.ppid === "number" ? Deno.ppid : null };
  }

  now(): number {
    return Date.now();
  }
}

/**
 * Creates `real` only if nothing is there (O_CREAT|O_EXCL: a symlink planted there is not
 * followed) and writes `text`; false when something already exists. `path` names it in errors.
 */
function createNewFile(real: string, path: string, text: string): boolean {
  try {
    const file = Deno.openSync(real, { write: true, createNew: true, mode: 0o644 });
    try {
      writeAllSync(file, text);
    } finally {
      file.close();
    }
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw fileError(e, "write", path);
  }
}

/**
 * True when the open file is still the one at `path` (same device and inode; `path` itself,
 * not what a symlink there points to); false when it was replaced; why, when either cannot be
 * looked at.
 */
function sameFile(file: Deno.FsFile, path: string): boolean | string {
  let open: Deno.FileInfo;
  try {
    open = file.statSync();
  } catch (e) {
    return `cannot fstat it: ${e instanceof Error ? e.message : String(e)}`;
  }
  let now: Deno.FileInfo;
  try {
    now = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    return `cannot stat it: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (open.ino === null || open.dev === null) return "the file system tells no inode numbers";
  return open.ino === now.ino && open.dev === now.dev;
}

/**
 * Opens a lock file without following a symbolic link planted after the check: created
 * exclusively when missing, else opened without O_CREAT (a link planted in between creates
 * nothing, and the caller's inode check finds it is not the file at the path).
 */
function openLockFile(real: string): Deno.FsFile {
  for (let attempt = 1;; attempt++) {
    try {
      return Deno.openSync(real, { read: true, write: true, createNew: true, mode: 0o644 });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    try {
      return Deno.openSync(real, { read: true, write: true });
    } catch (e) {
      // Its holder removed it in between: create it again.
      if (!(e instanceof Deno.errors.NotFound) || attempt === 10) throw e;
    }
  }
}

/**
 * Refuses a lock file that is not a regular file pptkit made: a symlink (it would lock, and
 * create, whatever it points to), a directory, a FIFO (opening it would hang) or a device.
 */
function refuseOddLockFile(real: string, path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(real);
  } catch {
    return; // Missing (the usual case: it is created), or unreadable (open says why).
  }
  if (info.isFile) return;
  const what = kindOf(info);
  throw new PptkitError(
    ExitCode.CantCreate,
    `cannot lock ${path}: it is ${what}, not a lock file pptkit made`,
    `remove it (rm ${info.isDirectory ? "-r " : ""}${path}) if no pptkit runs; pptkit ` +
      "creates it again",
  );
}

/** A directory's names; null when it does not exist; "unknown" when it cannot be listed. */
type Listing = ReadonlySet<string> | null | "unknown";

/** Lists a directory (a path outside what the launcher grants cannot be: "unknown"). */
function listNames(dir: string): Listing {
  try {
    const names = new Set<string>();
    for (const entry of Deno.readDirSync(dir)) names.add(entry.name);
    return names;
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? null : "unknown";
  }
}

/** Runs a synchronous step and hands its result or its error over as a promise. */
export function settle<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Resolves after `ms`. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects after `ms`; used to bound a blocking lock wait. */
function timeout(ms: number): Promise<never> {
  return new Promise((_, reject) => {
    const id = setTimeout(() => reject(new Error("timeout")), ms);
    Deno.unrefTimer(id);
  });
}

/** Writes bytes to a fresh file with `mode` and fsyncs it. */
function writeDurably(path: string, data: Uint8Array, mode: number): void {
  try {
    Deno.removeSync(path); // a temp file or backup left by a crashed run
  } catch {
    // Not there: the usual case.
  }
  const file = Deno.openSync(path, { write: true, createNew: true, mode });
  try {
    writeAllSync(file, data);
    file.syncSync();
  } finally {
    file.close();
  }
  // createNew honours the umask; set the exact bits the original had.
  Deno.chmodSync(path, mode);
}

function keepOwner(path: string, uid: number, gid: number): void {
  try {
    Deno.chownSync(path, uid, gid);
  } catch (e) {
    // Only root may give a file away; an unprivileged run writing its own file keeps its owner.
    if (!(e instanceof Deno.errors.PermissionDenied)) throw e;
  }
}

/** fsync the directory so the rename itself survives a crash. */
function syncDirectory(dir: string): void {
  try {
    const handle = Deno.openSync(dir, { read: true });
    try {
      handle.syncSync();
    } finally {
      handle.close();
    }
  } catch {
    // Not every platform can open or fsync a directory; the rename is still atomic.
  }
}
