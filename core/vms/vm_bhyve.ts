/**
 * vm-bhyve VM configs (churchers/vm-bhyve).
 *
 * A VM is `$vm_dir/NAME/NAME.conf`. `vm_dir` comes from rc.conf (vm-bhyve runs
 * `load_rc_config vm`: /etc/rc.conf, /etc/rc.conf.local, /etc/rc.conf.d/vm,
 * /usr/local/etc/rc.conf.d/vm, last assignment wins) or pptkit.jsonc `vmBhyve.vmDir`. A value
 * `zfs:pool/ds` names a dataset, which vm-bhyve looks up in mount(8) output; pptkit uses
 * `zfsMountpoints` or ZFS's default `/pool/ds`. Extra datastores are listed in
 * `$vm_dir/.config/system.conf` (`datastore_list`, `path_NAME`).
 *
 * Config files are read the way vm-bhyve's `config::load` reads them: only lines that start
 * with a lower-case letter, everything after `#` dropped, trailing blanks dropped, every `"`
 * removed, key = text before the first `=`; the first line with a key wins (`config::get`).
 * Passthru devices are `passthru0`, `passthru1`, ... read until the first missing or empty one
 * (`vm::bhyve_device_passthru`), each `B/S/F` or `B/S/F=S:F` (guest slot:function).
 * `passthruN_options` (`rom=/path,bootindex=1`) is pptkit's own addition: vm-bhyve ignores it,
 * `pptkit plan` adds the options to the device.
 *
 * @module
 */

import { formatBsf } from "../address.ts";
import type { PptkitConfig } from "../config.ts";
import type { Finding } from "../findings.ts";
import type { Host } from "../host/host.ts";
import { joinPath } from "../paths.ts";
import { lines } from "../text.ts";
import {
  checkVmName,
  configFinding,
  datasetMountpoint,
  type DeviceOptions,
  duplicateEntries,
  type Entry,
  isEntry,
  listWhileScanning,
  optionProblem,
  readEntry,
  readWhileScanning,
  type VmConfig,
  type VmScan,
} from "./types.ts";

/** rc.conf files vm-bhyve's `load_rc_config vm` reads, in order. */
export const RC_CONF_FILES: readonly string[] = [
  "/etc/rc.conf",
  "/etc/rc.conf.local",
  "/etc/rc.conf.d/vm",
  "/usr/local/etc/rc.conf.d/vm",
];

/** One `key=value` of a vm-bhyve config, where it was written. */
export interface ConfValue {
  readonly value: string;
  readonly line: number;
}

/** A vm-bhyve config file read the way vm-bhyve reads it. */
export interface VmBhyveConf {
  /** First assignment of each key (vm-bhyve's `config::get` stops at the first). */
  readonly values: ReadonlyMap<string, ConfValue>;
  /** Later assignments of a key that vm-bhyve never reads. */
  readonly shadowed: readonly { key: string; line: number; first: number }[];
  /** Lines that look like a setting but that vm-bhyve cannot read (`key = value`). */
  readonly unreadable: readonly { key: string; line: number }[];
}

function isLowerLetter(code: number): boolean {
  return code >= 97 && code <= 122;
}

/** Reads a vm-bhyve config (VM `.conf` or `.config/system.conf`); see the module comment. */
export function readVmBhyveConf(text: string): VmBhyveConf {
  const values = new Map<string, ConfValue>();
  const shadowed: { key: string; line: number; first: number }[] = [];
  const unreadable: { key: string; line: number }[] = [];
  for (const [n, raw] of lines(text)) {
    if (!isLowerLetter(raw.charCodeAt(0))) continue;
    const hash = raw.indexOf("#");
    let line = hash < 0 ? raw : raw.slice(0, hash);
    let end = line.length;
    while (end > 0 && line.charCodeAt(end - 1) === 32) end--;
    line = line.slice(0, end).replaceAll('"', "");
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    if (key.includes(" ") || key.includes("\t")) {
      unreadable.push({ key: key.trim(), line: n });
      continue;
    }
    const first = values.get(key);
    if (first !== undefined) shadowed.push({ key, line: n, first: first.line });
    else values.set(key, { value: line.slice(eq + 1), line: n });
  }
  return { values, shadowed, unreadable };
}

/** `passthru<digits>` -> the number; null for any other key. */
function passthruIndex(key: string): number | null {
  if (!key.startsWith("passthru") || key.length === 8) return null;
  let n = 0;
  for (let i = 8; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    n = n * 10 + (c - 48);
  }
  return n;
}

function readOptions(
  text: string,
  bsf: string,
  file: string,
  line: number,
  findings: Finding[],
): DeviceOptions {
  const out: Record<string, string> = {};
  for (const pair of text.split(",")) {
    if (pair.length === 0) continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      findings.push(configFinding(
        file,
        line,
        `bad option "${pair}" for ${bsf}: expected name=value like rom=/path/to/rom`,
      ));
      continue;
    }
    const name = pair.slice(0, eq), value = pair.slice(eq + 1);
    const problem = optionProblem(name, value);
    if (problem !== null) findings.push(configFinding(file, line, `${bsf}: ${problem}`));
    else out[name] = value;
  }
  return out;
}

/** Parses a vm-bhyve VM config. Never throws: problems are `vm-config` findings. */
export function parseVmBhyveConfig(text: string, file: string, vm: string): VmConfig {
  const conf = readVmBhyveConf(text);
  const findings: Finding[] = [];
  for (const s of conf.shadowed) {
    if (!s.key.startsWith("passthru")) continue;
    findings.push(configFinding(
      file,
      s.line,
      `${s.key} is set again; vm-bhyve uses the first one (line ${s.first})`,
      `remove line ${s.line}`,
      "warn",
    ));
  }
  for (const u of conf.unreadable) {
    if (!u.key.startsWith("passthru")) continue;
    findings.push(configFinding(
      file,
      u.line,
      `vm-bhyve cannot read "${u.key}": blanks around =`,
      `write ${u.key}="..." with no blanks around =`,
    ));
  }

  const entries: Entry[] = [];
  const options: Record<string, DeviceOptions> = {};
  let count = 0;
  for (;; count++) {
    const setting = conf.values.get(`passthru${count}`);
    // vm-bhyve stops at the first missing or empty passthruN (the sample config ships passthru0="").
    if (setting === undefined || setting.value.length === 0) break;
    const entry = readEntry(setting.value, file, setting.line, "vm-bhyve", {
      split: false,
      pinned: true,
    });
    if (!isEntry(entry)) {
      findings.push(entry);
      continue;
    }
    const opts = conf.values.get(`passthru${count}_options`);
    const bsf = formatBsf(entry.address) ?? setting.value;
    if (opts !== undefined && opts.value.length > 0) {
      const parsed = readOptions(opts.value, bsf, file, opts.line, findings);
      options[bsf] = parsed;
      entries.push({ ...entry, options: parsed });
    } else {
      entries.push(entry);
    }
  }
  for (const [key, setting] of conf.values) {
    const n = passthruIndex(key);
    const ignored = (n !== null && n > count) || (n !== null && key !== `passthru${n}`);
    if (!ignored || setting.value.length === 0) continue;
    findings.push(configFinding(
      file,
      setting.line,
      `${key}="${setting.value}" is ignored: vm-bhyve reads passthru0, passthru1, ... ` +
        `and stops at the first missing one (passthru${count})`,
      `rename it to passthru${count}`,
    ));
  }
  const unique = duplicateEntries(entries, file);
  findings.push(...unique.findings);
  return { vm, source: "vm-bhyve", file, passthru: unique.entries, options, findings };
}

/** `vm_dir` from rc.conf text: the last assignment, with its line; null when not set. */
export function parseRcConfVmDir(text: string): ConfValue | null {
  let found: ConfValue | null = null;
  for (const [n, raw] of lines(text)) {
    const line = raw.trimStart();
    if (!line.startsWith("vm_dir=")) continue;
    const rest = line.slice(7);
    let value: string;
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      const close = rest.indexOf(quote, 1);
      value = close < 0 ? rest.slice(1) : rest.slice(1, close);
    } else {
      let end = 0;
      while (end < rest.length && rest[end] !== " " && rest[end] !== "\t" && rest[end] !== "#") {
        end++;
      }
      value = rest.slice(0, end);
    }
    found = { value, line: n };
  }
  return found;
}

/** A vm-bhyve directory spec (`/path` or `zfs:pool/ds`) as a directory. */
export function resolveVmBhyveDir(
  spec: string,
  zfsMountpoints: Readonly<Record<string, string>>,
): string {
  return spec.startsWith("zfs:") ? datasetMountpoint(spec.slice(4), zfsMountpoints) : spec;
}

/** Where vm-bhyve's VMs are, and what was wrong on the way there. */
export interface VmBhyveLocations {
  /** The default datastore first, then the extra ones of system.conf. */
  readonly dirs: string[];
  /** Where `vm_dir` came from (`/etc/rc.conf:12`, or pptkit.jsonc), null when unset. */
  readonly origin: string | null;
  readonly findings: Finding[];
}

/** Finds vm-bhyve's datastores: `vm_dir` and the `datastore_list` of its system.conf. */
export async function vmBhyveDirs(
  host: Pick<Host, "readText">,
  config: PptkitConfig,
): Promise<VmBhyveLocations> {
  const findings: Finding[] = [];
  let spec: string | null = config.vmBhyve.vmDir;
  let origin: string | null = spec === null ? null : (config.file ?? "pptkit.jsonc");
  if (spec === null) {
    for (const file of RC_CONF_FILES) {
      const text = await readWhileScanning(host, file, findings);
      const found = text === null ? null : parseRcConfVmDir(text);
      if (found !== null) {
        spec = found.value;
        origin = `${file}:${found.line}`;
      }
    }
  }
  if (spec === null || spec.length === 0) return { dirs: [], origin: null, findings };
  if (spec.includes("$")) {
    findings.push({
      level: "warn",
      code: "vm-config",
      message: `${origin}: vm_dir="${spec}" uses a shell variable that pptkit does not expand`,
      fix: 'set "vmBhyve": {"vmDir": "/path"} in pptkit.jsonc',
    });
    return { dirs: [], origin, findings };
  }
  const vmDir = resolveVmBhyveDir(spec, config.zfsMountpoints);
  const dirs = [vmDir];
  const systemConf = joinPath(vmDir, ".config/system.conf");
  const text = await readWhileScanning(host, systemConf, findings);
  if (text !== null) {
    const conf = readVmBhyveConf(text);
    const list = conf.values.get("datastore_list")?.value ?? "";
    for (const name of list.split(" ")) {
      if (name.length === 0 || name === "default") continue;
      const path = conf.values.get(`path_${name}`)?.value ?? "";
      // iso: and img: datastores hold install media, not VMs.
      if (path.length === 0 || path.startsWith("iso:") || path.startsWith("img:")) continue;
      dirs.push(resolveVmBhyveDir(path, config.zfsMountpoints));
    }
  }
  return { dirs, origin, findings };
}

function vmConfPath(dir: string, vm: string): string {
  return joinPath(joinPath(dir, vm), `${vm}.conf`);
}

/** Reads one vm-bhyve VM (first datastore that has it, as vm-bhyve looks); null when none. */
export async function readVmBhyveVm(
  host: Pick<Host, "readText">,
  config: PptkitConfig,
  vm: string,
): Promise<VmConfig | null> {
  checkVmName(vm);
  const where = await vmBhyveDirs(host, config);
  for (const dir of where.dirs) {
    const file = vmConfPath(dir, vm);
    const text = await host.readText(file);
    if (text !== null) return parseVmBhyveConfig(text, file, vm);
  }
  return null;
}

/** Reads every vm-bhyve VM. `found` says whether a `vm_dir` is configured. */
export async function readVmBhyveVms(
  host: Pick<Host, "readText" | "readDir">,
  config: PptkitConfig,
): Promise<VmScan & { found: boolean }> {
  const where = await vmBhyveDirs(host, config);
  const findings = [...where.findings];
  const vms: VmConfig[] = [];
  for (const dir of where.dirs) {
    const names = await listWhileScanning(host, dir, findings);
    if (names === null) {
      findings.push({
        level: "warn",
        code: "vm-config",
        message: `vm-bhyve directory ${dir} does not exist` +
          (where.origin === null ? "" : ` (vm_dir from ${where.origin})`),
        fix: "set zfsMountpoints or vmBhyve.vmDir in pptkit.jsonc to where the VMs are",
      });
      continue;
    }
    for (const name of names) {
      // .config, .templates, .iso and .img are vm-bhyve's own.
      if (name.startsWith(".")) continue;
      const file = vmConfPath(dir, name);
      const text = await readWhileScanning(host, file, findings);
      if (text !== null) vms.push(parseVmBhyveConfig(text, file, name));
    }
  }
  return { vms, findings, found: where.origin !== null };
}
