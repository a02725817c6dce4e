/**
 * Plugins (DESIGN §11): vendor quirks as code (`plugins/*.ts`, built in; community files in
 * `/usr/local/etc/pptkit/plugins/*.{ts,js}`) and as data (`plugins/quirks.jsonc`, built in;
 * community rules in `/usr/local/etc/pptkit/quirks.d/*.jsonc`).
 *
 * A plugin is a module whose default export is {@linkcode definePlugin}`({...})` (community files
 * cannot import pptkit's modules, so for them a plain object of the same shape is enough):
 *
 * - `matches(device)`: which devices it is about; every hook sees only those.
 * - `inspect(device, ctx)`: findings about one device (list, show, check).
 * - `group(entries, ctx)`: before slot allocation, may mark a VM's entries `split` (own guest
 *   slot), `keep-together` (stay in their host slot's guest slot) or `same-function` (guest
 *   function = host function, function 0 required); `ctx.report` adds findings.
 * - `prestart(vm, ctx)`: findings before a VM starts; an error-level one vetoes the start.
 *
 * Order is deterministic: built-in plugins by name, then community plugins by file name, then
 * the quirk rules (built-in file first, then quirks.d files by name). A later plugin's grouping
 * overrides an earlier one's. A plugin that throws, or returns something that is not what the
 * hook promises, becomes a `plugin` finding with its name; the run goes on without it.
 *
 * Community files are refused unless the file and its directory are owned by root or by the
 * user running pptkit and are not writable by group or others (sshd's StrictModes rule). Code
 * is never loaded from a snapshot (`--snapshot DIR`): a snapshot is data from someone's host.
 *
 * This module is the heavy part (it loads code); `list --json` and `hook prestart` import it
 * only when plugins are wanted. The other core modules know plugins only through the
 * {@linkcode PluginHooks} type.
 *
 * @module
 */

import BUILTIN_QUIRKS from "../plugins/quirks.jsonc" with { type: "text" };
import { addressKey, formatBsf, formatSelector } from "./address.ts";
import {
  describeNode,
  isSyntaxError,
  type JsonNode,
  parseJsonDoc,
  type PptkitConfig,
  properties,
  property,
} from "./config.ts";
import type { Finding, Level } from "./eligibility.ts";
import { type FileInfo, type Host, importPluginModule } from "./host.ts";
import type { PciDevice } from "./pciconf.ts";
import { compareText, type Entry, joinPath, type VmSource } from "./vms/types.ts";

// ---------------------------------------------------------------------------------------------
// The plugin API

/** How a VM entry is placed in guest slots. */
export type Grouping = "auto" | "split" | "keep-together" | "same-function";

/** One passthru entry of a VM, as the group and prestart hooks see it. */
export interface GroupEntry {
  /** Position in the VM's passthru list. */
  readonly index: number;
  readonly entry: Entry;
  /** The host device at the entry's address; null when the host has none. */
  readonly device: PciDevice | null;
  /**
   * `auto`: grouped by host slot unless the entry has the `-` prefix; `split`: own guest slot;
   * `keep-together`: grouped (a `-` prefix is honoured, with a warning); `same-function`:
   * grouped with host function numbers kept (a `-` prefix is an error).
   */
  readonly grouping: Grouping;
  /** Why the grouping was chosen (`qlogic: ...`), for messages; null for `auto`. */
  readonly reason: string | null;
}

/** A VM that names a device in its config. */
export interface VmUser {
  readonly vm: string;
  readonly source: VmSource;
  readonly running: boolean;
}

/** What every hook may ask about the host. */
export interface PluginContext {
  /** Every device of the host. */
  readonly devices: readonly PciDevice[];
  /** The VM the hook works on (group, prestart); null for inspect. */
  readonly vm: string | null;
  /** All functions of a device's host slot (domain:bus:slot), in function order. */
  slotOf(device: PciDevice): readonly PciDevice[];
  /** The VMs whose configs name a device (empty when usage is not known). */
  usersOf(device: PciDevice): readonly VmUser[];
  /** Adds a finding (meant for the group hook, which returns entries). */
  report(finding: Finding): void;
}

/** The VM a prestart hook checks: its entries that match the plugin. */
export interface PrestartVm {
  readonly name: string;
  readonly entries: readonly GroupEntry[];
}

/** A plugin: see the module comment. */
export interface Plugin {
  /** Lower-case letters, digits, `_` and `-`. */
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  matches(device: PciDevice): boolean;
  inspect?(device: PciDevice, ctx: PluginContext): Finding[];
  group?(entries: readonly GroupEntry[], ctx: PluginContext): readonly GroupEntry[];
  prestart?(vm: PrestartVm, ctx: PluginContext): Finding[];
}

/** What the rest of core calls; the registry implements it. */
export interface PluginHooks {
  /** Every plugin's findings about one device. */
  inspect(device: PciDevice, ctx: PluginContext): Finding[];
  /** Runs the group hooks over a VM's entries; findings go to `ctx.report`. */
  group(entries: readonly GroupEntry[], ctx: PluginContext): GroupEntry[];
  /** Every plugin's prestart findings for a VM. */
  prestart(vm: PrestartVm, ctx: PluginContext): Finding[];
}

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-";

function pluginShapeProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "the default export is not an object";
  const p = value as Record<string, unknown>;
  if (typeof p.name !== "string" || p.name.length === 0 || p.name.length > 64) {
    return "it has no name";
  }
  for (const ch of p.name) {
    if (!NAME_CHARS.includes(ch)) return `bad plugin name "${p.name}": use a-z, 0-9, _ and -`;
  }
  if (typeof p.version !== "string" || p.version.length === 0) return "it has no version";
  if (typeof p.matches !== "function") return "it has no matches(device) function";
  for (const hook of ["inspect", "group", "prestart"]) {
    if (p[hook] !== undefined && typeof p[hook] !== "function") return `${hook} is not a function`;
  }
  if (p.inspect === undefined && p.group === undefined && p.prestart === undefined) {
    return "it has no hook (inspect, group or prestart)";
  }
  return null;
}

/** Declares a plugin; throws a TypeError when its shape is wrong (a bug in the plugin). */
export function definePlugin(plugin: Plugin): Plugin {
  const problem = pluginShapeProblem(plugin);
  if (problem !== null) throw new TypeError(`bad plugin: ${problem}`);
  return Object.freeze({ ...plugin });
}

// ---------------------------------------------------------------------------------------------
// Helpers for plugins about multi-function cards

/** The functions of `device`'s host slot that belong to the same card, in function order. */
export function cardOf(
  device: PciDevice,
  ctx: Pick<PluginContext, "slotOf">,
  belongs: (d: PciDevice) => boolean,
): PciDevice[] {
  return ctx.slotOf(device).filter(belongs);
}

function labelOf(d: PciDevice): string {
  return formatBsf(d.address) ?? formatSelector(d.address);
}

function kindOf(d: PciDevice): string {
  return [d.class, d.subclass].filter((x) => x !== null).join("/") || `class ${d.classCode}`;
}

/**
 * A `partial-device` finding when `vm` passes some functions of a card but not all of them;
 * null when it passes all (or none). `what` names the card in the message (`NVIDIA card`).
 */
export function partialDevice(
  vm: string,
  card: readonly PciDevice[],
  passed: (d: PciDevice) => boolean,
  what: string,
  why: string,
  level: Level = "warn",
): Finding | null {
  const given = card.filter(passed);
  const missing = card.filter((d) => !passed(d));
  if (given.length === 0 || missing.length === 0) return null;
  const list = (ds: PciDevice[]) => ds.map(labelOf).join(", ");
  const missingText = missing.map((d) => `${labelOf(d)} (${kindOf(d)})`).join(", ");
  return {
    level,
    code: "partial-device",
    message: `${vm} passes ${list(given)} but not ${missingText} of the same ${what}: ${why}`,
    fix: `add ${list(missing)} to ${vm}'s passthru list`,
    device: formatSelector(given[0].address),
  };
}

/**
 * `partial-device` findings for the inspect hook: one per VM that names the device, reported
 * on the first function of the card that VM passes (so a card gives one finding per VM).
 */
export function inspectPartial(
  device: PciDevice,
  ctx: PluginContext,
  belongs: (d: PciDevice) => boolean,
  what: string,
  why: string,
  level: Level = "warn",
): Finding[] {
  const card = cardOf(device, ctx, belongs);
  const out: Finding[] = [];
  const vms = new Set(ctx.usersOf(device).map((u) => u.vm));
  for (const vm of [...vms].sort(compareText)) {
    const passed = (d: PciDevice) => ctx.usersOf(d).some((u) => u.vm === vm);
    if (card.find(passed) !== device) continue;
    const f = partialDevice(vm, card, passed, what, why, level);
    if (f !== null) out.push(f);
  }
  return out;
}

/** `partial-device` findings for one VM's entries (group and prestart hooks), one per card. */
export function entriesPartial(
  vm: string,
  entries: readonly GroupEntry[],
  ctx: PluginContext,
  belongs: (d: PciDevice) => boolean,
  what: string,
  why: string,
  level: Level = "warn",
): Finding[] {
  const passedKeys = new Set(
    entries.filter((e) => e.device !== null).map((e) => addressKey(e.device!.address)),
  );
  const passed = (d: PciDevice) => passedKeys.has(addressKey(d.address));
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const e of entries) {
    if (e.device === null) continue;
    const card = cardOf(e.device, ctx, belongs);
    const key = card.length > 0 ? addressKey(card[0].address) : "";
    if (seen.has(key)) continue;
    seen.add(key);
    const f = partialDevice(vm, card, passed, what, why, level);
    if (f !== null) out.push(f);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Quirk rules

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
    message: `${file}:${line}: ${message}`,
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

// ---------------------------------------------------------------------------------------------
// The registry

/** Where a plugin came from. */
export type PluginOrigin = "built-in" | "community";

/** A plugin with where it was loaded from. */
export interface LoadedPlugin {
  readonly plugin: Plugin;
  readonly origin: PluginOrigin;
  /** `plugins/nvidia.ts` for built-ins, the host path for community files. */
  readonly path: string;
}

/** `pptkit plugins --json`: what is loaded, and from where. */
export interface PluginListing {
  readonly schema: "pptkit.plugins/1";
  readonly plugins: {
    readonly name: string;
    readonly version: string;
    readonly description: string | null;
    readonly origin: PluginOrigin;
    readonly path: string;
    readonly hooks: string[];
  }[];
  readonly rules: readonly QuirkRule[];
  readonly findings: Finding[];
}

/** The loaded plugins and rules, callable as {@linkcode PluginHooks}. */
export interface PluginRegistry extends PluginHooks {
  readonly plugins: readonly LoadedPlugin[];
  readonly rules: readonly QuirkRule[];
  /** Refused files, broken rules, plugins that failed (each failure once). */
  readonly findings: Finding[];
  describe(): PluginListing;
}

const LEVELS: readonly string[] = ["error", "warn", "info"];

function isFinding(value: unknown): value is Finding {
  if (typeof value !== "object" || value === null) return false;
  const f = value as Record<string, unknown>;
  return LEVELS.includes(f.level as string) && typeof f.code === "string" &&
    typeof f.message === "string";
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const nl = text.indexOf("\n");
  return nl < 0 ? text : text.slice(0, nl);
}

/**
 * Builds a registry over loaded plugins and rules. Pure: loading is {@linkcode loadPlugins}'s
 * job. `findings` are the loading problems to carry along.
 */
export function createRegistry(
  loaded: readonly LoadedPlugin[],
  rules: readonly QuirkRule[],
  findings: readonly Finding[] = [],
): PluginRegistry {
  const all: LoadedPlugin[] = [...loaded];
  const problems: Finding[] = [...findings];
  const reported = new Set<string>();
  if (rules.length > 0) {
    const grouping = loaded.filter((p) => p.plugin.group !== undefined);
    const advised = (d: PciDevice) => grouping.some((p) => matches(p, d));
    const files = [...new Set(rules.map((r) => r.file))].join(", ");
    all.push({ plugin: quirksPlugin(rules, advised), origin: "built-in", path: files });
  }

  /** Runs one hook of one plugin; a throw or a bad result is reported once and ignored. */
  function guarded<T>(
    p: LoadedPlugin,
    hook: string,
    fallback: T,
    check: (value: unknown) => boolean,
    run: () => unknown,
    out: Finding[] | null,
  ): T {
    let problem: string;
    try {
      const value = run();
      if (check(value)) return value as T;
      problem = `returned something that is not what ${hook} must return`;
    } catch (e) {
      problem = `failed: ${errorText(e)}`;
    }
    const key = `${p.plugin.name}\0${hook}\0${problem}`;
    if (!reported.has(key)) {
      reported.add(key);
      const finding: Finding = {
        level: "warn",
        code: "plugin",
        message: `plugin ${p.plugin.name} (${p.path}) ${hook} ${problem}; its advice is skipped`,
        fix: p.origin === "community"
          ? `fix or remove ${p.path}`
          : "report this as a pptkit bug, with the output of pptkit snapshot",
      };
      problems.push(finding);
      out?.push(finding);
    }
    return fallback;
  }

  function matches(p: LoadedPlugin, d: PciDevice): boolean {
    return guarded(
      p,
      "matches",
      false,
      (v) => typeof v === "boolean",
      () => p.plugin.matches(d),
      null,
    );
  }
  const isFindingList = (v: unknown) => Array.isArray(v) && v.every(isFinding);

  return {
    plugins: all,
    rules,
    findings: problems,
    inspect(device, ctx) {
      const out: Finding[] = [];
      for (const p of all) {
        if (p.plugin.inspect === undefined || !matches(p, device)) continue;
        const found = guarded<Finding[]>(
          p,
          "inspect",
          [],
          isFindingList,
          () => p.plugin.inspect!(device, ctx),
          out,
        );
        for (const f of found) out.push({ device: formatSelector(device.address), ...f });
      }
      return out;
    },
    group(entries, ctx) {
      let current = [...entries];
      for (const p of all) {
        if (p.plugin.group === undefined) continue;
        const mine = current.filter((e) => e.device !== null && matches(p, e.device));
        if (mine.length === 0) continue;
        const indices = new Set(mine.map((e) => e.index));
        const valid = (v: unknown) =>
          Array.isArray(v) && v.length === mine.length &&
          v.every((e) =>
            typeof e === "object" && e !== null && indices.has((e as GroupEntry).index) &&
            ["auto", "split", "keep-together", "same-function"].includes(
              (e as GroupEntry).grouping,
            )
          );
        const reports: Finding[] = [];
        const local: PluginContext = { ...ctx, report: (f) => reports.push(f) };
        const failures: Finding[] = [];
        const changed = guarded<GroupEntry[] | null>(
          p,
          "group",
          null,
          valid,
          () => p.plugin.group!(mine, local),
          failures,
        );
        for (const f of failures) ctx.report(f);
        if (changed === null) continue;
        for (const f of reports) if (isFinding(f)) ctx.report(f);
        const byIndex = new Map(changed.map((e) => [e.index, e]));
        current = current.map((e) => {
          const c = byIndex.get(e.index);
          return c === undefined
            ? e
            : { ...e, grouping: c.grouping, reason: c.reason ?? `plugin ${p.plugin.name}` };
        });
      }
      return current;
    },
    prestart(vm, ctx) {
      const out: Finding[] = [];
      for (const p of all) {
        if (p.plugin.prestart === undefined) continue;
        const mine = vm.entries.filter((e) => e.device !== null && matches(p, e.device));
        if (mine.length === 0) continue;
        out.push(
          ...guarded<Finding[]>(
            p,
            "prestart",
            [],
            isFindingList,
            () => p.plugin.prestart!({ name: vm.name, entries: mine }, ctx),
            out,
          ),
        );
      }
      return out;
    },
    describe() {
      return {
        schema: "pptkit.plugins/1",
        plugins: all.map((p) => ({
          name: p.plugin.name,
          version: p.plugin.version,
          description: p.plugin.description ?? null,
          origin: p.origin,
          path: p.path,
          hooks: ["inspect", "group", "prestart"].filter((h) =>
            (p.plugin as unknown as Record<string, unknown>)[h] !== undefined
          ),
        })),
        rules: [...rules],
        findings: [...problems],
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Loading

/** The built-in code plugins, by name (their load order). */
const BUILTIN_MODULES: Record<string, () => Promise<{ default: Plugin }>> = {
  amd_gpu: () => import("../plugins/amd_gpu.ts"),
  intel_nic: () => import("../plugins/intel_nic.ts"),
  nvidia: () => import("../plugins/nvidia.ts"),
  qlogic: () => import("../plugins/qlogic.ts"),
};

/** The built-in plugins and rules, without touching the host. */
export async function builtinPlugins(): Promise<{ plugins: LoadedPlugin[]; rules: QuirkRule[] }> {
  const plugins: LoadedPlugin[] = [];
  for (const name of Object.keys(BUILTIN_MODULES).sort()) {
    const mod = await BUILTIN_MODULES[name]();
    plugins.push({ plugin: mod.default, origin: "built-in", path: `plugins/${name}.ts` });
  }
  const { rules, findings } = parseQuirks(BUILTIN_QUIRKS, "plugins/quirks.jsonc");
  if (findings.length > 0) throw new Error(`built-in quirks are broken: ${findings[0].message}`);
  return { plugins, rules };
}

/**
 * Why a community file may not be trusted, or null when it may: it must be a regular file (or
 * directory) owned by root or `uid`, and not writable by group or others.
 */
export function untrustedReason(
  info: FileInfo | null,
  uid: number | null,
  what: string,
): string | null {
  if (info === null) return `${what} does not exist`;
  if (info.uid === null || info.mode === null) return `cannot check the owner and mode of ${what}`;
  if (info.uid !== 0 && info.uid !== uid) {
    return `${what} is owned by uid ${info.uid}, not root${
      uid === null || uid === 0 ? "" : ` or uid ${uid}`
    }`;
  }
  if ((info.mode & 0o022) !== 0) {
    const mode = info.mode.toString(8).padStart(4, "0");
    return `${what} is writable by ${
      (info.mode & 0o020) !== 0 ? "its group" : "others"
    } (mode ${mode})`;
  }
  return null;
}

function refused(path: string, reason: string, fix: string): Finding {
  return {
    level: "error",
    code: "plugin",
    message: `refusing ${path}: ${reason}`,
    fix,
    file: path,
  };
}

/** Options of {@linkcode loadPlugins}. */
export interface LoadPluginsOptions {
  readonly host: Pick<Host, "kind" | "readDir" | "readText" | "stat" | "realPath">;
  readonly config: Pick<PptkitConfig, "pluginDirs" | "quirksDir">;
  /** The user running pptkit (`Deno.uid()`); null when unknown: then only root may own files. */
  readonly uid: number | null;
  /** Loads a module from a host path; default: {@linkcode importPluginModule}. */
  readonly importModule?: (path: string) => Promise<Record<string, unknown>>;
}

/** Lists `dir` for community files, after checking the directory itself. */
async function trustedFiles(
  options: LoadPluginsOptions,
  dir: string,
  accept: (name: string) => boolean,
  findings: Finding[],
): Promise<string[]> {
  const { host, uid } = options;
  const dirInfo = await host.stat(dir);
  if (dirInfo === null) return [];
  const names = (await host.readDir(dir)) ?? [];
  const wanted = names.filter((n) => !n.startsWith(".") && accept(n));
  if (wanted.length === 0) return [];
  const dirProblem = !dirInfo.isDirectory
    ? `${dir} is not a directory`
    : untrustedReason(dirInfo, uid, `directory ${dir}`);
  if (dirProblem !== null) {
    findings.push(refused(dir, dirProblem, `chown root ${dir} && chmod go-w ${dir}`));
    return [];
  }
  const out: string[] = [];
  for (const name of wanted) {
    const path = joinPath(dir, name);
    const info = await host.stat(path);
    const problem = info !== null && !info.isFile
      ? "not a regular file (symbolic links are not followed)"
      : untrustedReason(info, uid, path);
    if (problem !== null) {
      findings.push(refused(path, problem, `chown root ${path} && chmod go-w ${path}`));
      continue;
    }
    out.push(path);
  }
  return out;
}

/**
 * Loads the built-in plugins and rules, then the community ones the config points at, and
 * returns the registry. Never throws for a bad community file: it is refused with a finding.
 */
export async function loadPlugins(options: LoadPluginsOptions): Promise<PluginRegistry> {
  const { host, config } = options;
  const findings: Finding[] = [];
  const builtin = await builtinPlugins();
  const plugins = [...builtin.plugins];
  const rules = [...builtin.rules];
  const names = new Set(plugins.map((p) => p.plugin.name).concat("quirks"));

  const isCode = (n: string) => n.endsWith(".ts") || n.endsWith(".js");
  const importModule = options.importModule ??
    ((path: string) => importPluginModule(host as Host, path));
  for (const dir of config.pluginDirs) {
    const files = await trustedFiles(options, dir, isCode, findings);
    if (files.length > 0 && host.kind === "snapshot") {
      findings.push({
        level: "info",
        code: "plugin",
        message: `not loading code plugins from a snapshot: ${files.join(", ")}`,
        fix: "a snapshot is data from another host; install plugins on this host to use them",
      });
      continue;
    }
    for (const path of files.sort(compareText)) {
      let mod: Record<string, unknown>;
      try {
        mod = await importModule(path);
      } catch (e) {
        findings.push({
          level: "error",
          code: "plugin",
          message: `cannot load plugin ${path}: ${errorText(e)}`,
          fix: `fix or remove ${path}`,
          file: path,
        });
        continue;
      }
      const problem = pluginShapeProblem(mod.default);
      if (problem !== null) {
        findings.push({
          level: "error",
          code: "plugin",
          message: `cannot use plugin ${path}: ${problem}`,
          fix: "export default { name, version, matches(device), inspect?, group?, prestart? }",
          file: path,
        });
        continue;
      }
      const plugin = mod.default as Plugin;
      if (names.has(plugin.name)) {
        findings.push({
          level: "error",
          code: "plugin",
          message: `cannot use plugin ${path}: the name "${plugin.name}" is already taken`,
          fix: "give the plugin a name of its own",
          file: path,
        });
        continue;
      }
      names.add(plugin.name);
      plugins.push({ plugin, origin: "community", path });
    }
  }

  const quirkFiles = await trustedFiles(
    options,
    config.quirksDir,
    (n) => n.endsWith(".jsonc"),
    findings,
  );
  for (const path of quirkFiles.sort(compareText)) {
    const text = await host.readText(path);
    if (text === null) continue;
    const parsed = parseQuirks(text, path);
    rules.push(...parsed.rules);
    findings.push(...parsed.findings);
  }
  return createRegistry(plugins, rules, findings);
}
