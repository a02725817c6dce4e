/**
 * The plugins pptkit ships: the code plugins by name (their load order) and the rules of
 * quirks.jsonc (app/builtin_quirks.ts, parsed at build time in the bundles). The app passes
 * them to core/plugins/loading.ts, so core never imports a plugin.
 *
 * @module
 */

import type { PptkitConfig } from "../core/config.ts";
import type { Finding } from "../core/findings.ts";
import type { Host } from "../core/host/host.ts";
import { type BuiltinPlugins, loadPlugins } from "../core/plugins/loading.ts";
import type { PluginRegistry } from "../core/plugins/registry.ts";
import amdGpu from "../plugins/amd_gpu.ts";
import intelNic from "../plugins/intel_nic.ts";
import nvidia from "../plugins/nvidia.ts";
import qlogic from "../plugins/qlogic.ts";
import { builtinQuirks } from "./builtin_quirks.ts";

const CODE = { amd_gpu: amdGpu, intel_nic: intelNic, nvidia, qlogic };

/** The built-in plugins and rules, without touching the host. */
export function builtinPlugins(): BuiltinPlugins {
  const plugins = Object.entries(CODE).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([name, plugin]) => ({
      plugin,
      origin: "built-in" as const,
      path: `plugins/${name}.ts`,
    }));
  return { plugins, rules: builtinQuirks() };
}

/** The plugins of a host: the built-in ones and the community files its config names. */
export async function hostPlugins(host: Host, config: PptkitConfig): Promise<PluginRegistry> {
  return await loadPlugins({
    host,
    config,
    builtin: builtinPlugins(),
    uid: host.uid(),
  });
}

/**
 * What went wrong loading plugins (a refused community file, a broken rule), as warnings: the
 * host's problem, reported by `check` and every hook, never a veto of one VM.
 */
export function loadingWarnings(registry: PluginRegistry): Finding[] {
  return registry.findings.map((f) => f.level === "error" ? { ...f, level: "warn" as const } : f);
}
