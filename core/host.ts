/**
 * The only module that talks to the operating system.
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
 * testable on Linux from a snapshot directory.
 *
 * @module
 */

import { ExitCode, PptkitError } from "./errors.ts";

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
  | "cbsd";

/** The command line that produces each capture on a live host (and names it in snapshots). */
export const CAPTURE_COMMANDS: Record<CaptureName, readonly string[]> = {
  pciconf: ["pciconf", "-lbcv"],
  acpidump: ["acpidump", "-t"],
  kenv: ["kenv"],
  sysctl: ["sysctl", "hw.vmm"],
  kldstat: ["kldstat"],
  uname: ["uname", "-mr"],
  ps: ["ps", "-axww", "-o", "pid,command"],
  vmm: ["ls", "/dev/vmm"],
  cbsd: ["cbsd", "bhyve-ppt", "mode=list"],
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
   */
  capture(name: CaptureName): Promise<string | null>;
  /** Reads a UTF-8 text file at a host path; null when it does not exist. */
  readText(path: string): Promise<string | null>;
  /** Names in a directory, sorted; null when the directory does not exist. */
  readDir(path: string): Promise<string[] | null>;
  /** Facts about a path without following a final symlink; null when it does not exist. */
  stat(path: string): Promise<FileInfo | null>;
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
  /** Creates a directory and its parents (mode 0755) when missing. */
  ensureDir(path: string): Promise<void>;
  /**
   * Runs `fn` holding an exclusive advisory lock (flock) on `path`, created when missing;
   * 75 when another process holds it for longer than `waitMs`. The kernel drops the lock when
   * the process dies, so a crash never leaves a stale lock behind.
   */
  withLock<T>(path: string, waitMs: number, fn: () => Promise<T>): Promise<T>;
}

const decoder = new TextDecoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

function joinPath(root: string, path: string): string {
  if (root === "" || root === "/") return path;
  return root.replace(/\/+$/, "") + (path.startsWith("/") ? path : "/" + path);
}

/** Turns a Deno file-system error into a one-line PptkitError. */
function fileError(e: unknown, action: string, path: string): PptkitError {
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
abstract class FileHost implements Host {
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

  /** Forgets the listings after a change to the file tree. */
  protected changed(): void {
    this.listings.clear();
  }

  abstract capture(name: CaptureName): Promise<string | null>;
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
    this.changed();
    // Sync and without fsync: an ownership lock lives in the run dir and means nothing after a
    // crash or a reboot (no VM survives those), so durability would only slow every VM start.
    return settle(() => {
      try {
        const file = Deno.openSync(this.realPath(path), {
          write: true,
          createNew: true,
          mode: 0o644,
        });
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
    });
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
    const deadline = Date.now() + waitMs;
    for (;;) {
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
          `${path} is locked by another pptkit`,
          "try again in a moment",
        );
      }
      // The holder before us removes the lock file when it is done: a lock on a file that is
      // no longer at the path locks nothing, so take the new one.
      if (!sameFile(file, real)) {
        file.close();
        continue;
      }
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
  }
}

/** True when the open file is still the one at `path` (same device and inode). */
function sameFile(file: Deno.FsFile, path: string): boolean {
  try {
    const open = file.statSync();
    const now = Deno.statSync(path);
    return open.ino === now.ino && open.dev === now.dev;
  } catch {
    return false;
  }
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
function settle<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (e) {
    return Promise.reject(e);
  }
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

/** The machine pptkit runs on. */
export class LiveHost extends FileHost {
  readonly kind = "live";
  readonly description: string;

  constructor(root = "/") {
    super(root);
    this.description = root === "/" ? "this host" : `this host (files under ${root})`;
  }

  async capture(name: CaptureName): Promise<string | null> {
    if (name === "vmm") {
      // Deno grants nothing under /dev without --allow-all, which the launcher never gives:
      // there the running VMs come from ps alone (bhyve's "bhyve: NAME" process titles).
      try {
        const names = await this.readDir("/dev/vmm");
        return names === null ? null : names.join("\n") + (names.length > 0 ? "\n" : "");
      } catch {
        return null;
      }
    }
    const [cmd, ...args] = CAPTURE_COMMANDS[name];
    if (name === "pciconf") return await this.pciconf(args);
    const result = await runCommand(cmd, args);
    return result !== null && result.code === 0 ? result.stdout : null;
  }

  /** `pciconf -lbcv`; without root `-c` cannot open /dev/pci read-write, so fall back to `-lv`. */
  private async pciconf(args: string[]): Promise<string> {
    const full = await runCommand("pciconf", args);
    if (full === null) {
      throw new PptkitError(
        ExitCode.Unavailable,
        "pciconf not found: pptkit runs on FreeBSD hosts",
        "use --snapshot DIR elsewhere (capture one on the host with: pptkit snapshot DIR)",
      );
    }
    if (full.code === 0) return full.stdout;
    const plain = await runCommand("pciconf", ["-lv"]);
    if (plain !== null && plain.code === 0) return plain.stdout;
    throw new PptkitError(
      ExitCode.Unavailable,
      `pciconf ${args.join(" ")} failed: ${firstLine(full.stderr) || `exit ${full.code}`}`,
      "pciconf needs read access to /dev/pci; run pptkit as root",
    );
  }

  async run(tool: ToolName, args: readonly string[]): Promise<RunResult> {
    const result = await runCommand(tool, [...args]);
    if (result === null) {
      throw new PptkitError(
        ExitCode.Unavailable,
        `${tool} not found: pptkit runs on FreeBSD hosts`,
        "use --snapshot DIR to inspect a captured host elsewhere",
      );
    }
    return result;
  }
}

function firstLine(text: string): string {
  const nl = text.indexOf("\n");
  return (nl < 0 ? text : text.slice(0, nl)).trim();
}

/** Runs a command; null when it does not exist. */
async function runCommand(cmd: string, args: string[]): Promise<RunResult | null> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      throw new PptkitError(
        ExitCode.NoPermission,
        `cannot run ${cmd}: permission denied`,
        "the launcher allows only the commands listed in pptkit(8)",
      );
    }
    throw e;
  }
}

/** A host frozen into a directory (DESIGN §5). */
export class SnapshotHost extends FileHost {
  readonly kind = "snapshot";
  readonly description: string;

  private constructor(private readonly dir: string) {
    super(joinPath(dir, "/root"));
    this.description = `snapshot ${dir}`;
  }

  /** Opens a snapshot directory; 66 when it does not exist or is not a directory. */
  static open(dir: string): Promise<SnapshotHost> {
    return settle(() => SnapshotHost.openSync(dir));
  }

  private static openSync(dir: string): SnapshotHost {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(dir);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new PptkitError(
          ExitCode.NoInput,
          `snapshot directory ${dir} not found`,
          "create one on the host with: pptkit snapshot DIR",
        );
      }
      throw fileError(e, "read", dir);
    }
    if (!info.isDirectory) {
      throw new PptkitError(
        ExitCode.NoInput,
        `snapshot ${dir} is not a directory`,
        "--snapshot takes the directory that pptkit snapshot wrote",
      );
    }
    return new SnapshotHost(dir);
  }

  /** The snapshot file that holds a capture. */
  captureFile(name: CaptureName): string {
    return joinPath(this.dir, `/${name === "cbsd" ? "cbsd-ppt" : name}.txt`);
  }

  capture(name: CaptureName): Promise<string | null> {
    return settle(() => this.captureSync(name));
  }

  private captureSync(name: CaptureName): string | null {
    const file = this.captureFile(name);
    let bytes: Uint8Array;
    try {
      if (!this.mayExist(file)) throw new Deno.errors.NotFound(file);
      bytes = Deno.readFileSync(file);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        if (name !== "pciconf") return null;
        throw new PptkitError(
          ExitCode.NoInput,
          `snapshot ${this.dir} has no pciconf.txt`,
          "save the output of pciconf -lbcv there (or run pptkit snapshot DIR on the host)",
        );
      }
      throw fileError(e, "read", file);
    }
    return decoder.decode(bytes);
  }

  run(tool: ToolName, _args: readonly string[]): Promise<RunResult> {
    return Promise.reject(
      new PptkitError(
        ExitCode.Usage,
        `cannot run ${tool} on a snapshot: it is a frozen copy of a host`,
        "run the command on the host itself",
      ),
    );
  }
}

/** Writes a new snapshot directory: one file per capture plus host files under `root/`. */
export async function writeSnapshot(
  dir: string,
  captures: ReadonlyMap<CaptureName, string>,
  files: ReadonlyMap<string, string>,
): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    for (const [name, text] of captures) {
      await Deno.writeTextFile(joinPath(dir, `/${name === "cbsd" ? "cbsd-ppt" : name}.txt`), text);
    }
    for (const [path, text] of files) {
      const real = joinPath(dir, "/root" + path);
      await Deno.mkdir(real.slice(0, real.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(real, text);
    }
  } catch (e) {
    throw fileError(e, "write", dir);
  }
}

/** Environment variables pptkit reads (DESIGN §14: `NO_COLOR`, `PPTKIT_*`, `HOME`). */
export function env(name: "NO_COLOR" | `PPTKIT_${string}` | "HOME"): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** Whether stdout is a terminal, and its width. */
export function terminal(): { isTty: boolean; columns: number | null } {
  const isTty = Deno.stdout.isTerminal();
  let columns: number | null = null;
  if (isTty) {
    try {
      // A terminal that reports no size (0 columns, as some pseudo-terminals do) is not wrapped.
      const size = Deno.consoleSize().columns;
      columns = size >= 20 ? size : null;
    } catch {
      columns = null;
    }
  }
  return { isTty, columns };
}

/** Writes text to stdout or stderr. */
export function write(stream: "stdout" | "stderr", text: string): void {
  const bytes = new TextEncoder().encode(text);
  const target = stream === "stdout" ? Deno.stdout : Deno.stderr;
  let written = 0;
  while (written < bytes.length) written += target.writeSync(bytes.subarray(written));
}

/** Reads all of stdin as text. */
export async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
  let size = 0;
  for (const c of chunks) size += c.length;
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return decoder.decode(all);
}

/**
 * Imports a community plugin module (DESIGN §11) from a host path: the only code pptkit runs
 * that it does not ship. The caller checks owner and mode first (core/plugins.ts).
 */
export async function importPluginModule(
  host: Pick<Host, "realPath">,
  path: string,
): Promise<Record<string, unknown>> {
  const real = host.realPath(path);
  const absolute = real.startsWith("/") ? real : `${Deno.cwd()}/${real}`;
  // Encode each component: a '#' or '?' in a file name must not end the URL's path.
  const url = "file://" + absolute.split("/").map(encodeURIComponent).join("/");
  return await import(url);
}

/** The user id pptkit runs as (plugin files must belong to root or to it); null off Unix. */
export function currentUid(): number | null {
  return Deno.uid();
}

/** This process and its parent, as a lock file records them (ppid null where unknown). */
export function processIds(): { pid: number; ppid: number | null } {
  return { pid: Deno.pid, ppid: typeof Deno.ppid === "number" ? Deno.ppid : null };
}

/** Appends text to a log file at a real path (`hook --log FILE`), created with mode 0644. */
export async function appendLog(path: string, text: string): Promise<void> {
  const file = await Deno.open(path, { append: true, create: true, mode: 0o644 });
  try {
    const data = new TextEncoder().encode(text);
    let written = 0;
    while (written < data.length) written += await file.write(data.subarray(written));
  } finally {
    file.close();
  }
}
