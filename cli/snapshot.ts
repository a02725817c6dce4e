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

/**
 * The files VM configs come from: each VM's config, Hoster's host_config.json, vm-bhyve's
 * datastore list, and the `vm_*` lines of rc.conf (only those: rc.conf holds other secrets).
 */
async function vmFiles(host: Host, configPath: string | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const { loadConfig } = await import("../core/config.ts");
  const config = await loadConfig(host, configPath);
  const { loadVmConfigs } = await import("../core/vms/index.ts");
  const { hosterVmDirs } = await import("../core/vms/hoster.ts");
  const { RC_CONF_FILES } = await import("../core/vms/vm_bhyve.ts");
  const scan = await loadVmConfigs(host, config);
  const paths = new Set<string>();
  for (const vm of scan.vms) {
    if (!vm.file.startsWith("/")) continue; // cbsd: a command's output, captured as cbsd-ppt.txt
    paths.add(vm.file);
    if (vm.source === "vm-bhyve") {
      const vmDir = vm.file.slice(0, vm.file.lastIndexOf("/", vm.file.lastIndexOf("/") - 1));
      paths.add(`${vmDir}/.config/system.conf`);
    }
  }
  const hoster = await hosterVmDirs(host, config);
  if (hoster.hostConfig !== null) paths.add(hoster.hostConfig);
  for (const path of paths) {
    const text = await host.readText(path);
    if (text !== null) out.set(path, text);
  }
  for (const path of RC_CONF_FILES) {
    const text = await host.readText(path);
    if (text === null) continue;
    const vmLines = text.split("\n").filter((l) => l.trimStart().startsWith("vm_"));
    if (vmLines.length > 0) out.set(path, vmLines.join("\n") + "\n");
  }
  return out;
}

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
/boot/loader.conf.d/*.conf, /boot/loader.conf.local, pptkit.jsonc and the VM configs pptkit
reads (with the vm_* lines of rc.conf) under DIR/root. Run it as root so pciconf and acpidump
can read everything. DIR must not exist or be empty. Review the files before you share them:
kenv and ps show this host's settings and processes, and VM configs may hold VNC passwords.`,
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
      let text: string | null;
      try {
        text = await host.capture(name);
      } catch (e) {
        // pciconf is the one capture a snapshot cannot do without.
        if (name === "pciconf" || !(e instanceof PptkitError)) throw e;
        text = null;
      }
      if (text === null) missing.push(CAPTURE_COMMANDS[name].join(" "));
      else captures.set(name, text);
    }
    const configPath = ctx.global.config ?? "/usr/local/etc/pptkit/pptkit.jsonc";
    const files = await hostFiles(host, [configPath]);
    for (const [path, text] of await vmFiles(host, ctx.global.config)) files.set(path, text);
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
