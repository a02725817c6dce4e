/**
 * The machine pptkit runs on: real commands through `Deno.Command`, real files under an
 * optional root (`--root DIR`).
 *
 * @module
 */

import { ExitCode, PptkitError } from "../errors.ts";
import { decoder, FileHost } from "./files.ts";
import { readLinkAt } from "./links.ts";
import { Confinement } from "./safe_fs.ts";
import { CAPTURE_COMMANDS, type CaptureName, type RunResult, type ToolName } from "./host.ts";

/** The machine pptkit runs on. */
export class LiveHost extends FileHost {
  readonly kind = "live";
  readonly description: string;

  constructor(root = "/") {
    super(root, root === "/" ? null : new Confinement(root, "--root directory"));
    this.description = root === "/" ? "this host" : `this host (files under ${root})`;
  }

  async capture(name: CaptureName, path?: string): Promise<string | null> {
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
    const [cmd, ...listed] = CAPTURE_COMMANDS[name];
    if (name === "pciconf") return await this.pciconf(listed);
    if (name === "cbsd-bhyveppt" && path === undefined) return null;
    // The database is a host file: under --root DIR it lives below DIR, and stays there.
    if (path !== undefined) this.confine?.resolve(this.realPath(path), path, "read");
    const args = listed.map((a) => a === "DB" && path !== undefined ? this.realPath(path) : a);
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

  readLink(path: string): Promise<string | null> {
    return Promise.resolve(readLinkAt(this.realPath(path)));
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
