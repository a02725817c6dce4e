/**
 * The plugin registry: loaded plugins and rules, callable as {@linkcode PluginHooks}. A plugin
 * that throws, is stopped by its sandbox (too slow, too big), or returns something that is not
 * what the hook promises, becomes a `plugin` finding with its name and file: a warning (its
 * advice is skipped) for inspect, group and matches, an error for prestart, whose check could
 * not be made (so the VM does not start on it: never a silent go). What a community plugin
 * says is shown with its control characters escaped. Pure: loading is core/plugins/loading.ts.
 *
 * @module
 */

import { formatSelector } from "../address.ts";
import type { Finding } from "../findings.ts";
import type { PciDevice } from "../pciconf.ts";
import type { GroupEntry, Plugin, PluginContext, PluginHooks } from "./api.ts";
import type { QuirkRule } from "./quirks.ts";
import { escapeControls } from "../text.ts";
import { quirksPlugin } from "./quirks_plugin.ts";
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

export function isFinding(value: unknown): value is Finding {
  if (typeof value !== "object" || value === null) return false;
  const f = value as Record<string, unknown>;
  return LEVELS.includes(f.level as string) && typeof f.code === "string" &&
    typeof f.message === "string";
}

/** A community plugin's finding with only the fields a finding has, its text escaped. */
export function cleanFinding(f: Finding): Finding {
  const text = (v: unknown) => typeof v === "string" ? escapeControls(v) : undefined;
  const out: Record<string, unknown> = {
    level: f.level,
    code: escapeControls(f.code),
    message: escapeControls(f.message),
  };
  for (const key of ["fix", "device", "file", "vm"] as const) {
    const v = text(f[key]);
    if (v !== undefined) out[key] = v;
  }
  if (Number.isInteger(f.line)) out.line = f.line;
  return out as unknown as Finding;
}

export function errorText(e: unknown): string {
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
      if (check(value)) {
        if (p.origin !== "community" || !Array.isArray(value)) return value as T;
        return value.map((v) => isFinding(v) ? cleanFinding(v) : v) as T;
      }
      problem = `returned something that is not what ${hook} must return`;
    } catch (e) {
      problem = `failed: ${escapeControls(errorText(e))}`;
    }
    const key = `${p.plugin.name}\0${hook}\0${problem}`;
    if (!reported.has(key)) {
      reported.add(key);
      // A prestart check that could not be made cannot let the VM start.
      const veto = hook === "prestart";
      const finding: Finding = {
        level: veto ? "error" : "warn",
        code: "plugin",
        message: `plugin ${p.plugin.name} (${p.path}) ${hook} ${problem}` +
          (veto ? "" : "; its advice is skipped"),
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
        for (const f of reports) {
          if (isFinding(f)) ctx.report(p.origin === "community" ? cleanFinding(f) : f);
        }
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
            () => p.plugin.prestart!({ ...vm, entries: mine }, ctx),
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
