/**
 * The host seam: the only way pptkit reaches the operating system (core/host/ implements it;
 * nothing outside core/host/ calls `Deno.*` for files, commands, processes or the clock).
 *
 * A {@linkcode Host} answers "what does this machine look like" (the outputs of pciconf,
 * acpidump, kenv, sysctl, kldstat, uname, ps and the list of /dev/vmm) and reads and writes
 * files at their host paths. Two implementations:
 *
 * - {@linkcode LiveHost} runs the real commands with `Deno.Command` and reads real files, under
 *   an optional root directory (`--root DIR`: live commands, files under DIR).
 * - {@linkcode SnapshotHost} reads a snapshot directory (DESIGN §5): `DIR/pciconf.txt` and friends,
 *   and host files under `DIR/root/`, where its writes go too.
 *
 * Everything else in pptkit receives text or data from here, which is what makes every command
 * testable on Linux from a snapshot directory. The process facts a command needs (the user it
 * runs as, its pid, the clock, appending to a log) are members too, so that `cli/` and `app/`
 * never touch the operating system themselves.
 *
 * @module
 */

import type { SandboxedModule, SandboxLimits } from "./sandbox.ts";

/** The facts a host is captured from; each is one command on a live host, one file in a snapshot. */
export type CaptureName =
  | "pciconf"
  | "acpidump"
  | "kenv"
  | "sysctl"
  | "kldstat"
  | "uname"
  | "ps"
  | "vmm"
  | "cbsd"
  | "netstat"
  | "cbsd-bhyveppt";

/** The query of the `cbsd-bhyveppt` capture: every column the table has, in attach order. */
export const CBSD_BHYVEPPT_QUERY = "SELECT * FROM bhyveppt ORDER BY rowid;";

/** The command line that produces each capture on a live host (and names it in snapshots). */
export const CAPTURE_COMMANDS: Record<CaptureName, readonly string[]> = {
  pciconf: ["pciconf", "-lbcv"],
  acpidump: ["acpidump", "-t"],
  kenv: ["kenv"],
  sysctl: ["sysctl", "hw.vmm"],
  kldstat: ["kldstat"],
  uname: ["uname", "-mr"],
  // Root's processes only, with owner, age and executable (core/ownership/running.ts).
  ps: ["ps", "-x", "-U", "0", "-ww", "-o", "pid,ppid,uid,etimes,comm,args"],
  vmm: ["ls", "/dev/vmm"],
  cbsd: ["cbsd", "bhyve-ppt", "mode=list"],
  // The default route's interface: that NIC is host-critical (core/routes.ts).
  netstat: ["netstat", "-rn"],
  // CBSD's passthru table, read with the sqlite3 CBSD depends on; DB is the capture's path.
  "cbsd-bhyveppt": ["sqlite3", "-readonly", "-batch", "-json", "DB", CBSD_BHYVEPPT_QUERY],
};

/** Commands pptkit may run besides the captures (DESIGN §14). */
export type ToolName = "devctl" | "cbsd";

/** What `stat` tells about a path. */
export interface FileInfo {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  /** Permission bits; null where the platform has none. */
  readonly mode: number | null;
  readonly uid: number | null;
  readonly gid: number | null;
  readonly size: number;
  /** Modification time in ms since the epoch. */
  readonly mtime: number | null;
}

/** Result of running a tool. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode Host.writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Keep the previous contents at this host path (e.g. `/boot/loader.conf.bak`). */
  readonly backup?: string;
  /** Mode for a file that does not exist yet (an existing file keeps its mode and owner). */
  readonly mode?: number;
}

/** A machine, live or frozen. */
export interface Host {
  readonly kind: "live" | "snapshot";
  /** "this host", or "snapshot DIR": for messages. */
  readonly description: string;
  /** Where a host path really is on this machine (for messages and tests). */
  realPath(path: string): string;
  /**
   * One capture's text. `pciconf` is required: its absence throws (69 on a live host without
   * pciconf, 66 for a snapshot without pciconf.txt). Every other capture is optional and is null
   * when it cannot be had (command missing or failing, file absent): the fact is then unknown.
   * `path` is the host path of the file a capture reads (`cbsd-bhyveppt`: the database; under
   * `--root DIR` it is looked up below DIR); a snapshot holds the output and ignores it.
   */
  capture(name: CaptureName, path?: string): Promise<string | null>;
  /** Reads a UTF-8 text file at a host path; null when it does not exist. */
  readText(path: string): Promise<string | null>;
  /** Names in a directory, sorted; null when the directory does not exist. */
  readDir(path: string): Promise<string[] | null>;
  /** Facts about a path without following a final symlink; null when it does not exist. */
  stat(path: string): Promise<FileInfo | null>;
  /**
   * What a symbolic link at a host path points to, as written in the link; null when the path
   * is not a symbolic link. (Optional until every host implements it.)
   */
  readLink?(path: string): Promise<string | null>;
  /**
   * Replaces a file atomically: temp file in the same directory, fsync, optional backup of the
   * previous contents, rename. Mode and owner of an existing file are kept. On any failure the
   * original file is untouched and the temp file is removed.
   */
  writeFileAtomic(path: string, text: string, options?: AtomicWriteOptions): Promise<void>;
  /** Runs a tool (devctl, cbsd) and returns its status and output. */
  run(tool: ToolName, args: readonly string[]): Promise<RunResult>;
  /**
   * Creates a file only if it does not exist (O_CREAT|O_EXCL): the atomic primitive of
   * ownership locks. True when this call created it, false when it already existed.
   */
  createExclusive(path: string, text: string): Promise<boolean>;
  /** Removes a file; false when it did not exist. */
  remove(path: string): Promise<boolean>;
  /** Renames a file atomically; false when the source did not exist. */
  rename(from: string, to: string): Promise<boolean>;
  /**
   * Creates a directory and its parents (mode 0755) when missing. Throws (77, one line with
   * the fix) when it, or the directory above it, is owned by another user or writable by
   * others: pptkit's state and run directories hold slot maps and device locks.
   */
  ensureDir(path: string): Promise<void>;
  /** The check of {@linkcode ensureDir} for a directory pptkit reads state from; nothing when missing. */
  checkDir(path: string): Promise<void>;
  /**
   * Runs `fn` holding an exclusive advisory lock (flock) on `path`, created when missing;
   * 75 when another process holds it for longer than `waitMs`. The kernel drops the lock when
   * the process dies, so a crash never leaves a stale lock behind.
   */
  withLock<T>(path: string, waitMs: number, fn: () => Promise<T>): Promise<T>;
  /**
   * Appends text to a log file on this machine (`hook --log FILE`), created with mode 0644.
   * The path is a real path, also for a snapshot: a log is about this run, not the host.
   */
  appendLog(path: string, text: string): Promise<void>;
  /**
   * Creates a file on this machine (a real path, as `appendLog`: a report the administrator
   * names) only if nothing is there, without following a symlink; false when something is.
   */
  createLocalFile(path: string, text: string): Promise<boolean>;
  /**
   * Reads a community file (a plugin, a quirks.d file) of a live host after the StrictModes
   * check of core/host/trust.ts: the file and every directory from it up to / owned by root or
   * the running user and writable by neither group nor others, checked on the opened file.
   * Throws (77) `refusing PATH: why` otherwise. A snapshot's files are its data: read as
   * {@linkcode readText} reads them (inside the snapshot, regular, bounded).
   */
  readTrusted(path: string): Promise<Uint8Array>;
  /**
   * Runs a community plugin from the checked bytes of its file in a Worker with a deadline and
   * a memory limit (core/host/sandbox.ts): the only code pptkit runs that it does not ship.
   * Throws an Error saying why it could not be loaded.
   */
  startPlugin(path: string, source: Uint8Array, limits?: SandboxLimits): Promise<SandboxedModule>;
  /** The user id pptkit runs as (plugin files must belong to root or to it); null off Unix. */
  uid(): number | null;
  /** This process and its parent, as a lock file records them (ppid null where unknown). */
  processIds(): { readonly pid: number; readonly ppid: number | null };
  /** Now, in ms since the epoch. */
  now(): number;
}
