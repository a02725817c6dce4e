/**
 * File operations shared by the live host and snapshots: host paths live under a root
 * directory; reads are synchronous (see readTextSync), writes atomic.
 *
 * @module
 */

import { ExitCode, PptkitError } from "../errors.ts";
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

export function joinPath(root: string, path: string): string {
  if (root === "" || root === "/") return path;
  return root.replace(/\/+$/, "") + (path.startsWith("/") ? path : "/" + path);
}

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

/** File operations shared by both hosts: host paths live under `root`. */
export abstract class FileHost implements Host {
  abstract readonly kind: "live" | "snapshot";
  abstract readonly description: string;

  constructor(protected readonly root: string) {}

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
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(real);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw fileError(e, "read", path);
    }
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
    if (!this.mayExist(this.realPath(path))) return null;
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
    if (!this.mayExist(this.realPath(path))) return null;
    try {
      const s = Deno.lstatSync(this.realPath(path));
      return {
        isFile: s.isFile,
        isDirectory: s.isDirectory,
        mode: s.mode === null ? null : s.mode & 0o7777,
        uid: s.uid,
        gid: s.gid,
        size: s.size,
        mtime: s.mtime?.getTime() ?? null,
      };
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
    const slash = real.lastIndexOf("/");
    const dir = slash > 0 ? real.slice(0, slash) : ".";
    const tmp = `${real}.tmp`;
    const before = this.statSync(path);
    if (before !== null && !before.isFile) {
      throw new PptkitError(ExitCode.CantCreate, `cannot write ${path}: not a regular file`);
    }
    try {
      if (options.backup !== undefined && before !== null) {
        writeDurably(this.realPath(options.backup), Deno.readFileSync(real), before.mode ?? 0o644);
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
    return settle(() => createNewFile(real, path, text));
  }

  createLocalFile(path: string, text: string): Promise<boolean> {
    return settle(() => createNewFile(path, path, text));
  }

  remove(path: string): Promise<boolean> {
    this.changed();
    return settle(() => {
      try {
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
        Deno.renameSync(this.realPath(from), this.realPath(to));
        return true;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return false;
        throw fileError(e, "write", to);
      }
    });
  }

  ensureDir(path: string): Promise<void> {
    this.changed();
    return settle(() => {
      try {
        Deno.mkdirSync(this.realPath(path), { recursive: true, mode: 0o755 });
      } catch (e) {
        throw fileError(e, "write", path);
      }
    });
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
        file = Deno.openSync(real, { read: true, write: true, create: true });
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

  async appendLog(path: string, text: string): Promise<void> {
    const file = await Deno.open(path, { append: true, create: true, mode: 0o644 });
    try {
      const data = new TextEncoder().encode(text);
      let written = 0;
      while (written < data.length) written += await file.write(data.subarray(written));
    } finally {
      file.close();
    }
  }

  async importModule(path: string): Promise<Record<string, unknown>> {
    const real = this.realPath(path);
    const absolute = real.startsWith("/") ? real : `${Deno.cwd()}/${real}`;
    // Encode each component: a '#' or '?' in a file name must not end the URL's path.
    const url = "file://" + absolute.split("/").map(encodeURIComponent).join("/");
    return await import(url);
  }

  uid(): number | null {
    return Deno.uid();
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
      const data = new TextEncoder().encode(text);
      let written = 0;
      while (written < data.length) written += file.writeSync(data.subarray(written));
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
  const what = info.isSymlink
    ? "a symbolic link"
    : info.isDirectory
    ? "a directory"
    : info.isFifo
    ? "a FIFO"
    : "not a regular file";
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
    let written = 0;
    while (written < data.length) written += file.writeSync(data.subarray(written));
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
