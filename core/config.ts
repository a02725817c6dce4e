/**
 * pptkit's own configuration, `/usr/local/etc/pptkit/pptkit.jsonc` (read with core/jsonc.ts, so
 * every complaint can say `file:line`).
 *
 * The file is JSON with comments; every key is optional. A missing default file means the
 * defaults; a missing file named with `--config` is an error (66); broken JSONC, an unknown key or
 * a value of the wrong type is a config error (78) that names file, line and key.
 *
 * ```jsonc
 * {
 *   // VM config sources to read (DESIGN §10). Default: all four, each probed at its standard
 *   // location; a source named here that cannot be found is reported by `check`.
 *   "sources": ["native", "hoster", "vm-bhyve", "cbsd"],
 *   // Hoster: where its host_config.json is looked for (Hoster's own search order), which
 *   // datasets hold VMs (default: host_config.json "active_datasets"), or the VM directories
 *   // themselves (skips both). VMs are <mountpoint>/<vm>/vm_config.json.
 *   "hoster": {
 *     "configDirs": ["/opt/hoster-core/config_files"],
 *     "datasets": ["zroot/vm-encrypted"],
 *     "vmDirs": ["/zroot/vm-encrypted"]
 *   },
 *   // vm-bhyve: the VM directory (default: vm_dir from /etc/rc.conf and /etc/rc.conf.local).
 *   // "zfs:pool/ds" values resolve through zfsMountpoints.
 *   "vmBhyve": { "vmDir": "/zroot/vm" },
 *   // pptkit's own VM configs: <dir>/<vm>.jsonc
 *   "native": { "dir": "/usr/local/etc/pptkit/vms" },
 *   // Where ZFS datasets are mounted. pptkit runs no zfs(8); without an entry a dataset is
 *   // taken to be mounted at /<dataset>, ZFS's default.
 *   "zfsMountpoints": { "zroot/vm": "/vm" },
 *   // Saved slot maps (<stateDir>/slots/<vm>.json) and device locks (<runDir>/...).
 *   "stateDir": "/var/db/pptkit",
 *   "runDir": "/var/run/pptkit",
 *   // Community code plugins (*.ts, *.js) and declarative quirk rules (*.jsonc).
 *   "pluginDirs": ["/usr/local/etc/pptkit/plugins"],
 *   "quirksDir": "/usr/local/etc/pptkit/quirks.d"
 * }
 * ```
 *
 * @module
 */

import { ExitCode, PptkitError } from "./errors.ts";
import type { Host } from "./host/host.ts";
import {
  describeNode,
  isSyntaxError,
  type JsonDoc,
  type JsonNode,
  parseJsonDoc,
  properties,
} from "./jsonc.ts";
import {
  DEFAULT_CONFIG_FILE,
  DEFAULT_NATIVE_VM_DIR,
  DEFAULT_PLUGIN_DIR,
  DEFAULT_QUIRKS_DIR,
  DEFAULT_RUN_DIR,
  DEFAULT_STATE_DIR,
  HOSTER_CONFIG_DIRS,
} from "./paths.ts";
import { clip } from "./text.ts";
import { VM_SOURCES, type VmSource } from "./vms/types.ts";

/** pptkit's settings, with every default filled in. */
export interface PptkitConfig {
  /** The file the settings came from; null when none was read (all defaults). */
  readonly file: string | null;
  /** Active VM config sources; null = probe every standard location. */
  readonly sources: readonly VmSource[] | null;
  readonly hoster: {
    readonly configDirs: readonly string[];
    /** Datasets that hold VMs; null = read `active_datasets` from host_config.json. */
    readonly datasets: readonly string[] | null;
    /** VM directories to scan; null = the mountpoints of the datasets. */
    readonly vmDirs: readonly string[] | null;
  };
  readonly vmBhyve: {
    /** `vm_dir` (a path or `zfs:pool/ds`); null = read it from rc.conf. */
    readonly vmDir: string | null;
  };
  readonly native: { readonly dir: string };
  readonly zfsMountpoints: Readonly<Record<string, string>>;
  readonly stateDir: string;
  readonly runDir: string;
  readonly pluginDirs: readonly string[];
  readonly quirksDir: string;
}

/** The settings pptkit uses when there is no pptkit.jsonc. */
export function defaultConfig(): PptkitConfig {
  return {
    file: null,
    sources: null,
    hoster: { configDirs: HOSTER_CONFIG_DIRS, datasets: null, vmDirs: null },
    vmBhyve: { vmDir: null },
    native: { dir: DEFAULT_NATIVE_VM_DIR },
    zfsMountpoints: {},
    stateDir: DEFAULT_STATE_DIR,
    runDir: DEFAULT_RUN_DIR,
    pluginDirs: [DEFAULT_PLUGIN_DIR],
    quirksDir: DEFAULT_QUIRKS_DIR,
  };
}

/** `<stateDir>/slots/<vm>.json`: where `plan` keeps a VM's guest addresses. */
export function slotMapPath(config: PptkitConfig, vm: string): string {
  return `${config.stateDir.replace(/\/+$/, "")}/slots/${vm}.json`;
}

// ---------------------------------------------------------------------------------------------
// pptkit.jsonc

function configError(doc: JsonDoc, node: JsonNode, key: string, detail: string, hint?: string) {
  const line = doc.lineOf(node.offset);
  return new PptkitError(
    ExitCode.Config,
    `${doc.file}:${line}: ${key}: ${detail}`,
    hint,
    { file: doc.file, line },
  );
}

function readString(doc: JsonDoc, node: JsonNode, key: string): string {
  if (node.type !== "string") {
    throw configError(doc, node, key, `expected a string, found ${describeNode(node)}`);
  }
  return node.value as string;
}

function readPath(doc: JsonDoc, node: JsonNode, key: string): string {
  const value = readString(doc, node, key);
  if (!value.startsWith("/")) {
    throw configError(
      doc,
      node,
      key,
      `expected an absolute path, found "${clip(value)}"`,
      "paths in pptkit.jsonc start with /",
    );
  }
  return value;
}

function readList<T>(
  doc: JsonDoc,
  node: JsonNode,
  key: string,
  item: (n: JsonNode, k: string) => T,
): T[] {
  if (node.type !== "array") {
    throw configError(doc, node, key, `expected an array, found ${describeNode(node)}`);
  }
  return (node.children ?? []).map((child, i) => item(child, `${key}[${i}]`));
}

function readObject(
  doc: JsonDoc,
  node: JsonNode,
  key: string,
  known: readonly string[],
): Map<string, JsonNode> {
  if (node.type !== "object") {
    throw configError(doc, node, key, `expected an object, found ${describeNode(node)}`);
  }
  const out = new Map<string, JsonNode>();
  for (const [k, keyNode, value] of properties(node)) {
    const path = key === "" ? k : `${key}.${k}`;
    if (!known.includes(k)) {
      throw configError(
        doc,
        keyNode,
        path,
        "unknown key",
        `known keys${key === "" ? "" : ` of ${key}`}: ${known.join(", ")}`,
      );
    }
    out.set(k, value);
  }
  return out;
}

const TOP_KEYS = [
  "sources",
  "hoster",
  "vmBhyve",
  "native",
  "zfsMountpoints",
  "stateDir",
  "runDir",
  "pluginDirs",
  "quirksDir",
] as const;

/**
 * Parses pptkit.jsonc text. Throws a config error (78) naming `file:line` and the key for broken
 * JSONC, unknown keys and values of the wrong type.
 */
export function parseConfig(text: string, file: string): PptkitConfig {
  const parsed = parseJsonDoc(text, file);
  if (isSyntaxError(parsed)) {
    throw new PptkitError(
      ExitCode.Config,
      `${file}:${parsed.line}: bad JSONC: ${parsed.message}`,
      "pptkit.jsonc is JSON with // and /* */ comments",
      { file, line: parsed.line },
    );
  }
  const doc = parsed;
  const top = readObject(doc, doc.root, "", TOP_KEYS);
  const base = defaultConfig();
  const get = <T>(key: string, read: (n: JsonNode) => T, fallback: T): T => {
    const node = top.get(key);
    return node === undefined ? fallback : read(node);
  };

  const sources = get("sources", (n) =>
    readList(doc, n, "sources", (item, k) => {
      const name = readString(doc, item, k);
      if (!(VM_SOURCES as readonly string[]).includes(name)) {
        throw configError(
          doc,
          item,
          k,
          `unknown VM config source "${clip(name)}"`,
          `sources are: ${VM_SOURCES.join(", ")}`,
        );
      }
      return name as VmSource;
    }), base.sources);

  const hoster = get("hoster", (n) => {
    const h = readObject(doc, n, "hoster", ["configDirs", "datasets", "vmDirs"]);
    const paths = (key: string) => {
      const node = h.get(key);
      return node === undefined ? null : readList(doc, node, `hoster.${key}`, (i, k) => {
        return readPath(doc, i, k);
      });
    };
    const datasets = h.get("datasets");
    return {
      configDirs: paths("configDirs") ?? base.hoster.configDirs,
      datasets: datasets === undefined
        ? null
        : readList(doc, datasets, "hoster.datasets", (i, k) => readString(doc, i, k)),
      vmDirs: paths("vmDirs"),
    };
  }, base.hoster);

  const vmBhyve = get("vmBhyve", (n) => {
    const v = readObject(doc, n, "vmBhyve", ["vmDir"]);
    const dir = v.get("vmDir");
    if (dir === undefined) return base.vmBhyve;
    const value = readString(doc, dir, "vmBhyve.vmDir");
    if (!value.startsWith("/") && !value.startsWith("zfs:")) {
      throw configError(
        doc,
        dir,
        "vmBhyve.vmDir",
        `expected a path or zfs:pool/dataset, found "${clip(value)}"`,
      );
    }
    return { vmDir: value };
  }, base.vmBhyve);

  const native = get("native", (n) => {
    const v = readObject(doc, n, "native", ["dir"]);
    const dir = v.get("dir");
    return dir === undefined ? base.native : { dir: readPath(doc, dir, "native.dir") };
  }, base.native);

  const zfsMountpoints = get("zfsMountpoints", (n) => {
    if (n.type !== "object") {
      throw configError(doc, n, "zfsMountpoints", `expected an object, found ${describeNode(n)}`);
    }
    const out: Record<string, string> = {};
    for (const [k, , value] of properties(n)) out[k] = readPath(doc, value, `zfsMountpoints.${k}`);
    return out;
  }, base.zfsMountpoints);

  return {
    file,
    sources,
    hoster,
    vmBhyve,
    native,
    zfsMountpoints,
    stateDir: get("stateDir", (n) => readPath(doc, n, "stateDir"), base.stateDir),
    runDir: get("runDir", (n) => readPath(doc, n, "runDir"), base.runDir),
    pluginDirs: get(
      "pluginDirs",
      (n) => readList(doc, n, "pluginDirs", (i, k) => readPath(doc, i, k)),
      base.pluginDirs,
    ),
    quirksDir: get("quirksDir", (n) => readPath(doc, n, "quirksDir"), base.quirksDir),
  };
}

/**
 * Loads pptkit.jsonc through a host (so `--root` and `--snapshot` apply). `file` is the
 * `--config` argument: when given, a missing file is an error (66); when omitted, a missing
 * {@linkcode DEFAULT_CONFIG_FILE} means the defaults.
 */
export async function loadConfig(
  host: Pick<Host, "readText">,
  file?: string,
): Promise<PptkitConfig> {
  const path = file ?? DEFAULT_CONFIG_FILE;
  const text = await host.readText(path);
  if (text === null) {
    if (file === undefined) return defaultConfig();
    throw new PptkitError(
      ExitCode.NoInput,
      `config file ${file} not found`,
      `leave out --config to use ${DEFAULT_CONFIG_FILE} (or the defaults when it is missing)`,
      { file },
    );
  }
  return parseConfig(text, path);
}
