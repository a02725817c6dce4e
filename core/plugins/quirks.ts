/**
 * Quirk rules (DESIGN §11): the declarative compatibility list, `plugins/quirks.jsonc` (built in)
 * and `quirks.d/*.jsonc` (community), and the `quirks` plugin that applies them.
 *
 * @module
 */

import { formatSelector } from "../address.ts";
import type { Finding, Level } from "../findings.ts";
import {
  describeNode,
  isSyntaxError,
  type JsonNode,
  parseJsonDoc,
  properties,
  property,
} from "../jsonc.ts";
import type { PciDevice } from "../pciconf.ts";
import { definePlugin, type Plugin } from "./api.ts";

/** What a quirk rule says about matching devices. */
export type QuirkKind = "same-function" | "splittable" | "keep-together" | "note";

const QUIRK_KINDS: readonly QuirkKind[] = ["same-function", "splittable", "keep-together", "note"];

/** One declarative rule of quirks.jsonc. */
export interface QuirkRule {
  /** Vendor id, 4 lower-case hex digits. */
  readonly vendor: string;
  /** Device id, 4 hex digits; null = any device of the vendor. */
  readonly device: string | null;
  /** Class code prefix (2, 4 or 6 hex digits: class, subclass, interface); null = any. */
  readonly class: string | null;
  readonly rule: QuirkKind;
  readonly message: string;
  /** Where the fact comes from: a URL or a document, so that the list can be checked. */
  readonly source: string;
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

const RULE_KEYS = ["vendor", "device", "class", "rule", "message", "source"];

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

function readRule(node: JsonNode, file: string, line: number): QuirkRule | Finding {
  if (node.type !== "object") {
    return quirkFinding(file, line, `a quirk rule must be an object, not ${describeNode(node)}`);
  }
  const text: Record<string, string> = {};
  for (const [key, , value] of properties(node)) {
    if (!RULE_KEYS.includes(key)) {
      return quirkFinding(file, line, `unknown key "${key}"`, `keys: ${RULE_KEYS.join(", ")}`);
    }
    if (value.type !== "string") {
      return quirkFinding(file, line, `"${key}" must be a string, not ${describeNode(value)}`);
    }
    text[key] = value.value as string;
  }
  const vendor = hexId(text.vendor ?? "", [4]);
  if (vendor === null) {
    return quirkFinding(file, line, `bad or missing "vendor": expected 4 hex digits like "10de"`);
  }
  const device = text.device === undefined ? null : hexId(text.device, [4]);
  if (text.device !== undefined && device === null) {
    return quirkFinding(file, line, `bad "device" "${text.device}": expected 4 hex digits`);
  }
  const cls = text.class === undefined ? null : hexId(text.class, [2, 4, 6]);
  if (text.class !== undefined && cls === null) {
    return quirkFinding(
      file,
      line,
      `bad "class" "${text.class}": expected 2, 4 or 6 hex digits like "0c04"`,
    );
  }
  const rule = text.rule as QuirkKind;
  if (!QUIRK_KINDS.includes(rule)) {
    return quirkFinding(
      file,
      line,
      `bad or missing "rule" "${text.rule ?? ""}"`,
      `rules: ${QUIRK_KINDS.join(", ")}`,
    );
  }
  if (!text.message) return quirkFinding(file, line, `missing "message"`);
  if (!text.source) {
    return quirkFinding(
      file,
      line,
      `missing "source"`,
      "cite where the behaviour is documented or was seen (URL, mailing list post, report)",
    );
  }
  return {
    vendor,
    device,
    class: cls,
    rule,
    message: text.message,
    source: text.source,
    file,
    line,
  };
}

/**
 * Parses a quirks file: `{"rules": [{vendor, device?, class?, rule, message, source}, ...]}`.
 * A bad rule is left out with a `plugin` finding naming file and line; the others still apply.
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
    const rule = readRule(item, file, doc.lineOf(item.offset));
    if ("rule" in rule && "vendor" in rule) rules.push(rule);
    else findings.push(rule as Finding);
  }
  return { rules, findings };
}

/** True when a rule is about a device. */
export function quirkMatches(rule: QuirkRule, device: PciDevice): boolean {
  return device.vendorId === rule.vendor &&
    (rule.device === null || device.deviceId === rule.device) &&
    (rule.class === null || device.classCode.startsWith(rule.class));
}

function ruleLabel(rule: QuirkRule): string {
  return `${rule.vendor}${rule.device === null ? "" : ":" + rule.device}` +
    (rule.class === null ? "" : ` class ${rule.class}`);
}

/**
 * The quirk rules as one plugin named `quirks` (it runs after every code plugin). A `splittable`
 * rule says so in the plan only for devices that no code plugin with a group hook advises on
 * (`advisedElsewhere`), so that the same advice is not given twice.
 */
export function quirksPlugin(
  rules: readonly QuirkRule[],
  advisedElsewhere: (device: PciDevice) => boolean = () => false,
): Plugin {
  const rulesFor = (d: PciDevice) => rules.filter((r) => quirkMatches(r, d));
  return definePlugin({
    name: "quirks",
    version: "1",
    description: "declarative rules of quirks.jsonc and quirks.d",
    matches: (d) => rules.some((r) => quirkMatches(r, d)),
    inspect(device) {
      return rulesFor(device).filter((r) => r.rule === "note").map((r) => ({
        level: "info" as Level,
        code: "quirk" as const,
        message: `${r.message} (source: ${r.source})`,
        device: formatSelector(device.address),
      }));
    },
    group(entries, ctx) {
      return entries.map((e) => {
        if (e.device === null) return e;
        let out = e;
        for (const r of rulesFor(e.device)) {
          const reason = `${r.message} (quirk ${ruleLabel(r)}, ${r.file}:${r.line})`;
          // A code plugin that already chose the same grouping keeps its (fuller) reason.
          if (
            (r.rule === "same-function" || r.rule === "keep-together") && out.grouping !== r.rule
          ) {
            out = { ...out, grouping: r.rule, reason };
          } else if (
            r.rule === "splittable" && out.grouping === "auto" && !out.entry.token.split &&
            !advisedElsewhere(e.device)
          ) {
            ctx.report({
              level: "info",
              code: "quirk",
              message: `${out.entry.token.text} may also be split into its own guest slot: ` +
                `${r.message} (source: ${r.source})`,
              device: formatSelector(e.device.address),
            });
          }
        }
        return out;
      });
    },
  });
}
