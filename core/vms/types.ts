/**
 * What every VM config reader returns (DESIGN §10), and the small helpers they share.
 *
 * A reader turns one wrapper's config text into a {@linkcode VmConfig}: the VM's passthru entries
 * in the order the file lists them, each with the line it came from. A malformed part never
 * throws here: it becomes a `vm-config` finding that names the file and the line, so that
 * `list` still shows everything else. Commands about one VM (`plan`, `hook`) turn error-level
 * findings into an error with {@linkcode requireUsable}.
 *
 * @module
 */

import { type AddressToken, formatBsf, parseAddress, type PciAddress } from "../address.ts";
import { ExitCode, PptkitError } from "../errors.ts";
import { type Finding, locationPrefix } from "../findings.ts";
import type { Host } from "../host/host.ts";
import { clip, editDistance } from "../text.ts";
import type { GuestConfig } from "./guest.ts";

/** The wrappers pptkit reads VM configs from. */
export type VmSource = "native" | "hoster" | "vm-bhyve" | "cbsd";

/** Every source, in the order pptkit prefers them when one VM name appears in several. */
export const VM_SOURCES: readonly VmSource[] = ["native", "hoster", "vm-bhyve", "cbsd"];

/** bhyve `name=value` device options for one passthru device (`rom`, `bootindex`). */
export type DeviceOptions = Readonly<Record<string, string>>;

/** One passthru entry of a VM config. */
export interface Entry {
  /** The parsed token: spelling `bsf`, `split` (`-1/0/1`) or `pinned` (`1/0/0=6:0`). */
  readonly token: AddressToken;
  /** The host address (never null: readers accept only the B/S/F family). */
  readonly address: PciAddress;
  /** 1-based line of the entry in its file (or in the command output it came from). */
  readonly line: number;
  /** Options for this device, from the config's options (empty when none). */
  readonly options: DeviceOptions;
  /** Position in the wrapper's own numbering (vm-bhyve's N of `passthruN`), when it has one. */
  readonly order?: number;
}

/** One VM as one wrapper configures it. */
export interface VmConfig {
  readonly vm: string;
  readonly source: VmSource;
  /** Host path of the config file, or the command whose output it came from. */
  readonly file: string;
  /** Entries in config order; malformed entries are left out (and reported in `findings`). */
  readonly passthru: readonly Entry[];
  /** Options per device as the config gives them, keyed by B/S/F (`1/0/0`). */
  readonly options: Readonly<Record<string, DeviceOptions>>;
  /** What was wrong with the config: `vm-config` findings naming file and line. */
  readonly findings: readonly Finding[];
  /** What the config says about the wrapper's own devices, for the wrapper's layout. */
  readonly guest?: GuestConfig;
  /** Entries that name their device by name (`ppt2`): see {@linkcode resolveNamed}. */
  readonly named?: readonly NamedEntry[];
  /**
   * Why the wrapper does not run the VM on this host (a Hoster replica: `parent_host` is
   * another host); such a VM holds no device here.
   */
  readonly inactive?: string;
}

/** What a discovery pass found: configs, plus findings about the places it looked. */
export interface VmScan {
  readonly vms: VmConfig[];
  readonly findings: Finding[];
}

/** A `vm-config` finding at a line of a file. */
export function configFinding(
  file: string,
  line: number | undefined,
  message: string,
  fix?: string,
  level: Finding["level"] = "error",
): Finding {
  return {
    level,
    code: "vm-config",
    message,
    ...(fix === undefined ? {} : { fix }),
    file,
    ...(line === undefined ? {} : { line }),
  };
}

/**
 * True for a config key that is "passthru" misspelled (`pasthru`, `passtrhu`, `Passthru` where
 * keys are case-sensitive): not the key itself as the reader matches keys (`isPassthru`), and
 * within 2 edits of it, case ignored. Such a key leaves the VM without its devices.
 */
export function misspelledPassthru(key: string, isPassthru: (key: string) => boolean): boolean {
  return !isPassthru(key) && editDistance(key.toLowerCase(), "passthru") <= 2;
}

/**
 * The finding for a misspelled passthru key (`wanted` is the key meant): an error, since the VM
 * would start without its devices and `hook prestart` would let it; a warning when the key
 * meant is there too.
 */
export function passthruTypo(
  file: string,
  line: number | undefined,
  key: string,
  wanted: string,
  present: boolean,
): Finding {
  return configFinding(
    file,
    line,
    `unknown key "${key}" (did you mean "${wanted}"?): the VM would start without its devices`,
    `rename it to "${wanted}"`,
    present ? "warn" : "error",
  );
}

/** Which address spellings a wrapper understands besides plain B/S/F. */
export interface Spellings {
  readonly split: boolean;
  readonly pinned: boolean;
}

/**
 * Parses one passthru token of a VM config. Returns the entry, or a finding that quotes the
 * token and says which spellings this wrapper accepts.
 */
export function readEntry(
  text: string,
  file: string,
  line: number,
  wrapper: string,
  accepts: Spellings,
  options: DeviceOptions = {},
): Entry | Finding {
  let token: AddressToken;
  try {
    token = parseAddress(text, "bsf");
  } catch (e) {
    if (!(e instanceof PptkitError)) throw e;
    return configFinding(file, line, e.message, e.hint);
  }
  if (token.address === null) return configFinding(file, line, `bad PCI address "${text}"`);
  if (token.split && !accepts.split) {
    return configFinding(
      file,
      line,
      `${wrapper} does not understand the split form "${text}"`,
      `write ${text.slice(1)}; to give it a guest slot of its own, pin it: ${text.slice(1)}=S:0`,
    );
  }
  if (token.pin !== null && !accepts.pinned) {
    const bare = formatBsf(token.address) ?? text;
    return configFinding(
      file,
      line,
      `${wrapper} does not understand the pinned form "${text}"`,
      accepts.split
        ? `write ${bare}, or -${bare} for a guest slot of its own`
        : `write ${bare}; pptkit plan chooses the guest slot`,
    );
  }
  return { token, address: token.address, line, options };
}

/** True when a value returned by {@linkcode readEntry} is an entry. */
export function isEntry(value: Entry | Finding): value is Entry {
  return "token" in value;
}

/** Reports entries that name the same host device twice in one VM. */
export function duplicateEntries(
  entries: readonly Entry[],
  file: string,
): { entries: Entry[]; findings: Finding[] } {
  const seen = new Map<string, Entry>();
  const kept: Entry[] = [];
  const findings: Finding[] = [];
  for (const entry of entries) {
    const bsf = formatBsf(entry.address) ?? entry.token.text;
    const first = seen.get(bsf);
    if (first !== undefined) {
      findings.push(configFinding(
        file,
        entry.line,
        `${bsf} is listed twice (first on line ${first.line})`,
        "remove one of them: a device can be passed to a guest only once",
      ));
      continue;
    }
    seen.set(bsf, entry);
    kept.push(entry);
  }
  return { entries: kept, findings };
}

/** Characters an option name may use: bhyve reads `name=value` pairs split on commas. */
function isOptionNameChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 95 ||
    code === 45 || code === 46;
}

/**
 * Checks one device option. bhyve splits the `-s` argument on commas and the shell splits the
 * plan on blanks, so neither may appear in a value. Returns the problem, or null.
 */
export function optionProblem(name: string, value: string): string | null {
  if (name.length === 0) return "empty option name";
  for (let i = 0; i < name.length; i++) {
    if (!isOptionNameChar(name.charCodeAt(i))) {
      return `bad option name "${name}": expected lower-case letters, digits, _ - or .`;
    }
  }
  if (value.length === 0) return `option "${name}" has an empty value`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 44) {
      return `option ${name}="${value}" contains a comma, which bhyve reads as a separator`;
    }
    if (c <= 32 || c === 127) {
      return `option ${name}="${value}" contains a blank or control character`;
    }
  }
  return null;
}

/**
 * The longest VM name: pptkit builds file names from it, the longest `NAME.json.tmp` (the slot
 * map's temp file, 9 more characters), and a file name has at most 255 bytes (NAME_MAX).
 */
export const MAX_VM_NAME = 246;

/** True when `vm` is safe as a path component (and its longest file name fits). */
export function isVmName(vm: string): boolean {
  if (vm.length === 0 || vm === "." || vm === ".." || vm.length > MAX_VM_NAME) return false;
  let bytes = 0;
  for (let i = 0; i < vm.length; i++) {
    const c = vm.charCodeAt(i);
    if (c === 47 || c < 32 || (c >= 127 && c < 160)) return false;
    // UTF-8: 1 byte below 0x80, 2 below 0x800, 2 per surrogate (4 a pair), else 3.
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c < 0xe000) ? 2 : 3;
  }
  return bytes <= MAX_VM_NAME;
}

/** A VM name that is safe to use as a path component. */
export function checkVmName(vm: string): void {
  if (!isVmName(vm)) {
    throw new PptkitError(
      ExitCode.Usage,
      `bad VM name "${clip(vm)}"${vm.length > MAX_VM_NAME ? ` (${vm.length} characters)` : ""}`,
      `a VM name is one path component: no /, not . or .., at most ${MAX_VM_NAME} characters`,
    );
  }
}

/**
 * Throws when a VM's config has an error-level finding: the first one decides the message.
 * Exit 78 for pptkit's own (native) configs, 65 for a wrapper's.
 */
export function requireUsable(config: VmConfig): VmConfig {
  const bad = config.findings.find((f) => f.level === "error");
  if (bad === undefined) return config;
  const others = config.findings.filter((f) => f.level === "error").length - 1;
  const more = others > 0 ? ` (and ${others} more)` : "";
  throw new PptkitError(
    config.source === "native" ? ExitCode.Config : ExitCode.DataError,
    `VM ${config.vm}: ${locationPrefix(bad)}${bad.message}${more}`,
    bad.fix ?? `fix ${config.file}, then run the command again`,
    // As data too; main.ts sees the file in the message and prints the location once.
    { file: bad.file, line: bad.line },
  );
}

/** Where a dataset is mounted, and how pptkit came to that answer (for messages). */
export interface Mountpoint {
  readonly path: string;
  /** `zfsMountpoints in pptkit.jsonc`, `inherited from tank (zfsMountpoints)`, `ZFS's default`. */
  readonly how: string;
}

/**
 * Where a ZFS dataset is mounted. pptkit runs neither zfs(8) nor mount(8), so it uses, in order:
 * the dataset's own entry in pptkit.jsonc `zfsMountpoints`; the entry of its nearest ancestor,
 * with the rest of the name below it (a child inherits its parent's mountpoint: `tank` at `/data`
 * puts `tank/vms` at `/data/vms`); else ZFS's default, the name under `/` (`zroot/vm` ->
 * `/zroot/vm`).
 */
export function resolveMountpoint(
  dataset: string,
  zfsMountpoints: Readonly<Record<string, string>>,
): Mountpoint {
  const name = dataset.endsWith("/") ? dataset.slice(0, -1) : dataset;
  const own = zfsMountpoints[name];
  if (own !== undefined) return { path: own, how: "zfsMountpoints in pptkit.jsonc" };
  for (let cut = name.lastIndexOf("/"); cut > 0; cut = name.lastIndexOf("/", cut - 1)) {
    const parent = name.slice(0, cut);
    const base = zfsMountpoints[parent];
    if (base !== undefined) {
      return {
        path: (base.endsWith("/") ? base.slice(0, -1) : base) + name.slice(cut),
        how: `inherited from ${parent} (zfsMountpoints in pptkit.jsonc)`,
      };
    }
  }
  return { path: `/${name}`, how: "ZFS's default mountpoint; pptkit runs no zfs(8)" };
}

/** The directory of a dataset (see {@linkcode resolveMountpoint}). */
export function datasetMountpoint(
  dataset: string,
  zfsMountpoints: Readonly<Record<string, string>>,
): string {
  return resolveMountpoint(dataset, zfsMountpoints).path;
}

/** A passthru entry that names its device by name (`ppt2`): only the host's listing resolves it. */
export interface NamedEntry {
  readonly token: AddressToken;
  readonly line: number;
  readonly options: DeviceOptions;
  readonly order: number;
}

/**
 * Resolves the entries a config names by device name (`ppt2`, which bhyve looks up itself)
 * against the host's devices, into entries in the wrapper's order. A name no device has is a
 * `vm-config` error: bhyve would fail with "Passthru device ppt9 not found".
 */
export function resolveNamed(
  config: VmConfig,
  devices: readonly { readonly name: string; readonly address: PciAddress }[],
  hostDescription: string,
): VmConfig {
  const named = config.named ?? [];
  if (named.length === 0) return config;
  const findings = [...config.findings];
  const entries = [...config.passthru];
  for (const n of named) {
    const device = devices.find((d) => d.name === n.token.name);
    if (device === undefined) {
      findings.push(configFinding(
        config.file,
        n.line,
        `${hostDescription} has no device named ${n.token.name}: bhyve fails with ` +
          `"Passthru device ${n.token.name} not found"`,
        "name the device by B/S/F (see: pptkit list); unit numbers change between boots",
      ));
      continue;
    }
    entries.push({
      token: n.token,
      address: device.address,
      line: n.line,
      options: n.options,
      order: n.order,
    });
  }
  entries.sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  const unique = duplicateEntries(entries, config.file);
  return {
    ...config,
    passthru: unique.entries,
    findings: [...findings, ...unique.findings],
    named: [],
  };
}

/**
 * Reads a file while scanning many: a path that turns out not to be readable (a plain file
 * where a VM directory was expected, a permission problem) is skipped, with a warning for
 * anything but "not there", instead of stopping the whole listing.
 */
export async function readWhileScanning(
  host: Pick<Host, "readText">,
  path: string,
  findings: Finding[],
): Promise<string | null> {
  try {
    return await host.readText(path);
  } catch (e) {
    if (!(e instanceof PptkitError)) throw e;
    if (e.exitCode !== ExitCode.NoInput) {
      findings.push({ level: "warn", code: "vm-config", message: e.message, file: path });
    }
    return null;
  }
}

/** Lists a directory while scanning; unreadable directories are reported and skipped. */
export async function listWhileScanning(
  host: Pick<Host, "readDir">,
  path: string,
  findings: Finding[],
): Promise<string[] | null> {
  try {
    return await host.readDir(path);
  } catch (e) {
    if (!(e instanceof PptkitError)) throw e;
    findings.push({ level: "warn", code: "vm-config", message: e.message, file: path });
    return null;
  }
}

/** The finding for a `"passthru"` that is not an array (`"passthru": "1/0/0"`), with the fix. */
export function passthruNotArray(
  file: string,
  line: number | undefined,
  found: string,
  value: unknown,
): Finding {
  return configFinding(
    file,
    line,
    `"passthru" must be an array of strings, not ${found}`,
    typeof value === "string"
      ? `write "passthru": [${JSON.stringify(value)}]`
      : `write "passthru": ["1/0/0", "1/0/1"]`,
  );
}
