/**
 * `snapshot DIR`: freeze this host into a snapshot directory (DESIGN §5): one file per capture
 * (CBSD's bhyveppt table too, `cbsd-bhyveppt.txt`: what sqlite3 printed for it), and under
 * `root/` the loader files the loader reads (core/loader/order.ts decides which), pptkit.jsonc,
 * and the VM configs pptkit reads: CBSD's per-VM bhyve.conf without its VNC password,
 * vm-bhyve's lib/vm-run (which fork runs), and of rc.conf only the settings pptkit reads
 * (`vm_*`, `cbsd_workdir`, `hostname`: rc.conf holds other secrets).
 *
 * @module
 */

import type { PptkitConfig } from "../core/config.ts";
import { PptkitError } from "../core/errors.ts";
import { CAPTURE_COMMANDS, type CaptureName, type Host } from "../core/host/host.ts";
import { writeSnapshot } from "../core/host/snapshot.ts";
import { releaseOf } from "../core/inventory.ts";
import { DEFAULT_CONFIG_FILE } from "../core/paths.ts";
import { cbsdWorkdir } from "../core/vms/cbsd.ts";
import { hosterVmDirs } from "../core/vms/hoster.ts";
import { loadVmConfigs } from "../core/vms/index.ts";
import { readShAssignments } from "../core/vms/sh.ts";
import { RC_CONF_FILES, VM_BHYVE_RUN } from "../core/vms/vm_bhyve.ts";
import { readLoaderFiles, readLoaderText } from "./host_state.ts";

/** What a snapshot holds. */
export interface SnapshotResult {
  readonly captures: number;
  readonly files: number;
  /** The commands that could not be run here. */
  readonly missing: readonly string[];
}

/** Each VM's config, Hoster's host_config.json, vm-bhyve's datastore list, rc.conf's vm_ lines. */
async function vmFiles(host: Host, config: PptkitConfig): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const scan = await loadVmConfigs(host, config);
  const paths = new Set<string>();
  const secret = new Set<string>();
  for (const vm of scan.vms) {
    if (vm.guest?.kind === "cbsd" && vm.guest.lastStart !== null) {
      paths.add(vm.guest.lastStart.file);
      secret.add(vm.guest.lastStart.file);
    }
    // cbsd: the table or the listing, captured as cbsd-bhyveppt.txt and cbsd-ppt.txt.
    if (!vm.file.startsWith("/")) continue;
    paths.add(vm.file);
    if (vm.source === "vm-bhyve") {
      const vmDir = vm.file.slice(0, vm.file.lastIndexOf("/", vm.file.lastIndexOf("/") - 1));
      paths.add(`${vmDir}/.config/system.conf`);
      paths.add(VM_BHYVE_RUN);
    }
  }
  const hoster = await hosterVmDirs(host, config);
  if (hoster.hostConfig !== null) paths.add(hoster.hostConfig);
  for (const path of paths) {
    const text = await host.readText(path).catch(() => null);
    if (text !== null) out.set(path, secret.has(path) ? withoutPasswords(text) : text);
  }
  for (const path of RC_CONF_FILES) {
    const text = await host.readText(path);
    if (text === null) continue;
    const kept = readShAssignments(text).filter((a) =>
      a.name.startsWith("vm_") || a.name === "cbsd_workdir" || a.name === "hostname"
    ).map((a) => `${a.name}="${a.value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`);
    if (kept.length > 0) out.set(path, kept.join("\n") + "\n");
  }
  return out;
}

/** A CBSD bhyve.conf with the value of `vnc_password` (and any `password=`) taken out. */
function withoutPasswords(text: string): string {
  return text.split("\n").map((line) =>
    line.startsWith("vnc_password=")
      ? 'vnc_password=""'
      : line.replace(/password=[^,'" ]*/g, "password=")
  ).join("\n");
}

/** Captures the host into `dir`, which must not exist (core/host/snapshot.ts makes it). */
export async function takeSnapshot(
  host: Host,
  config: PptkitConfig,
  dir: string,
): Promise<SnapshotResult> {
  const captures = new Map<CaptureName, string>();
  const missing: string[] = [];
  // CBSD's database is a file of the host: it lives in cbsd_workdir.
  const db = `${(await cbsdWorkdir(host)).workdir}/var/db/local.sqlite`;
  for (const name of Object.keys(CAPTURE_COMMANDS) as CaptureName[]) {
    let text: string | null;
    try {
      text = await host.capture(name, name === "cbsd-bhyveppt" ? db : undefined);
    } catch (e) {
      // pciconf is the one capture a snapshot cannot do without.
      if (name === "pciconf" || !(e instanceof PptkitError)) throw e;
      text = null;
    }
    if (text === null) {
      missing.push(
        name === "cbsd-bhyveppt" ? `sqlite3 ${db} (bhyveppt)` : CAPTURE_COMMANDS[name].join(" "),
      );
    } else captures.set(name, text);
  }
  const files = new Map<string, string>();
  const uname = captures.get("uname") ?? null;
  const loader = await readLoaderFiles(host, releaseOf(uname));
  for (const path of loader.order.files) {
    // Byte for byte, a UTF-8 byte order mark included.
    const text = await readLoaderText(host, path);
    if (text !== null) files.set(path, text);
  }
  const configPath = config.file ?? DEFAULT_CONFIG_FILE;
  const configText = await host.readText(configPath);
  if (configText !== null) files.set(configPath, configText);
  for (const [path, text] of await vmFiles(host, config)) files.set(path, text);
  await writeSnapshot(dir, captures, files);
  return { captures: captures.size, files: files.size, missing };
}
