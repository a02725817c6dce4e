/**
 * A host frozen into a directory (DESIGN §5): captures as files, host files under `root/`.
 *
 * @module
 */

import { ExitCode, PptkitError } from "../errors.ts";
import { decoder, fileError, FileHost, joinPath, settle } from "./files.ts";
import type { CaptureName, RunResult, ToolName } from "./host.ts";
import { readLinkAt } from "./links.ts";
import {
  Confinement,
  currentUid,
  directoryProblem,
  kindOf,
  parentOf,
  readRegularFile,
  sameInode,
  writeAllSync,
} from "./safe_fs.ts";

/** A host frozen into a directory (DESIGN §5). */
export class SnapshotHost extends FileHost {
  readonly kind = "snapshot";
  readonly description: string;

  private constructor(private readonly dir: string) {
    // Captures, host files under root/ and writes to them all stay inside the directory.
    super(joinPath(dir, "/root"), new Confinement(dir, "snapshot"));
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
    const bytes = this.mayExist(file) ? readRegularFile(file, file, this.confine) : null;
    if (bytes === null) {
      if (name !== "pciconf") return null;
      throw new PptkitError(
        ExitCode.NoInput,
        `snapshot ${this.dir} has no pciconf.txt`,
        "save the output of pciconf -lbcv there (or run pptkit snapshot DIR on the host)",
      );
    }
    return decoder.decode(bytes);
  }

  readLink(path: string): Promise<string | null> {
    return Promise.resolve(readLinkAt(this.realPath(path)));
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

/** A host path without `.`, `..` or empty components: where a file goes under `root/`. */
function cleanHostPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/**
 * The directory a snapshot is written into: made by pptkit itself (mode 0700, so nobody else
 * can put anything in it), and checked again before each file is created in it.
 */
class SnapshotDir {
  private constructor(readonly dir: string, private readonly made: Deno.FileInfo) {}

  /**
   * Makes `dir` (its parent must exist): refuses a directory that is already there, and a
   * parent another user could swap it in (owned by someone else, or writable by others
   * without the sticky bit /tmp has).
   */
  static make(dir: string): SnapshotDir {
    const parent = parentOf(dir.replace(/\/+$/, "") || "/");
    let above: Deno.FileInfo | null = null;
    try {
      above = Deno.statSync(parent);
    } catch (e) {
      // The launcher grants DIR, not its parent: then the checks on DIR itself must do.
      if (!(e instanceof Deno.errors.NotCapable)) throw fileError(e, "write", dir);
    }
    if (above !== null) SnapshotDir.checkParent(dir, parent, above);
    try {
      Deno.mkdirSync(dir, { mode: 0o700 });
      Deno.chmodSync(dir, 0o700);
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) {
        throw new PptkitError(
          ExitCode.CantCreate,
          `snapshot directory ${dir} already exists`,
          "name a new directory: pptkit snapshot creates it (mode 0700) and writes only into it",
        );
      }
      throw fileError(e, "write", dir);
    }
    return new SnapshotDir(dir, Deno.lstatSync(dir));
  }

  /** Refuses a parent another user could swap the snapshot directory in. */
  private static checkParent(dir: string, parent: string, above: Deno.FileInfo): void {
    const sticky = above.mode !== null && (above.mode & 0o1000) !== 0;
    const problem = directoryProblem(
      sticky ? { ...above, mode: (above.mode ?? 0) & ~0o002 } : above,
      currentUid(),
    );
    if (problem === null) return;
    throw new PptkitError(
      ExitCode.CantCreate,
      `cannot write snapshot ${dir}: ${parent} ${problem.slice("it ".length)}`,
      "another user could swap the snapshot directory for a link; name a directory in " +
        "one that only root can write (or /tmp)",
    );
  }

  /** Throws unless `dir` is still the directory pptkit made. */
  private check(what: string): void {
    let now: Deno.FileInfo | null = null;
    try {
      now = Deno.lstatSync(this.dir);
    } catch {
      // Gone: refused below.
    }
    if (now === null || !now.isDirectory || !sameInode(now, this.made)) {
      throw new PptkitError(
        ExitCode.CantCreate,
        `cannot write ${what}: ${this.dir} is no longer the directory pptkit made`,
        "someone replaced it while the snapshot was written; run pptkit snapshot again",
      );
    }
  }

  /** Makes `rel`'s directories (below the snapshot) one at a time, never through a link. */
  private mkdirs(rel: string): void {
    let at = this.dir;
    for (const part of rel.split("/").filter((p) => p !== "")) {
      at += "/" + part;
      try {
        Deno.mkdirSync(at, { mode: 0o755 });
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw fileError(e, "write", at);
        const info = Deno.lstatSync(at);
        if (!info.isDirectory) {
          throw new PptkitError(
            ExitCode.CantCreate,
            `cannot write ${at}: it is ${kindOf(info)}, not a directory pptkit made`,
            "someone changed the snapshot while it was written; run pptkit snapshot again",
          );
        }
      }
    }
  }

  /** Creates `rel` (a path below the snapshot) with `text`: a new file, never through a link. */
  write(rel: string, text: string): void {
    const path = `${this.dir}/${rel}`;
    this.check(path);
    this.mkdirs(rel.slice(0, Math.max(rel.lastIndexOf("/"), 0)));
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { write: true, createNew: true, mode: 0o644 });
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) {
        throw new PptkitError(
          ExitCode.CantCreate,
          `cannot write ${path}: something is already there`,
          "someone changed the snapshot while it was written; run pptkit snapshot again",
        );
      }
      throw fileError(e, "write", path);
    }
    try {
      writeAllSync(file, text);
    } finally {
      file.close();
    }
    this.check(path);
  }
}

/**
 * Writes a new snapshot directory: one file per capture plus host files under `root/`. `dir`
 * must not exist: pptkit makes it (mode 0700) and creates every file in it exclusively, so a
 * link planted there is never followed. `step` is called once the directory is made and
 * before each file (tests plant links at those moments).
 */
export function writeSnapshot(
  dir: string,
  captures: ReadonlyMap<CaptureName, string>,
  files: ReadonlyMap<string, string>,
  step: (at: string) => void = () => {},
): Promise<void> {
  return settle(() => {
    const out = SnapshotDir.make(dir);
    step(dir);
    for (const [name, text] of captures) {
      const rel = `${name === "cbsd" ? "cbsd-ppt" : name}.txt`;
      step(rel);
      out.write(rel, text);
    }
    for (const [path, text] of files) {
      const rel = "root" + cleanHostPath(path);
      step(rel);
      out.write(rel, text);
    }
  });
}
