/**
 * Quirk rules (DESIGN §11): the declarative compatibility list, `plugins/quirks.jsonc` (built in)
 * and `quirks.d/*.jsonc` (community). This module reads them ({@linkcode parseQuirks}: one pure
 * function over the text, so that it can also run at build time) and says which devices a rule
 * is about; core/plugins/quirks_plugin.ts turns the rules into the `quirks` plugin.
 *
 * A rule: `vendor` (4 hex digits), optional `device`, `subvendor`, `subdevice` (4 hex digits)
 * and `class` (a prefix of the 6-digit class code), a `rule` (the kind, {@linkcode QUIRK_KINDS}),
 * a one-line `message`, the `source` that states it, and optionally `observed` (the setup it was
 * seen on: `freebsd`, `guest`, `bhyve`, `wrapper`), `ids` (`report`: the ids are the ones the
 * report shows; `product`: the report names a product and the id is that product's well-known
 * id), `note` (the curator's remark) and, for `needs-release`, `minRelease` (the first release of
 * each branch that has the fix, like `["13.2", "14.0"]`). Files written for the first six kinds
 * (vendor, device, class, rule, message, source) read the same as before.
 *
 * @module
 */

import type { Finding } from "../findings.ts";
import {
  describeNode,
  isSyntaxError,
  type JsonNode,
  parseJsonDoc,
  properties,
  property,
} from "../jsonc.ts";
import type { PciDevice } from "../pciconf.ts";

/** What a quirk rule says about matching devices. */
export type QuirkKind =
  | "same-function"
  | "splittable"
  | "keep-together"
  | "note"
  | "works"
  | "reset-bug"
  | "host-hang"
  | "guest-driver"
  | "needs-rom"
  | "needs-release";

/** Every kind, in the order the file comment and the man page explain them. */
export const QUIRK_KINDS: readonly QuirkKind[] = [
  "same-function",
  "keep-together",
  "splittable",
  "note",
  "works",
  "reset-bug",
  "host-hang",
  "guest-driver",
  "needs-rom",
  "needs-release",
];

/** The setup a report was made on, as the report states it; null where it says nothing. */
export interface QuirkObserved {
  readonly freebsd: string | null;
  readonly guest: string | null;
  readonly bhyve: string | null;
  readonly wrapper: string | null;
}

const OBSERVED_KEYS: readonly (keyof QuirkObserved)[] = ["freebsd", "guest", "bhyve", "wrapper"];

/** Where a rule's device id comes from. */
export type QuirkIds = "report" | "product";

/** One declarative rule of quirks.jsonc. */
export interface QuirkRule {
  /** Vendor id, 4 lower-case hex digits. */
  readonly vendor: string;
  /** Device id, 4 hex digits; null = any device of the vendor. */
  readonly device: string | null;
  /** Subsystem vendor and device ids, 4 hex digits; null = any. */
  readonly subvendor: string | null;
  readonly subdevice: string | null;
  /** Class code prefix (2, 4 or 6 hex digits: class, subclass, interface); null = any. */
  readonly class: string | null;
  readonly rule: QuirkKind;
  readonly message: string;
  /** Where the fact comes from: a URL or a document, so that the list can be checked. */
  readonly source: string;
  /** The setup the report was made on; null when the rule says nothing about it. */
  readonly observed: QuirkObserved | null;
  /** `report`: the report shows these ids; `product`: the product's well-known id; null: unsaid. */
  readonly ids: QuirkIds | null;
  /** The curator's remark (where the ids come from, what the report leaves open). */
  readonly note: string | null;
  /** `needs-release`: the first release of each branch with the fix (`13.2`, `14.0`). */
  readonly minRelease: readonly string[] | null;
  readonly file: string;
  readonly line: number;
}

function isHex(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
    if (!hex) return false;
  }
  return true;
}

function hexId(value: string, lengths: readonly number[]): string | null {
  const digits = value.startsWith("0x") ? value.slice(2) : value;
  return lengths.includes(digits.length) && isHex(digits) ? digits.toLowerCase() : null;
}

/** `13.2` -> [13, 2]; null for anything else. */
export function releaseNumber(text: string): [number, number] | null {
  const dot = text.indexOf(".");
  if (dot <= 0 || dot > 3 || text.length - dot > 3 || text.length === dot + 1) return null;
  const major = text.slice(0, dot), minor = text.slice(dot + 1);
  for (const part of [major, minor]) {
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      if (c < 48 || c > 57) return null;
    }
  }
  return [Number(major), Number(minor)];
}

const STRING_KEYS = ["vendor", "device", "subvendor", "subdevice", "class", "rule", "message"]
  .concat(["source", "ids", "note"]);
const RULE_KEYS = [...STRING_KEYS, "observed", "minRelease"];

function quirkFinding(file: string, line: number, message: string, fix?: string): Finding {
  return {
    level: "error",
    code: "plugin",
    message,
    ...(fix === undefined ? {} : { fix }),
    file,
    line,
  };
}

/** Reads `observed`: an object of strings (or null) under the four known keys. */
function readObserved(node: JsonNode): QuirkObserved | string {
  if (node.type === "null") return { freebsd: null, guest: null, bhyve: null, wrapper: null };
  if (node.type !== "object") return `"observed" must be an object, not ${describeNode(node)}`;
  const out: Record<string, string | null> = {};
  for (const [key, , value] of properties(node)) {
    if (!(OBSERVED_KEYS as readonly string[]).includes(key)) {
      return `unknown key "observed.${key}" (keys: ${OBSERVED_KEYS.join(", ")})`;
    }
    if (value.type !== "string" && value.type !== "null") {
      return `"observed.${key}" must be a string or null, not ${describeNode(value)}`;
    }
    const text = value.type === "string" ? String(value.value).trim() : "";
    out[key] = text === "" ? null : text;
  }
  return {
    freebsd: out.freebsd ?? null,
    guest: out.guest ?? null,
    bhyve: out.bhyve ?? null,
    wrapper: out.wrapper ?? null,
  };
}

/** Reads `minRelease`: a non-empty array of `MAJOR.MINOR` strings. */
function readMinRelease(node: JsonNode): string[] | string {
  const shape = `expected releases like ["13.2", "14.0"]`;
  if (node.type !== "array" || (node.children ?? []).length === 0) {
    return `"minRelease" must be a non-empty array: ${shape}`;
  }
  const out: string[] = [];
  for (const item of node.children ?? []) {
    const text = item.type === "string" ? String(item.value) : "";
    if (releaseNumber(text) === null) {
      return `bad "minRelease" entry ${describeNode(item)}: ${shape}`;
    }
    out.push(text);
  }
  return out;
}

function readRule(
  node: JsonNode,
  file: string,
  lineOf: (offset: number) => number,
): QuirkRule | Finding {
  const line = lineOf(node.offset);
  const bad = (message: string, fix?: string, at = line) => quirkFinding(file, at, message, fix);
  if (node.type !== "object") {
    return bad(`a quirk rule must be an object, not ${describeNode(node)}`);
  }
  const text: Record<string, string> = {};
  let observed: QuirkObserved | null = null;
  let minRelease: string[] | null = null;
  for (const [key, keyNode, value] of properties(node)) {
    const at = lineOf(keyNode.offset);
    if (!RULE_KEYS.includes(key)) {
      return bad(`unknown key "${key}"`, `keys: ${RULE_KEYS.join(", ")}`, at);
    }
    if (key === "observed") {
      const read = readObserved(value);
      if (typeof read === "string") return bad(read, undefined, at);
      observed = OBSERVED_KEYS.every((k) => read[k] === null) ? null : read;
      continue;
    }
    if (key === "minRelease") {
      const read = readMinRelease(value);
      if (typeof read === "string") return bad(read, undefined, at);
      minRelease = read;
      continue;
    }
    if (value.type !== "string") {
      return bad(`"${key}" must be a string, not ${describeNode(value)}`, undefined, at);
    }
    text[key] = value.value as string;
  }
  const vendor = hexId(text.vendor ?? "", [4]);
  if (vendor === null) {
    return bad(`bad or missing "vendor": expected 4 hex digits like "10de"`);
  }
  const ids: Record<"device" | "subvendor" | "subdevice", string | null> = {
    device: null,
    subvendor: null,
    subdevice: null,
  };
  for (const key of ["device", "subvendor", "subdevice"] as const) {
    if (text[key] === undefined) continue;
    ids[key] = hexId(text[key], [4]);
    if (ids[key] === null) return bad(`bad "${key}" "${text[key]}": expected 4 hex digits`);
  }
  const cls = text.class === undefined ? null : hexId(text.class, [2, 4, 6]);
  if (text.class !== undefined && cls === null) {
    return bad(`bad "class" "${text.class}": expected 2, 4 or 6 hex digits like "0c04"`);
  }
  const rule = text.rule as QuirkKind;
  if (!QUIRK_KINDS.includes(rule)) {
    return bad(`bad or missing "rule" "${text.rule ?? ""}"`, `rules: ${QUIRK_KINDS.join(", ")}`);
  }
  if (!text.message) return bad(`missing "message"`);
  if (!text.source) {
    return bad(
      `missing "source"`,
      "cite where the behaviour is documented or was seen (URL, mailing list post, report)",
    );
  }
  if (text.ids !== undefined && text.ids !== "report" && text.ids !== "product") {
    return bad(
      `bad "ids" "${text.ids}"`,
      `"report" (the report shows these ids) or "product" (the product's well-known id)`,
    );
  }
  if (text.ids !== undefined && ids.device === null) {
    return bad(`"ids" says where the device id comes from, and this rule has no "device"`);
  }
  if (minRelease !== null && rule !== "needs-release") {
    return bad(`"minRelease" goes with the rule "needs-release", not "${rule}"`);
  }
  return {
    vendor,
    device: ids.device,
    subvendor: ids.subvendor,
    subdevice: ids.subdevice,
    class: cls,
    rule,
    message: text.message,
    source: text.source,
    observed,
    ids: (text.ids as QuirkIds | undefined) ?? null,
    note: text.note ?? null,
    minRelease,
    file,
    line,
  };
}

/**
 * Parses a quirks file: `{"rules": [{vendor, device?, class?, rule, message, source, ...}]}`.
 * A bad rule is left out with a `plugin` finding naming file and line; the others still apply.
 * Pure: the same text gives the same rules, here or at build time.
 */
export function parseQuirks(
  text: string,
  file: string,
): { rules: QuirkRule[]; findings: Finding[] } {
  const doc = parseJsonDoc(text, file);
  if (isSyntaxError(doc)) {
    return { rules: [], findings: [quirkFinding(file, doc.line, `bad JSONC: ${doc.message}`)] };
  }
  const list = doc.root.type === "object" ? property(doc.root, "rules") : undefined;
  if (list === undefined || list.type !== "array") {
    return {
      rules: [],
      findings: [quirkFinding(
        file,
        doc.lineOf((list ?? doc.root).offset),
        `expected {"rules": [...]}`,
      )],
    };
  }
  const rules: QuirkRule[] = [];
  const findings: Finding[] = [];
  for (const item of list.children ?? []) {
    const rule = readRule(item, file, doc.lineOf);
    if ("rule" in rule && "vendor" in rule) rules.push(rule);
    else findings.push(rule as Finding);
  }
  return { rules, findings };
}

/** True when a rule is about a device. */
export function quirkMatches(rule: QuirkRule, device: PciDevice): boolean {
  return device.vendorId === rule.vendor &&
    (rule.device === null || device.deviceId === rule.device) &&
    (rule.subvendor === null || device.subvendorId === rule.subvendor) &&
    (rule.subdevice === null || device.subdeviceId === rule.subdevice) &&
    (rule.class === null || device.classCode.startsWith(rule.class));
}

/** How narrowly a rule matches: a device id first, then subsystem ids, then the class. */
export function quirkSpecificity(rule: QuirkRule): number {
  return (rule.device === null ? 0 : 100) + (rule.subvendor === null ? 0 : 20) +
    (rule.subdevice === null ? 0 : 20) + (rule.class?.length ?? 0);
}

/** `10de:1e04 class 0300`: how messages name the devices a rule is about. */
export function quirkLabel(rule: QuirkRule): string {
  const sub = rule.subvendor === null && rule.subdevice === null
    ? ""
    : ` (subsystem ${rule.subvendor ?? "any"}:${rule.subdevice ?? "any"})`;
  return `${rule.vendor}${rule.device === null ? "" : ":" + rule.device}${sub}` +
    (rule.class === null ? "" : ` class ${rule.class}`);
}

/** `FreeBSD 14.3-RELEASE, guest Windows 10, vm-bhyve`: the setup of a report, or "". */
export function observedText(observed: QuirkObserved | null): string {
  if (observed === null) return "";
  const parts: string[] = [];
  if (observed.freebsd !== null) {
    const c = observed.freebsd.charCodeAt(0);
    parts.push(c >= 48 && c <= 57 ? `FreeBSD ${observed.freebsd}` : observed.freebsd);
  }
  if (observed.guest !== null) parts.push(`guest ${observed.guest}`);
  if (observed.bhyve !== null) parts.push(`bhyve ${observed.bhyve}`);
  if (observed.wrapper !== null) parts.push(observed.wrapper);
  return parts.join(", ");
}

/** `14.1-RELEASE-p3` (uname -r) -> [14, 1]; null when it does not start so. */
export function hostRelease(release: string): [number, number] | null {
  const dash = release.indexOf("-");
  return releaseNumber(dash < 0 ? release : release.slice(0, dash));
}

/** `MAJOR.MINOR` releases, oldest first. */
export function sortedReleases(list: readonly string[]): string[] {
  return [...list].sort((a, b) => {
    const [x, y] = [releaseNumber(a)!, releaseNumber(b)!];
    return x[0] - y[0] || x[1] - y[1];
  });
}

/**
 * Whether a release (`14.1-RELEASE-p3`, from `uname -r`) has what `minRelease` asks for: the
 * entry of the same major release decides; a release newer than every entry has it, one older
 * than the entry of the next branch does not. Null when the release cannot be read.
 */
export function releaseAtLeast(release: string, minRelease: readonly string[]): boolean | null {
  const host = hostRelease(release);
  if (host === null) return null;
  const wanted = sortedReleases(minRelease).map((r) => releaseNumber(r)!);
  for (const [major, minor] of wanted) {
    if (major === host[0]) return host[1] >= minor;
    if (major > host[0]) return false;
  }
  return true;
}
