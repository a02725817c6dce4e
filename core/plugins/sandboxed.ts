/**
 * A community plugin that runs in a sandbox (core/host/sandbox.ts) as a plugin object:
 * each hook is a synchronous call into its Worker. The context's functions cannot cross into
 * the Worker, so a context is sent as data once (the devices, and who uses and locks which
 * device), and the Worker builds the same context from it. What comes back is data too: the
 * registry checks it like any plugin's answer.
 *
 * @module
 */

import { addressKey } from "../address.ts";
import type { SandboxContextData, SandboxedModule } from "../host/sandbox.ts";
import type { PciDevice } from "../pciconf.ts";
import type { PluginContext } from "./api.ts";
import { cleanFinding, isFinding } from "./registry.ts";

/** A context as data for the Worker. */
function contextData(ctx: PluginContext): SandboxContextData {
  const users: [string, unknown][] = [];
  const locks: [string, string][] = [];
  for (const d of ctx.devices) {
    const used = ctx.usersOf(d);
    if (used.length > 0) users.push([addressKey(d.address), used]);
    const vm = ctx.lockedBy(d);
    if (vm !== null) locks.push([addressKey(d.address), vm]);
  }
  return { devices: ctx.devices, vm: ctx.vm, release: ctx.release, users, locks };
}

/**
 * The plugin a sandbox holds, with the hooks its default export has. A hook's failure (it
 * threw, it was stopped) is thrown as an Error for the registry to report.
 */
export function sandboxedPlugin(mod: SandboxedModule): Record<string, unknown> {
  const exports = mod.exports;
  const out: Record<string, unknown> = {
    name: exports?.name,
    version: exports?.version,
    description: exports?.description ?? undefined,
  };
  const call = (hook: string, args: unknown[], ctx?: PluginContext): unknown => {
    const answer = mod.call(
      hook,
      args,
      ctx === undefined ? undefined : { key: ctx, describe: () => contextData(ctx) },
    );
    // What it reports is shown like what it returns: only findings, their text escaped.
    for (const r of answer.reports) if (isFinding(r)) ctx?.report(cleanFinding(r));
    return answer.value;
  };
  // The registry asks again for each hook; a device's answer does not change.
  const matched = new WeakMap<PciDevice, boolean>();
  const hooks: Record<string, (...args: never[]) => unknown> = {
    matches: (d: PciDevice) => {
      const known = matched.get(d);
      if (known !== undefined) return known;
      const value = call("matches", [d]);
      if (typeof value === "boolean") matched.set(d, value);
      return value;
    },
    inspect: (d: PciDevice, ctx: PluginContext) => call("inspect", [d], ctx),
    group: (entries: unknown[], ctx: PluginContext) => call("group", [entries], ctx),
    prestart: (vm: unknown, ctx: PluginContext) => call("prestart", [vm], ctx),
  };
  for (const hook of exports?.hooks ?? []) {
    const [name, bad] = hook.split(":");
    out[name] = bad === undefined ? hooks[name] : "not a function";
  }
  return out;
}
