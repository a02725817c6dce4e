/**
 * Hoster VM configs (yaroslav-gwit/HosterCore).
 *
 * Where Hoster keeps VMs, as HosterCore finds them (`ListAllSimple`): its host config
 * `host_config.json` (the first found in `GetConfigFolders`: /opt/hoster-core/config_files,
 * /opt/hoster/config_files, /usr/local/hoster, /etc/hoster, /root/hoster/config_files) lists
 * `active_datasets`; every directory under a dataset's mountpoint that holds a `vm_config.json`
 * is a VM named after the directory. Hoster asks `zfs list` for mountpoints; pptkit runs no
 * zfs(8), so it uses pptkit.jsonc `zfsMountpoints` or ZFS's default (`/<dataset>`).
 * pptkit.jsonc `hoster.datasets` replaces `active_datasets`, and `hoster.vmDirs` names the
 * directories outright.
 *
 * Hoster reads both files with Go's encoding/json, so they are strict JSON: a comment or a
 * trailing comma stops Hoster too, and is reported here. `passthru` is an array of strings, `B/S/F`
 * or `-B/S/F` (own guest slot); Hoster has no pinned form and no per-device options.
 *
 * @module
 */

import type { PptkitConfig } from "../config.ts";
import type { Finding } from "../findings.ts";
import type { Host } from "../host/host.ts";
import { describeNode, isSyntaxError, parseJsonDoc, property } from "../jsonc.ts";
import { joinPath } from "../paths.ts";
import {
  checkVmName,
  configFinding,
  datasetMountpoint,
  duplicateEntries,
  type Entry,
  isEntry,
  listWhileScanning,
  passthruNotArray,
  readEntry,
  readWhileScanning,
  type VmConfig,
  type VmScan,
} from "./types.ts";

/** The file name of a Hoster VM config inside the VM's directory. */
export const HOSTER_VM_CONFIG = "vm_config.json";
/** The file name of Hoster's host config. */
export const HOSTER_HOST_CONFIG = "host_config.json";

/**
 * Parses Hoster's `host_config.json` for its `active_datasets`. Problems are `vm-config`
 * findings naming the file and line.
 */
export function parseHosterHostConfig(
  text: string,
  file: string,
): { datasets: string[]; findings: Finding[] } {
  const doc = parseJsonDoc(text, file, true);
  if (isSyntaxError(doc)) {
    return {
      datasets: [],
      findings: [configFinding(file, doc.line, `bad JSON: ${doc.message}`)],
    };
  }
  const list = doc.root.type === "object" ? property(doc.root, "active_datasets") : undefined;
  if (list === undefined) {
    return {
      datasets: [],
      findings: [configFinding(
        file,
        doc.lineOf(doc.root.offset),
        `no "active_datasets" array: pptkit cannot find Hoster's VMs`,
        'add "active_datasets": ["zroot/vm-encrypted"], or set hoster.datasets in pptkit.jsonc',
        "warn",
      )],
    };
  }
  if (list.type !== "array") {
    return {
      datasets: [],
      findings: [configFinding(
        file,
        doc.lineOf(list.offset),
        `"active_datasets" must be an array of dataset names, not ${describeNode(list)}`,
      )],
    };
  }
  const datasets: string[] = [];
  const findings: Finding[] = [];
  for (const item of list.children ?? []) {
    if (item.type === "string" && String(item.value).length > 0) datasets.push(item.value);
    else {
      findings.push(configFinding(
        file,
        doc.lineOf(item.offset),
        `"active_datasets" entries must be dataset names like "zroot/vm", not ${
          describeNode(item)
        }`,
      ));
    }
  }
  return { datasets, findings };
}

/** Parses a Hoster `vm_config.json`. Never throws: problems are `vm-config` findings. */
export function parseHosterVmConfig(text: string, file: string, vm: string): VmConfig {
  const findings: Finding[] = [];
  const base = { vm, source: "hoster" as const, file, options: {} };
  const doc = parseJsonDoc(text, file, true);
  if (isSyntaxError(doc)) {
    findings.push(configFinding(
      file,
      doc.line,
      `bad JSON: ${doc.message}`,
      "Hoster reads strict JSON: no comments, no trailing commas",
    ));
    return { ...base, passthru: [], findings };
  }
  if (doc.root.type !== "object") {
    findings.push(configFinding(
      file,
      doc.lineOf(doc.root.offset),
      `expected a JSON object, found ${describeNode(doc.root)}`,
    ));
    return { ...base, passthru: [], findings };
  }
  const list = property(doc.root, "passthru");
  const entries: Entry[] = [];
  if (list === undefined || list.type === "null") {
    // Hoster writes "passthru" only when set (omitempty).
  } else if (list.type !== "array") {
    findings.push(passthruNotArray(file, doc.lineOf(list.offset), describeNode(list), list.value));
  } else {
    for (const item of list.children ?? []) {
      const line = doc.lineOf(item.offset);
      if (item.type !== "string") {
        findings.push(configFinding(
          file,
          line,
          `passthru entries must be strings like "1/0/0", not ${describeNode(item)}`,
        ));
        continue;
      }
      const entry = readEntry(String(item.value), file, line, "Hoster", {
        split: true,
        pinned: false,
      });
      if (isEntry(entry)) entries.push(entry);
      else findings.push(entry);
    }
  }
  const unique = duplicateEntries(entries, file);
  findings.push(...unique.findings);
  return { ...base, passthru: unique.entries, findings };
}

/** Where Hoster's VMs are, and what was wrong on the way there. */
export interface HosterLocations {
  /** Directories holding one sub-directory per VM. */
  readonly dirs: string[];
  /** The host_config.json that was read, or null. */
  readonly hostConfig: string | null;
  readonly findings: Finding[];
}

/** Finds the directories that hold Hoster VMs (see the module comment for the order). */
export async function hosterVmDirs(
  host: Pick<Host, "readText">,
  config: PptkitConfig,
): Promise<HosterLocations> {
  if (config.hoster.vmDirs !== null) {
    return { dirs: [...config.hoster.vmDirs], hostConfig: null, findings: [] };
  }
  const mount = (ds: string) => datasetMountpoint(ds, config.zfsMountpoints);
  if (config.hoster.datasets !== null) {
    return { dirs: config.hoster.datasets.map(mount), hostConfig: null, findings: [] };
  }
  for (const dir of config.hoster.configDirs) {
    const file = joinPath(dir, HOSTER_HOST_CONFIG);
    const text = await host.readText(file);
    if (text === null) continue;
    const parsed = parseHosterHostConfig(text, file);
    return { dirs: parsed.datasets.map(mount), hostConfig: file, findings: parsed.findings };
  }
  return { dirs: [], hostConfig: null, findings: [] };
}

/** Reads one Hoster VM; null when no VM directory holds it. */
export async function readHosterVm(
  host: Pick<Host, "readText">,
  config: PptkitConfig,
  vm: string,
): Promise<VmConfig | null> {
  checkVmName(vm);
  const where = await hosterVmDirs(host, config);
  for (const dir of where.dirs) {
    const file = joinPath(joinPath(dir, vm), HOSTER_VM_CONFIG);
    const text = await host.readText(file);
    if (text !== null) return parseHosterVmConfig(text, file, vm);
  }
  return null;
}

/** Reads every Hoster VM. `found` says whether Hoster seems to be installed at all. */
export async function readHosterVms(
  host: Pick<Host, "readText" | "readDir">,
  config: PptkitConfig,
): Promise<VmScan & { found: boolean; searched: string[] }> {
  const where = await hosterVmDirs(host, config);
  const vms: VmConfig[] = [];
  const findings = [...where.findings];
  for (const dir of where.dirs) {
    const names = await listWhileScanning(host, dir, findings);
    if (names === null) {
      findings.push(configFinding(
        where.hostConfig ?? "pptkit.jsonc",
        undefined,
        `Hoster VM directory ${dir} does not exist`,
        "set zfsMountpoints (or hoster.vmDirs) in pptkit.jsonc to where the dataset is mounted",
        "warn",
      ));
      continue;
    }
    for (const name of names) {
      if (name.startsWith(".")) continue;
      const file = joinPath(joinPath(dir, name), HOSTER_VM_CONFIG);
      const text = await readWhileScanning(host, file, findings);
      if (text !== null) vms.push(parseHosterVmConfig(text, file, name));
    }
  }
  const searched = config.hoster.vmDirs ?? config.hoster.configDirs;
  return {
    vms,
    findings,
    found: where.hostConfig !== null || config.hoster.vmDirs !== null ||
      config.hoster.datasets !== null,
    searched: [...searched],
  };
}
