/**
 * `explain`: the host facts a message is checked against, or why there are none (a host pptkit
 * cannot read is no reason to fail: the checks to run by hand are listed instead).
 *
 * @module
 */

import type { PptkitConfig } from "../core/config.ts";
import { PptkitError } from "../core/errors.ts";
import type { ExplainFacts } from "../core/explain/types.ts";
import type { Host } from "../core/host/host.ts";
import { parseSysctl } from "../core/inventory.ts";
import { DEFAULT_STALE_AFTER_SECONDS } from "../core/ownership/locks.ts";
import { loadHostState } from "./host_state.ts";
import { hostPlugins } from "./plugins.ts";

/** The facts, where they come from, or the problem that kept pptkit from reading them. */
export type ExplainHost =
  | { readonly facts: ExplainFacts; readonly where: string; readonly problem: null }
  | { readonly facts: null; readonly where: ""; readonly problem: string };

/**
 * Reads what explain needs to know about the host; with `plugins`, the vendor plugins too (the
 * lint of a logged command line asks them, e.g. for a GPU passed without its audio).
 */
export async function explainFacts(
  openHost: () => Promise<Host>,
  loadConfig: () => Promise<PptkitConfig>,
  options: { readonly plugins: boolean } = { plugins: false },
): Promise<ExplainHost> {
  try {
    const host = await openHost();
    const config = await loadConfig();
    const state = await loadHostState(host, config, { vms: "running" });
    const sysctl = await host.capture("sysctl");
    const initialized = sysctl === null
      ? undefined
      : parseSysctl(sysctl).get("hw.vmm.iommu.initialized");
    return {
      facts: {
        inventory: state.inventory,
        locks: state.locks,
        running: state.running,
        iommuInitialized: initialized === undefined ? null : initialized === "1",
        now: host.now(),
        staleAfterMs: DEFAULT_STALE_AFTER_SECONDS * 1000,
        plugins: options.plugins ? await hostPlugins(host, config) : null,
      },
      where: host.description,
      problem: null,
    };
  } catch (e) {
    if (!(e instanceof PptkitError)) throw e;
    return { facts: null, where: "", problem: e.message };
  }
}
