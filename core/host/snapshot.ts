/**
 * A host frozen into a directory (DESIGN §5): captures as files, host files under `root/`.
 *
 * @module
 */

import { ExitCode, PptkitError } from "../errors.ts";
import { decoder, fileError, FileHost, joinPath, settle } from "./files.ts";
import type { CaptureName, RunResult, ToolName } from "./host.ts";
import { readLinkAt } from "./links.ts";

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

/** True when `dir` does not exist or has no entries. */
function isEmptyOrMissing(dir: string): boolean {
  try {
    for (const _ of Deno.readDirSync(dir)) return false;
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return true;
    throw fileError(e, "read", dir);
  }
}

/** Writes a new snapshot directory: one file per capture plus host files under `root/`. */
export async function writeSnapshot(
  dir: string,
  captures: ReadonlyMap<CaptureName, string>,
  files: ReadonlyMap<string, string>,
): Promise<void> {
  if (!isEmptyOrMissing(dir)) {
    throw new PptkitError(
      ExitCode.CantCreate,
      `snapshot directory ${dir} is not empty`,
      "name a new directory; pptkit never overwrites a snapshot",
    );
  }
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
