/**
 * `pptkit snapshot DIR`: freeze this host into a snapshot directory (DESIGN §5), for bug
 * reports, tests and the compatibility list. Every other command reads it back with
 * `--snapshot DIR`.
 *
 * @module
 */

import { ExitCode, PptkitError } from "../core/errors.ts";
import { CAPTURE_COMMANDS, type CaptureName, type Host, writeSnapshot } from "../core/host.ts";
import type { Command } from "./command.ts";

/** Host files a snapshot keeps under `root/`. */
const LOADER_FILES = ["/boot/loader.conf", "/boot/loader.conf.local"];
const LOADER_DIR = "/boot/loader.conf.d";

async function hostFiles(host: Host, extra: readonly string[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const dropIns = (await host.readDir(LOADER_DIR)) ?? [];
  const paths = [
    ...LOADER_FILES,
    ...dropIns.filter((n) => n.endsWith(".conf")).map((n) => `${LOADER_DIR}/${n}`),
    ...extra,
  ];
  for (const path of paths) {
    const text = await host.readText(path);
    if (text !== null) files.set(path, text);
  }
  return files;
}

export const snapshot: Command = {
  synopsis: "DIR",
  description: `
Captures this host into DIR: the output of pciconf -lbcv, acpidump -t, kenv, sysctl hw.vmm,
kldstat, uname -mr, ps and ls /dev/vmm (one file each), and /boot/loader.conf,
/boot/loader.conf.d/*.conf and /boot/loader.conf.local under DIR/root. Run it as root so
pciconf and acpidump can read everything. DIR must not exist or be empty. Review the files
before you share them: kenv and ps show this host's settings and processes.`,
  options: [],
  args: { min: 1, max: 1 },
  examples: [[
    "Attach a host to a bug report",
    "pptkit snapshot /tmp/host && tar czf host.tgz -C /tmp host",
  ]],
  async run(ctx) {
    const dir = ctx.args[0];
    const host = await ctx.host();
    const existing = await dirEntries(dir);
    if (existing !== null && existing > 0) {
      throw new PptkitError(
        ExitCode.CantCreate,
        `snapshot directory ${dir} is not empty`,
        "name a new directory; pptkit never overwrites a snapshot",
      );
    }
    const captures = new Map<CaptureName, string>();
    const missing: string[] = [];
    for (const name of Object.keys(CAPTURE_COMMANDS) as CaptureName[]) {
      const text = await host.capture(name);
      if (text === null) missing.push(CAPTURE_COMMANDS[name].join(" "));
      else captures.set(name, text);
    }
    const configPath = ctx.global.config ?? "/usr/local/etc/pptkit/pptkit.jsonc";
    const files = await hostFiles(host, [configPath]);
    await writeSnapshot(dir, captures, files);
    if (!ctx.global.quiet) {
      ctx.out.stdout(
        `snapshot of ${host.description} written to ${dir}: ${captures.size} captures, ` +
          `${files.size} host files\n`,
      );
      if (missing.length > 0) {
        ctx.out.stderr(`pptkit: not captured (unavailable here): ${missing.join(", ")}\n`);
      }
    }
    return 0;
  },
};

/** Number of entries in a directory; null when it does not exist. */
async function dirEntries(dir: string): Promise<number | null> {
  const { LiveHost } = await import("../core/host.ts");
  const names = await new LiveHost("/").readDir(dir);
  return names === null ? null : names.length;
}
