/**
 * Hoster VM configs (yaroslav-gwit/HosterCore @4f3b5d8).
 *
 * Where Hoster keeps VMs, as HosterCore finds them (`ListAllSimple`): its host config
 * `host_config.json` (the first found in `GetConfigFolders`: /opt/hoster-core/config_files,
 * /opt/hoster/config_files, /usr/local/etc/hoster (since 8216d7d, February 2024; the releases of
 * the month before looked at /usr/local/hoster, still searched), /etc/hoster,
 * /root/hoster/config_files) lists `active_datasets`; every directory under a dataset's
 * mountpoint that holds a `vm_config.json` is a VM named after the directory. Hoster asks
 * `zfs list` for mountpoints; pptkit runs no zfs(8), so it uses pptkit.jsonc `zfsMountpoints`
 * (an ancestor's entry too) or ZFS's default (`/<dataset>`). pptkit.jsonc `hoster.datasets`
 * replaces `active_datasets`, and `hoster.vmDirs` names the directories outright.
 *
 * Hoster reads both files with Go's encoding/json (`GetVmConfig`), and so does this reader:
 * strict JSON (a comment or a trailing comma stops Hoster too); keys matched to fields
 * case-insensitively (`PassThru`, `DISKS`; Unicode simple folding), the last of duplicate keys
 * winning, unknown keys ignored, `null` as absent; a value of the wrong type makes the whole
 * file unreadable to Hoster (its VM does not exist for `hoster vm start`), except what
 * `FixVmConfig` rescues (`cpu_sockets`, `cpu_cores`, `cpu_threads`, `vnc_port` as strings, and
 * whole numbers written as floats). `passthru` is an array of strings, `B/S/F` or `-B/S/F` (own
 * guest slot); Hoster has no pinned form and no per-device options. The NICs, disks, 9p shares
 * and VNC settings decide where Hoster puts the devices (core/slots/wrappers/hoster.ts).
 *
 * A VM whose `parent_host` is not this host's name is a replica: Hoster does not start it here
 * (`ListJsonApi`: exact comparison with `kern.hostname`), so it holds no device. pptkit takes
 * the host name from rc.conf `hostname` (read as sh); without one every VM counts as active.
 *
 * @module
 */

import type { PptkitConfig } from "../config.ts";
import type { Finding } from "../findings.ts";
import type { Host } from "../host/host.ts";
import {
  describeNode,
  isSyntaxError,
  type JsonDoc,
  type JsonNode,
  parseJsonDoc,
  properties,
} from "../jsonc.ts";
import { joinPath } from "../paths.ts";
import type { HosterDisk, HosterGuest, HosterNic, HosterShare } from "./guest.ts";
import { readRcConf } from "./sh.ts";
import {
  checkVmName,
  configFinding,
  datasetMountpoint,
  duplicateEntries,
  type Entry,
  isEntry,
  listWhileScanning,
  misspelledPassthru,
  passthruNotArray,
  passthruTypo,
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
  const list = doc.root.type === "object" ? field(doc.root, "active_datasets") : undefined;
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

/** Go's key folding (Unicode simple folding: `K` Kelvin sign is k, `ſ` is s). */
function fold(key: string): string {
  return key.toLowerCase().replaceAll("\u017f", "s");
}

/** Every value node Go's decoder would store into `name` of an object, in document order. */
function fieldNodes(node: JsonNode, name: string): JsonNode[] {
  const want = fold(name);
  return properties(node).filter(([k]) => k === name || fold(k) === want).map(([, , v]) => v);
}

/** The value Go's decoder leaves in field `name`: the last matching key's (null: absent). */
function field(node: JsonNode, name: string): JsonNode | undefined {
  const all = fieldNodes(node, name);
  const last = all[all.length - 1];
  return last === undefined || last.type === "null" ? undefined : last;
}

type FieldType = "bool" | "int" | "string" | "strings" | { readonly objects: Schema };
type Schema = Readonly<Record<string, FieldType>>;

const NETWORK: Schema = {
  network_adaptor_type: "string",
  network_bridge: "string",
  network_mac: "string",
  ip_address: "string",
  comment: "string",
};
const DISK: Schema = {
  disk_type: "string",
  disk_location: "string",
  disk_image: "string",
  disk_input_size: "int",
  comment: "string",
  total_bytes: "int",
  total_human: "string",
  used_bytes: "int",
  used_human: "string",
};
const SSH_KEY: Schema = { key_owner: "string", key_value: "string", comment: "string" };
const SHARE: Schema = { share_name: "string", share_location: "string", read_only: "bool" };
/** HosterCore `VmConfig` (internal/pkg/hoster/vm/utils/get_config.go): every field and its type. */
const VM_CONFIG: Schema = {
  production: "bool",
  ignore_host_clock: "bool",
  include_host_ssh_keys: "bool",
  disable_xhci: "bool",
  cpu_sockets: "int",
  cpu_cores: "int",
  cpu_threads: "int",
  vnc_resolution: "int",
  vnc_port: "int",
  vnc_password: "string",
  memory: "string",
  loader: "string",
  os_type: "string",
  os_comment: "string",
  owner: "string",
  parent_host: "string",
  failover_strategy: "string",
  vga: "string",
  uuid: "string",
  description: "string",
  dns_search_domain: "string",
  networks: { objects: NETWORK },
  disks: { objects: DISK },
  vm_ssh_keys: { objects: SSH_KEY },
  tags: "strings",
  passthru: "strings",
  "9p_shares": { objects: SHARE },
  custom_options: "strings",
};
/** The string fields `FixVmConfig` turns into numbers (exact lower-case keys only). */
const RESCUED_STRINGS = new Set(["cpu_sockets", "cpu_cores", "cpu_threads", "vnc_port"]);

/** Why Go's decoder refuses a value, or null; `rescue` applies `FixVmConfig`'s second chance. */
function typeError(
  node: JsonNode,
  type: FieldType,
  key: string,
  rescue: boolean,
): { node: JsonNode; message: string } | null {
  if (node.type === "null") return null;
  const wrong = (what: string) => ({
    node,
    message: `"${key}" must be ${what}, not ${describeNode(node)}`,
  });
  switch (type) {
    case "bool":
      return node.type === "boolean" ? null : wrong("true or false");
    case "string":
      return node.type === "string" ? null : wrong("a string");
    case "int": {
      if (node.type === "number") {
        const n = Number(node.value);
        if (Number.isInteger(n) && (rescue || /^-?\d+$/.test(String(node.value)))) return null;
        return wrong("a whole number");
      }
      if (rescue && node.type === "string" && RESCUED_STRINGS.has(key)) {
        return /^[+-]?\d+$/.test(String(node.value)) ? null : wrong("a number");
      }
      return wrong("a number");
    }
    case "strings": {
      if (node.type !== "array") return wrong("an array of strings");
      const bad = (node.children ?? []).find((c) => c.type !== "string" && c.type !== "null");
      return bad === undefined ? null : {
        node: bad,
        message: `"${key}" entries must be strings, not ${describeNode(bad)}`,
      };
    }
    default: {
      if (node.type !== "array") return wrong("an array of objects");
      for (const item of node.children ?? []) {
        if (item.type === "null") continue;
        if (item.type !== "object") return wrong("an array of objects");
        const inner = schemaError(item, type.objects, rescue);
        if (inner !== null) return inner;
      }
      return null;
    }
  }
}

function schemaError(
  node: JsonNode,
  schema: Schema,
  rescue: boolean,
): { node: JsonNode; message: string } | null {
  for (const [key, , value] of properties(node)) {
    const name = Object.keys(schema).find((f) => f === key || fold(f) === fold(key));
    if (name === undefined) continue;
    // FixVmConfig converts only the exact lower-case keys.
    const error = typeError(value, schema[name], key === name ? name : key, rescue);
    if (error !== null) return error;
  }
  return null;
}

/** The text of a string field (folded key, last wins), `fallback` when absent. */
function textOf(node: JsonNode, name: string, fallback = ""): string {
  const v = field(node, name);
  return v?.type === "string" ? String(v.value) : fallback;
}

function number(node: JsonNode, name: string): number {
  const v = field(node, name);
  const n = v === undefined ? 0 : Number(v.value);
  return Number.isFinite(n) ? n : 0;
}

function objects(doc: JsonDoc, node: JsonNode, name: string): [JsonNode, number][] {
  const list = field(node, name);
  return (list?.children ?? []).filter((c) => c.type === "object")
    .map((c) => [c, doc.lineOf(c.offset)]);
}

/** What decides Hoster's layout of the VM (only for a config Hoster can read). */
function hosterGuest(doc: JsonDoc, root: JsonNode, file: string): HosterGuest {
  const networks: HosterNic[] = objects(doc, root, "networks").map(([n, line]) => ({
    type: textOf(n, "network_adaptor_type"),
    bridge: textOf(n, "network_bridge"),
    mac: textOf(n, "network_mac"),
    line,
  }));
  const disks: HosterDisk[] = objects(doc, root, "disks").map(([d, line]) => ({
    type: textOf(d, "disk_type"),
    location: textOf(d, "disk_location"),
    image: textOf(d, "disk_image"),
    line,
  }));
  const shares: HosterShare[] = objects(doc, root, "9p_shares").map(([d, line]) => ({
    name: textOf(d, "share_name"),
    location: textOf(d, "share_location"),
    readOnly: field(d, "read_only")?.value === true,
    line,
  }));
  const list = field(root, "passthru");
  return {
    kind: "hoster",
    location: file.slice(0, file.lastIndexOf("/")),
    networks,
    disks,
    shares,
    passthru: (list?.children ?? []).flatMap((c) =>
      c.type === "string" ? [{ text: String(c.value), line: doc.lineOf(c.offset) }] : []
    ),
    loader: textOf(root, "loader"),
    disableXhci: field(root, "disable_xhci")?.value === true,
    vncPort: number(root, "vnc_port"),
    vncResolution: number(root, "vnc_resolution"),
    vga: textOf(root, "vga"),
    parentHost: textOf(root, "parent_host"),
  };
}

/**
 * Parses a Hoster `vm_config.json`. Never throws: problems are `vm-config` findings. With the
 * host's name, a VM whose `parent_host` differs is marked `inactive` (a replica).
 */
export function parseHosterVmConfig(
  text: string,
  file: string,
  vm: string,
  hostname: string | null = null,
): VmConfig {
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
  const list = field(doc.root, "passthru");
  // Go matches keys case-insensitively ("PassThru" is passthru) and ignores unknown ones: a
  // misspelled "pasthru" would leave the VM without its devices.
  for (const [key, keyNode] of properties(doc.root)) {
    if (!misspelledPassthru(key, (k) => fold(k) === "passthru")) continue;
    findings.push(
      passthruTypo(file, doc.lineOf(keyNode.offset), key, "passthru", list !== undefined),
    );
  }
  const entries: Entry[] = [];
  if (list === undefined) {
    // Hoster writes "passthru" only when set (omitempty).
  } else if (list.type !== "array") {
    findings.push(passthruNotArray(file, doc.lineOf(list.offset), describeNode(list), list.value));
  } else {
    for (const [order, item] of (list.children ?? []).entries()) {
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
      if (isEntry(entry)) entries.push({ ...entry, order });
      else findings.push(entry);
    }
  }
  const unique = duplicateEntries(entries, file);
  findings.push(...unique.findings);
  // A type error anywhere hides the VM from Hoster; passthru's own are reported above.
  const refused = schemaError(doc.root, VM_CONFIG, false) === null
    ? null
    : schemaError(doc.root, VM_CONFIG, true);
  if (refused !== null && findings.every((f) => f.level !== "error")) {
    findings.push(configFinding(
      file,
      doc.lineOf(refused.node.offset),
      `Hoster cannot read this config: ${refused.message}`,
      "fix the value: until then hoster vm start says the VM does not exist",
    ));
  }
  // Hoster itself skips a malformed entry and starts the VM; a type error stops it reading.
  const readable = refused === null;
  const parent = textOf(doc.root, "parent_host");
  const replica = hostname !== null && parent !== hostname;
  return {
    ...base,
    passthru: unique.entries,
    findings,
    ...(readable ? { guest: hosterGuest(doc, doc.root, file) } : {}),
    ...(replica
      ? {
        inactive: `a replica: its parent_host is "${parent}", this host is "${hostname}", ` +
          "and Hoster starts it on its parent only",
      }
      : {}),
  };
}

/** This host's name as Hoster compares it (kern.hostname, from rc.conf `hostname`), or null. */
export async function hostName(host: Pick<Host, "readText">): Promise<string | null> {
  const found = await readRcConf(
    (path) => host.readText(path).catch(() => null),
    ["/etc/rc.conf", "/etc/rc.conf.local"],
    "hostname",
  );
  const name = found === null || found.expands ? "" : found.value.trim();
  return name === "" ? null : name;
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
  const hostname = await hostName(host);
  for (const dir of where.dirs) {
    const file = joinPath(joinPath(dir, vm), HOSTER_VM_CONFIG);
    const text = await host.readText(file);
    if (text !== null) return parseHosterVmConfig(text, file, vm, hostname);
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
  const hostname = where.dirs.length === 0 ? null : await hostName(host);
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
      if (text !== null) vms.push(parseHosterVmConfig(text, file, name, hostname));
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
