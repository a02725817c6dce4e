/**
 * pptkit's own configuration, `/usr/local/etc/pptkit/pptkit.jsonc`, and the JSON(C) reading that
 * pptkit's other JSON files share (VM configs, quirk rules, slot maps): every value keeps the line
 * it was written on, so that every complaint can say `file:line`.
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

import {
  type Node as JsonNode,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import { ExitCode, PptkitError } from "./errors.ts";
import type { Host } from "./host.ts";
import { VM_SOURCES, type VmSource } from "./vms/types.ts";

export type { JsonNode };

/** Where pptkit looks for its configuration when `--config` is not given. */
export const DEFAULT_CONFIG_FILE = "/usr/local/etc/pptkit/pptkit.jsonc";

/** Hoster's own search order for `host_config.json` (HosterCore `locations.GetConfigFolders`). */
export const HOSTER_CONFIG_DIRS: readonly string[] = [
  "/opt/hoster-core/config_files",
  "/opt/hoster/config_files",
  "/usr/local/hoster",
  "/etc/hoster",
  "/root/hoster/config_files",
];

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
    native: { dir: "/usr/local/etc/pptkit/vms" },
    zfsMountpoints: {},
    stateDir: "/var/db/pptkit",
    runDir: "/var/run/pptkit",
    pluginDirs: ["/usr/local/etc/pptkit/plugins"],
    quirksDir: "/usr/local/etc/pptkit/quirks.d",
  };
}

/** `<stateDir>/slots/<vm>.json`: where `plan` keeps a VM's guest addresses. */
export function slotMapPath(config: PptkitConfig, vm: string): string {
  return `${config.stateDir.replace(/\/+$/, "")}/slots/${vm}.json`;
}

// ---------------------------------------------------------------------------------------------
// JSON(C) documents with line numbers

/** A parsed JSON(C) text that can say on which line each value was written. */
export interface JsonDoc {
  readonly file: string;
  /** The top-level value. */
  readonly root: JsonNode;
  /** 1-based line of a character offset. */
  lineOf(offset: number): number;
}

/** Why a JSON(C) text could not be parsed: the first error, with its line. */
export interface JsonSyntaxError {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** Offsets where each line starts, for offset -> line look-ups by binary search. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
  }
  return starts;
}

function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** `CloseBraceExpected` -> `close brace expected`. */
function errorWords(error: ParseError): string {
  const name = printParseErrorCode(error.error);
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    const upper = ch >= "A" && ch <= "Z";
    out += upper ? (i > 0 ? " " : "") + ch.toLowerCase() : ch;
  }
  return out;
}

/**
 * Parses JSON with comments (or, with `strict`, plain JSON as Go's encoding/json reads it: no
 * comments, no trailing commas). Returns the document or the first syntax error with its line.
 */
export function parseJsonDoc(
  text: string,
  file: string,
  strict = false,
): JsonDoc | JsonSyntaxError {
  const starts = lineStarts(text);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, {
    allowTrailingComma: !strict,
    disallowComments: strict,
    allowEmptyContent: false,
  });
  if (errors.length > 0) {
    const first = errors[0];
    return { file, line: lineAt(starts, first.offset), message: errorWords(first) };
  }
  if (root === undefined) return { file, line: 1, message: "no JSON value (empty file)" };
  return { file, root, lineOf: (offset) => lineAt(starts, offset) };
}

/** True when {@linkcode parseJsonDoc} failed. */
export function isSyntaxError(doc: JsonDoc | JsonSyntaxError): doc is JsonSyntaxError {
  return "message" in doc;
}

/** The properties of an object node as `[key, keyNode, valueNode]`, in file order. */
export function properties(node: JsonNode): [string, JsonNode, JsonNode][] {
  const out: [string, JsonNode, JsonNode][] = [];
  if (node.type !== "object") return out;
  for (const prop of node.children ?? []) {
    const [key, value] = prop.children ?? [];
    if (key !== undefined && value !== undefined) out.push([String(key.value), key, value]);
  }
  return out;
}

/** The value node of `key` in an object node (the last one, as JSON.parse would take). */
export function property(node: JsonNode, key: string): JsonNode | undefined {
  let found: JsonNode | undefined;
  for (const [k, , value] of properties(node)) if (k === key) found = value;
  return found;
}

/** The plain value of a node. */
export function nodeValue(node: JsonNode): unknown {
  switch (node.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, , v] of properties(node)) out[k] = nodeValue(v);
      return out;
    }
    case "array":
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

/** How a message names what a node holds: `a string "x"`, `a number 5`, `an object`. */
export function describeNode(node: JsonNode): string {
  switch (node.type) {
    case "string":
      return `a string ${JSON.stringify(clip(String(node.value)))}`;
    case "number":
      return `a number ${node.value}`;
    case "boolean":
      return `${node.value}`;
    case "null":
      return "null";
    case "array":
      return "an array";
    default:
      return "an object";
  }
}

function clip(text: string): string {
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
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
