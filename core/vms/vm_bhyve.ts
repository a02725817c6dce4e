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
 * rc.conf is read as sh reads it (core/vms/sh.ts): several assignments on a line, `;`,
 * `export`, quotes. The ZFS mountpoint of `zfs:pool/ds` comes from `zfsMountpoints` (its own
 * entry or an ancestor's) or ZFS's default, and the guest's layout says which.
 *
 * Config files are read the way vm-bhyve's `config::load` reads them: only lines that start
 * with a lower-case letter, everything after `#` dropped (inside quotes too), trailing spaces
 * dropped (not tabs), every `"` removed, key = text before the first `=`; the first line with a
 * key wins (`config::get`). Passthru devices are `passthru0`, `passthru1`, ... read until the
 * first missing or empty one (`vm::bhyve_device_passthru`); vm-bhyve passes each to bhyve as
 * written, so pptkit accepts what bhyve's `passthru_legacy_config` reads: `B/S/F`, `pptN`
 * (resolved against the host's devices later), `pci0:B:S:F` and `pciB:S:F`, each optionally
 * pinned `=S:F`; a blank or tab around it is dropped by the shell. `passthruN_options`
 * (`rom=/path,bootindex=1`) is read by freebsd/vm-bhyve since e61c1d7 (2025-09) and ignored by
 * churchers/vm-bhyve; pptkit tells which one the host runs from `/usr/local/lib/vm-bhyve/vm-run`
 * when it can read it.
 *
 * @module
 */

import { type AddressToken, formatBsf, type GuestPin, tryParseAddress } from "../address.ts";
import type { PptkitConfig } from "../config.ts";
import type { Finding } from "../findings.ts";
import type { Host } from "../host/host.ts";
import { joinPath } from "../paths.ts";
import { lines } from "../text.ts";
import type { ConfValue, VmBhyveFork, VmBhyveGuest } from "./guest.ts";
import { lastAssignment, readRcConf, readShAssignments } from "./sh.ts";
import {
  checkVmName,
  configFinding,
  type DeviceOptions,
  duplicateEntries,
  type Entry,
  listWhileScanning,
  misspelledPassthru,
  type NamedEntry,
  optionProblem,
  passthruTypo,
  readEntry,
  readWhileScanning,
  resolveMountpoint,
  type VmConfig,
  type VmScan,
} from "./types.ts";

export type { ConfValue };

/** rc.conf files vm-bhyve's `load_rc_config vm` reads, in order. */
export const RC_CONF_FILES: readonly string[] = [
  "/etc/rc.conf",
  "/etc/rc.conf.local",
  "/etc/rc.conf.d/vm",
  "/usr/local/etc/rc.conf.d/vm",
];

/** A vm-bhyve config file read the way vm-bhyve reads it. */
export interface VmBhyveConf {
  /** First assignment of each key (vm-bhyve's `config::get` stops at the first). */
  readonly values: ReadonlyMap<string, ConfValue>;
  /** Later assignments of a key that vm-bhyve never reads. */
  readonly shadowed: readonly { key: string; line: number; first: number }[];
  /** Lines that look like a setting but that vm-bhyve cannot read (`key = value`). */
  readonly unreadable: readonly { key: string; line: number }[];
  /** Settings vm-bhyve skips because they start with a capital letter (`Passthru0=...`). */
  readonly capitalized: readonly { key: string; value: string; line: number }[];
}

function isLowerLetter(code: number): boolean {
  return code >= 97 && code <= 122;
}

/** Reads a vm-bhyve config (VM `.conf` or `.config/system.conf`); see the module comment. */
export function readVmBhyveConf(text: string): VmBhyveConf {
  const values = new Map<string, ConfValue>();
  const shadowed: { key: string; line: number; first: number }[] = [];
  const unreadable: { key: string; line: number }[] = [];
  const capitalized: { key: string; value: string; line: number }[] = [];
  for (const [n, raw] of lines(text)) {
    if (!isLowerLetter(raw.charCodeAt(0))) {
      const first = raw.charCodeAt(0);
      const eq = raw.indexOf("=");
      if (first >= 65 && first <= 90 && eq > 0) {
        const value = raw.slice(eq + 1).replaceAll('"', "").trim();
        capitalized.push({ key: raw.slice(0, eq), value, line: n });
      }
      continue;
    }
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
  return { values, shadowed, unreadable, capitalized };
}

/**
 * The `passthruN` a key was meant to be, for a key vm-bhyve does not read as one: `pasthru0`,
 * `passtrhu1`, `passthru_0`, `Passthru0`, `passthru` (no N: `next`); null for any other key.
 */
function meantPassthru(key: string, next: number): string | null {
  if (passthruIndex(key) !== null) return null;
  let end = key.length;
  while (end > 0 && key.charCodeAt(end - 1) >= 48 && key.charCodeAt(end - 1) <= 57) end--;
  // vm-bhyve has no key "passthru" itself: without its N it is a misspelling too.
  if (!misspelledPassthru(key.slice(0, end), () => false)) return null;
  return `passthru${end < key.length ? Number(key.slice(end)) : next}`;
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

/** `S:F` of a pin (the text after the last `=`), or null when it is not one. */
function readPin(text: string): GuestPin | null {
  const colon = text.indexOf(":");
  if (colon <= 0) return null;
  const slot = text.slice(0, colon), fn = text.slice(colon + 1);
  if (!/^\d{1,2}$/.test(slot) || !/^\d$/.test(fn)) return null;
  const pin = { slot: Number(slot), function: Number(fn) };
  return pin.slot <= 31 && pin.function <= 7 ? pin : null;
}

/**
 * One `passthruN` value as bhyve will read it: B/S/F (pptkit's own reader, which also says what
 * is wrong with a split or a bad pin), else `pptN` or `pci0:B:S:F` / `pciB:S:F`.
 */
function readPassthru(
  value: string,
  file: string,
  line: number,
): Entry | Omit<NamedEntry, "options" | "order"> | Finding {
  const text = value.trim();
  const eq = text.indexOf("=");
  const device = eq < 0 ? text : text.slice(0, eq);
  const first = device.charCodeAt(0);
  if ((first >= 48 && first <= 57) || device.startsWith("-")) {
    return readEntry(text, file, line, "vm-bhyve", { split: false, pinned: true });
  }
  let pin: GuestPin | null = null;
  if (eq >= 0) {
    pin = readPin(text.slice(text.lastIndexOf("=") + 1));
    if (pin === null) {
      return configFinding(
        file,
        line,
        `bad pin in "${text}": expected a guest slot:function after = like ppt0=6:0`,
      );
    }
  }
  const token = tryParseAddress(device, "any");
  const pinned = (t: AddressToken): AddressToken => ({ ...t, text, pin });
  if (token?.spelling === "selector" && token.address !== null) {
    if (token.address.domain !== 0) {
      const { bus, slot, function: fn } = token.address;
      return configFinding(
        file,
        line,
        `bhyve reads "${device}" as bus ${token.address.domain}, slot ${bus}, function ${slot}: ` +
          "its passthru takes no PCI domain, and only domain 0 works",
        `write ${bus}/${slot}/${fn}`,
      );
    }
    return { token: pinned(token), address: token.address, line, options: {} };
  }
  if (token?.spelling === "name" && device.startsWith("ppt")) {
    return { token: pinned(token), line };
  }
  if (device.startsWith("'")) {
    return configFinding(
      file,
      line,
      `vm-bhyve keeps single quotes: bhyve gets "${device}", which is no device`,
      `write the value in double quotes: "${device.replaceAll("'", "")}"`,
    );
  }
  return configFinding(
    file,
    line,
    `bhyve cannot read "${device}" as a passthru device ("passthru: invalid options")`,
    "write B/S/F like 1/0/0 (or pptN, pci0:B:S:F)",
  );
}

/** Parses a vm-bhyve VM config. Never throws: problems are `vm-config` findings. */
export function parseVmBhyveConfig(
  text: string,
  file: string,
  vm: string,
  place: VmBhyvePlace | null = null,
): VmConfig {
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
  const named: NamedEntry[] = [];
  const options: Record<string, DeviceOptions> = {};
  let count = 0;
  for (;; count++) {
    const setting = conf.values.get(`passthru${count}`);
    // vm-bhyve stops at the first missing or empty passthruN (the sample config ships passthru0="").
    if (setting === undefined || setting.value.length === 0) break;
    const entry = readPassthru(setting.value, file, setting.line);
    if ("level" in entry) {
      findings.push(entry);
      continue;
    }
    const opts = conf.values.get(`passthru${count}_options`);
    const label = "address" in entry ? formatBsf(entry.address) ?? setting.value : entry.token.text;
    let parsed: DeviceOptions = {};
    if (opts !== undefined && opts.value.length > 0) {
      parsed = readOptions(opts.value, label, file, opts.line, findings);
      options[label] = parsed;
    }
    if ("address" in entry) entries.push({ ...entry, options: parsed, order: count });
    else named.push({ ...entry, options: parsed, order: count });
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
  // A misspelled passthruN would leave the VM without that device.
  const settings = [
    ...[...conf.values].map(([key, v]) => ({ key, value: v.value, line: v.line })),
    ...conf.capitalized,
  ];
  for (const { key, value, line } of settings) {
    const meant = value.length === 0 ? null : meantPassthru(key, count);
    if (meant === null) continue;
    findings.push(passthruTypo(file, line, key, meant, conf.values.has(meant)));
  }
  const unique = duplicateEntries(entries, file);
  findings.push(...unique.findings);
  const guest: VmBhyveGuest = {
    kind: "vm-bhyve",
    name: vm,
    values: conf.values,
    dsPath: place?.dsPath ?? file.slice(0, file.lastIndexOf("/", file.lastIndexOf("/") - 1)),
    dsDataset: place?.dsDataset ?? null,
    vmDir: place?.vmDir ?? file.slice(0, file.lastIndexOf("/", file.lastIndexOf("/") - 1)),
    fork: place?.fork ?? null,
    mountpoint: place?.mountpoint ?? null,
  };
  return {
    vm,
    source: "vm-bhyve",
    file,
    passthru: unique.entries,
    options,
    findings,
    guest,
    ...(named.length > 0 ? { named } : {}),
  };
}

/** Where a guest lives: its datastore, the default datastore and the installed fork. */
export interface VmBhyvePlace {
  readonly dsPath: string;
  readonly dsDataset: string | null;
  readonly vmDir: string;
  readonly fork: VmBhyveFork | null;
  readonly mountpoint: string | null;
}

/** `vm_dir` from rc.conf text, read as sh: the last assignment, with its line; null when unset. */
export function parseRcConfVmDir(text: string): ConfValue | null {
  const found = lastAssignment(readShAssignments(text), "vm_dir");
  return found === null ? null : { value: found.value, line: found.line };
}

/** One datastore: its directory, and its dataset when it is `zfs:pool/ds`. */
export interface VmBhyveStore {
  readonly path: string;
  readonly dataset: string | null;
  /** `zfs:zroot/vm is /zroot/vm (ZFS's default mountpoint ...)`, null for a directory. */
  readonly how: string | null;
}

/** A vm-bhyve directory spec (`/path` or `zfs:pool/ds`) as a datastore. */
export function resolveVmBhyveStore(
  spec: string,
  zfsMountpoints: Readonly<Record<string, string>>,
): VmBhyveStore {
  if (!spec.startsWith("zfs:")) return { path: spec, dataset: null, how: null };
  const dataset = spec.slice(4);
  const mount = resolveMountpoint(dataset, zfsMountpoints);
  return { path: mount.path, dataset, how: `${spec} is ${mount.path} (${mount.how})` };
}

/** A vm-bhyve directory spec (`/path` or `zfs:pool/ds`) as a directory. */
export function resolveVmBhyveDir(
  spec: string,
  zfsMountpoints: Readonly<Record<string, string>>,
): string {
  return resolveVmBhyveStore(spec, zfsMountpoints).path;
}

/** Where freebsd/vm-bhyve and churchers/vm-bhyve install lib/vm-run. */
export const VM_BHYVE_RUN = "/usr/local/lib/vm-bhyve/vm-run";

/**
 * Which vm-bhyve the host runs, from its lib/vm-run: freebsd/vm-bhyve reads
 * `passthruN_options` (the text `passthru${_num}_options`), churchers/vm-bhyve (and freebsd's
 * before e61c1d7) does not. Null when the file cannot be read (the launcher does not grant
 * /usr/local/lib).
 */
export async function vmBhyveFork(host: Pick<Host, "readText">): Promise<VmBhyveFork | null> {
  let text: string | null;
  try {
    text = await host.readText(VM_BHYVE_RUN);
  } catch {
    return null;
  }
  if (text === null) return null;
  return text.includes("passthru${_num}_options") ? "freebsd" : "churchers";
}

/** Where vm-bhyve's VMs are, and what was wrong on the way there. */
export interface VmBhyveLocations {
  /** The default datastore first, then the extra ones of system.conf. */
  readonly dirs: string[];
  /** The same, with their datasets. */
  readonly stores: VmBhyveStore[];
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
    const found = await readRcConf(
      (path) => readWhileScanning(host, path, findings),
      RC_CONF_FILES,
      "vm_dir",
    );
    if (found !== null) {
      spec = found.value;
      origin = found.origin;
    }
  }
  if (spec === null || spec.length === 0) return { dirs: [], stores: [], origin: null, findings };
  if (spec.includes("$") || spec.includes("`")) {
    findings.push({
      level: "warn",
      code: "vm-config",
      message: `${origin}: vm_dir="${spec}" uses a shell variable that pptkit does not expand`,
      fix: 'set "vmBhyve": {"vmDir": "/path"} in pptkit.jsonc',
    });
    return { dirs: [], stores: [], origin, findings };
  }
  const first = resolveVmBhyveStore(spec, config.zfsMountpoints);
  const vmDir = first.path;
  const stores = [first];
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
      stores.push(resolveVmBhyveStore(path, config.zfsMountpoints));
    }
  }
  return { dirs: stores.map((s) => s.path), stores, origin, findings };
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
  for (const store of where.stores) {
    const file = vmConfPath(store.path, vm);
    const text = await host.readText(file);
    if (text === null) continue;
    return parseVmBhyveConfig(text, file, vm, placeOf(where, store, await vmBhyveFork(host)));
  }
  return null;
}

function placeOf(
  where: VmBhyveLocations,
  store: VmBhyveStore,
  fork: VmBhyveFork | null,
): VmBhyvePlace {
  return {
    dsPath: store.path,
    dsDataset: store.dataset,
    vmDir: where.stores[0]?.path ?? store.path,
    fork,
    mountpoint: store.how,
  };
}

/** Reads every vm-bhyve VM. `found` says whether a `vm_dir` is configured. */
export async function readVmBhyveVms(
  host: Pick<Host, "readText" | "readDir">,
  config: PptkitConfig,
): Promise<VmScan & { found: boolean }> {
  const where = await vmBhyveDirs(host, config);
  const findings = [...where.findings];
  const vms: VmConfig[] = [];
  const fork = await vmBhyveFork(host);
  for (const store of where.stores) {
    const dir = store.path;
    const names = await listWhileScanning(host, dir, findings);
    if (names === null) {
      findings.push({
        level: "warn",
        code: "vm-config",
        message: `vm-bhyve directory ${dir} does not exist` +
          (where.origin === null ? "" : ` (vm_dir from ${where.origin})`) +
          (store.how === null ? "" : `: ${store.how}`),
        fix: "set zfsMountpoints or vmBhyve.vmDir in pptkit.jsonc to where the VMs are",
      });
      continue;
    }
    for (const name of names) {
      // .config, .templates, .iso and .img are vm-bhyve's own.
      if (name.startsWith(".")) continue;
      const file = vmConfPath(dir, name);
      const text = await readWhileScanning(host, file, findings);
      if (text !== null) {
        vms.push(parseVmBhyveConfig(text, file, name, placeOf(where, store, fork)));
      }
    }
  }
  return { vms, findings, found: where.origin !== null };
}
