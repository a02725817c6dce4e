/**
 * pptkit's own VM configs: `/usr/local/etc/pptkit/vms/NAME.jsonc` (the directory is pptkit.jsonc
 * `native.dir`).
 *
 * ```jsonc
 * {
 *   // GPU and its audio function, in one guest slot
 *   "passthru": ["1/0/0", "1/0/1"],
 *   "options": { "1/0/0": { "rom": "/usr/local/share/roms/p600.rom" } }
 * }
 * ```
 *
 * Entries take every B/S/F spelling of DESIGN §3 that a VM config can hold: `1/0/0`, `-1/0/1`
 * (own guest slot) and `1/0/0=6:0` (pinned). Option values are strings (numbers are accepted and
 * written as decimal, for `bootindex`).
 *
 * @module
 */

import { formatBsf } from "../address.ts";
import type { Finding } from "../findings.ts";
import type { Host } from "../host/host.ts";
import {
  describeNode,
  isSyntaxError,
  type JsonDoc,
  type JsonNode,
  parseJsonDoc,
  properties,
  property,
} from "../jsonc.ts";
import { joinPath } from "../paths.ts";
import { nearest } from "../text.ts";
import {
  checkVmName,
  configFinding,
  type DeviceOptions,
  duplicateEntries,
  type Entry,
  isEntry,
  listWhileScanning,
  misspelledPassthru,
  optionProblem,
  passthruNotArray,
  passthruTypo,
  readEntry,
  readWhileScanning,
  type VmConfig,
  type VmScan,
} from "./types.ts";

const SUFFIX = ".jsonc";
const KNOWN_KEYS = ["passthru", "options"];

function at(doc: JsonDoc, node: JsonNode): number {
  return doc.lineOf(node.offset);
}

function readOptions(
  doc: JsonDoc,
  node: JsonNode,
  findings: Finding[],
): Record<string, DeviceOptions> {
  const file = doc.file;
  const out: Record<string, DeviceOptions> = {};
  if (node.type !== "object") {
    findings.push(configFinding(
      file,
      at(doc, node),
      `"options" must be an object keyed by B/S/F, not ${describeNode(node)}`,
      `write "options": {"1/0/0": {"rom": "/path/to/rom"}}`,
    ));
    return out;
  }
  for (const [bsf, keyNode, value] of properties(node)) {
    if (value.type !== "object") {
      findings.push(configFinding(
        file,
        at(doc, keyNode),
        `options for "${bsf}" must be an object, not ${describeNode(value)}`,
        `write "${bsf}": {"rom": "/path/to/rom"}`,
      ));
      continue;
    }
    const opts: Record<string, string> = {};
    for (const [name, nameNode, v] of properties(value)) {
      if (v.type !== "string" && v.type !== "number") {
        findings.push(configFinding(
          file,
          at(doc, nameNode),
          `option "${name}" of ${bsf} must be a string, not ${describeNode(v)}`,
        ));
        continue;
      }
      const text = String(v.value);
      const problem = optionProblem(name, text);
      if (problem !== null) {
        findings.push(configFinding(file, at(doc, nameNode), `${bsf}: ${problem}`));
        continue;
      }
      opts[name] = text;
    }
    out[bsf] = opts;
  }
  return out;
}

/**
 * Parses a native VM config. Never throws: what is wrong becomes a `vm-config` finding naming
 * the file and line (exit 78 when {@linkcode requireUsable} is applied, as it is pptkit's own
 * config).
 */
export function parseNativeConfig(text: string, file: string, vm: string): VmConfig {
  const findings: Finding[] = [];
  const empty = { vm, source: "native" as const, file, passthru: [], options: {} };
  const doc = parseJsonDoc(text, file);
  if (isSyntaxError(doc)) {
    findings.push(configFinding(file, doc.line, `bad JSONC: ${doc.message}`));
    return { ...empty, findings };
  }
  if (doc.root.type !== "object") {
    findings.push(configFinding(
      file,
      at(doc, doc.root),
      `expected an object like {"passthru": ["1/0/0"]}, found ${describeNode(doc.root)}`,
    ));
    return { ...empty, findings };
  }
  for (const [key, keyNode] of properties(doc.root)) {
    if (KNOWN_KEYS.includes(key)) continue;
    // A misspelled "passthru" would leave the VM without its devices: an error, not a warning.
    if (misspelledPassthru(key, (k) => k === "passthru")) {
      const present = property(doc.root, "passthru") !== undefined;
      findings.push(passthruTypo(file, at(doc, keyNode), key, "passthru", present));
      continue;
    }
    const near = nearest(key.toLowerCase(), KNOWN_KEYS);
    findings.push(configFinding(
      file,
      at(doc, keyNode),
      near === undefined
        ? `unknown key "${key}"`
        : `unknown key "${key}" (did you mean "${near}"?)`,
      near === undefined ? `known keys: ${KNOWN_KEYS.join(", ")}` : `rename it to "${near}"`,
      "warn",
    ));
  }
  const optionsNode = property(doc.root, "options");
  const options = optionsNode === undefined ? {} : readOptions(doc, optionsNode, findings);

  const list = property(doc.root, "passthru");
  const entries: Entry[] = [];
  if (list === undefined) {
    // A VM without devices is a valid config: nothing to pass.
  } else if (list.type !== "array") {
    findings.push(passthruNotArray(file, at(doc, list), describeNode(list), list.value));
  } else {
    for (const item of list.children ?? []) {
      if (item.type !== "string") {
        findings.push(configFinding(
          file,
          at(doc, item),
          `passthru entries must be strings like "1/0/0", not ${describeNode(item)}`,
        ));
        continue;
      }
      const entry = readNativeEntry(String(item.value), file, at(doc, item), options);
      if (isEntry(entry)) entries.push(entry);
      else findings.push(entry);
    }
  }
  const unique = duplicateEntries(entries, file);
  findings.push(...unique.findings);
  const listed = new Set(unique.entries.map((e) => formatBsf(e.address)));
  if (optionsNode !== undefined && optionsNode.type === "object") {
    for (const [bsf, keyNode] of properties(optionsNode)) {
      if (!listed.has(bsf)) {
        findings.push(configFinding(
          file,
          at(doc, keyNode),
          `options for "${bsf}", which is not in "passthru"`,
          'options are keyed by the plain B/S/F of a passthru entry, like "1/0/0"',
          "warn",
        ));
      }
    }
  }
  return { vm, source: "native", file, passthru: unique.entries, options, findings };
}

function readNativeEntry(
  text: string,
  file: string,
  line: number,
  options: Record<string, DeviceOptions>,
): Entry | Finding {
  const probe = readEntry(text, file, line, "pptkit", { split: true, pinned: true });
  if (!isEntry(probe)) return probe;
  // Options are keyed by the bare address, whatever prefix or pin the entry has.
  const bsf = formatBsf(probe.address);
  return bsf !== null && options[bsf] !== undefined ? { ...probe, options: options[bsf] } : probe;
}

/** The config file of a native VM. */
export function nativeConfigPath(dir: string, vm: string): string {
  return joinPath(dir, vm + SUFFIX);
}

/** Reads one native VM config; null when the file does not exist. */
export async function readNativeVm(
  host: Pick<Host, "readText">,
  dir: string,
  vm: string,
): Promise<VmConfig | null> {
  checkVmName(vm);
  const file = nativeConfigPath(dir, vm);
  const text = await host.readText(file);
  return text === null ? null : parseNativeConfig(text, file, vm);
}

/** Reads every `*.jsonc` in the native directory; `found` is false when it does not exist. */
export async function readNativeVms(
  host: Pick<Host, "readText" | "readDir">,
  dir: string,
): Promise<VmScan & { found: boolean }> {
  const findings: Finding[] = [];
  const names = await listWhileScanning(host, dir, findings);
  const vms: VmConfig[] = [];
  for (const name of names ?? []) {
    if (!name.endsWith(SUFFIX) || name.length === SUFFIX.length || name.startsWith(".")) continue;
    const file = joinPath(dir, name);
    const text = await readWhileScanning(host, file, findings);
    if (text !== null) vms.push(parseNativeConfig(text, file, name.slice(0, -SUFFIX.length)));
  }
  return { vms, findings, found: names !== null };
}
