/**
 * The plugins pptkit ships: the code plugins by name (their load order) and the rules of
 * quirks.jsonc. The app passes them to core/plugins/loading.ts, so core never imports a plugin.
 *
 * @module
 */

import QUIRKS from "./quirks.jsonc" with { type: "text" };
import type { BuiltinPlugins } from "../core/plugins/loading.ts";
import { parseQuirks } from "../core/plugins/quirks.ts";
import amdGpu from "./amd_gpu.ts";
import intelNic from "./intel_nic.ts";
import nvidia from "./nvidia.ts";
import qlogic from "./qlogic.ts";

const CODE = { amd_gpu: amdGpu, intel_nic: intelNic, nvidia, qlogic };

/** The built-in plugins and rules, without touching the host. */
export function builtinPlugins(): BuiltinPlugins {
  const plugins = Object.entries(CODE).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([name, plugin]) => ({
      plugin,
      origin: "built-in" as const,
      path: `plugins/${name}.ts`,
    }));
  const { rules, findings } = parseQuirks(QUIRKS, "plugins/quirks.jsonc");
  if (findings.length > 0) throw new Error(`built-in quirks are broken: ${findings[0].message}`);
  return { plugins, rules };
}
