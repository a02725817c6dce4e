/**
 * May this VM start now? The start check of `hook prestart` and `check --vm`: the VM's devices
 * (from `--devices` or its config), the host state around them, and the verdict engine's
 * judgement with ownership (locks, running VMs). No lock is taken here.
 *
 * @module
 */

import type { AddressToken, PciAddress } from "../core/address.ts";
import type { PptkitConfig } from "../core/config.ts";
import { ExitCode, PptkitError, usageError } from "../core/errors.ts";
import { type Finding, locationPrefix } from "../core/findings.ts";
import type { Host } from "../core/host/host.ts";
import type { Inventory } from "../core/inventory.ts";
import { DEFAULT_STALE_AFTER_SECONDS } from "../core/ownership/locks.ts";
import { judgeVm, type VmRequest, type VmVerdict } from "../core/verdict.ts";
import { loadVmConfig } from "../core/vms/index.ts";
import {
  checkVmName,
  type Entry,
  requireUsable,
  resolveNamed,
  type VmConfig,
  type VmSource,
} from "../core/vms/types.ts";
import { type HostState, loadHostState, type VmScope } from "./host_state.ts";
import { hostPlugins, loadingWarnings } from "./plugins.ts";

/** Where a VM's devices come from: `--devices`, or one wrapper's config (all when absent). */
export interface VmSelection {
  readonly wrapper?: VmSource;
  /** `--devices`, parsed. */
  readonly devices?: readonly AddressToken[];
}

/** The VM's devices as written, before names (`ppt0`) are resolved against the host. */
interface VmSpec {
  readonly vm: string;
  readonly source: VmSource | "--devices";
  readonly file: string | null;
  readonly tokens: readonly { readonly token: AddressToken; readonly entry: Entry | null }[];
  readonly findings: readonly Finding[];
  /** The VM's config, when it comes from one (its wrapper's layout, names to resolve). */
  readonly config?: VmConfig;
}

/** Reads the VM's devices: `--devices`, or its config (66 unknown VM, 65 / 78 a broken one). */
export async function readVmSpec(
  host: Host,
  config: PptkitConfig,
  vm: string,
  selection: VmSelection,
): Promise<VmSpec> {
  checkVmName(vm);
  if (selection.devices !== undefined) {
    if (selection.wrapper !== undefined) {
      throw usageError(
        "--devices and --wrapper exclude each other",
        "--devices names the devices; --wrapper reads them from a VM config",
      );
    }
    return {
      vm,
      source: "--devices",
      file: null,
      tokens: selection.devices.map((token) => ({ token, entry: null })),
      findings: [],
    };
  }
  const found = requireUsable(await loadVmConfig(host, config, vm, selection.wrapper));
  return {
    vm,
    source: found.source,
    file: found.file,
    tokens: [
      ...found.passthru.map((entry) => ({ token: entry.token, entry })),
      ...(found.named ?? []).map((n) => ({ token: n.token, entry: null })),
    ],
    findings: found.findings,
    config: found,
  };
}

/** The spec as the engine's request: device names resolved; a name no device has is a finding. */
function requestOf(spec: VmSpec, inventory: Inventory): VmRequest {
  if (spec.config !== undefined) {
    // A config's names (vm-bhyve's ppt2) are resolved in the config's own order.
    const devices = inventory.devices.map((d) => d.device);
    const resolved = resolveNamed(spec.config, devices, inventory.hostDescription);
    return {
      vm: spec.vm,
      source: spec.source,
      file: spec.file,
      entries: resolved.passthru,
      findings: resolved.findings,
      guest: resolved.guest ?? null,
      ...(resolved.inactive === undefined ? {} : { inactive: resolved.inactive }),
    };
  }
  const entries: Entry[] = [];
  const findings: Finding[] = [...spec.findings];
  spec.tokens.forEach(({ token, entry }, i) => {
    let address = token.address;
    if (address === null) {
      const named = inventory.devices.find((d) => d.device.name === token.name);
      if (named === undefined) {
        findings.push({
          level: "error",
          code: "unknown-device",
          message: `VM ${spec.vm} names ${token.text}, but ${inventory.hostDescription} ` +
            "has no device of that name",
          fix: "name devices by B/S/F (see: pptkit list); unit numbers change between boots",
        });
        return;
      }
      address = named.device.address;
    }
    entries.push(entry ?? { token, address, line: i + 1, options: {} });
  });
  return { vm: spec.vm, source: spec.source, file: spec.file, entries, findings };
}

/** Options of {@linkcode checkVmStart}. */
export interface StartCheckOptions {
  /** A lock of a VM that is not running is stale after this long. */
  readonly staleAfterMs?: number;
  /**
   * The hook reads only the configs of running VMs (all a holder can be); `check --vm` reads
   * every config (`all`), so that its device lines show who else names a device.
   */
  readonly scope?: VmScope;
}

/** A VM's start, checked. */
export interface VmStart {
  readonly request: VmRequest;
  readonly state: HostState;
  readonly verdict: VmVerdict;
  /** The devices that could be resolved, in config order. */
  readonly devices: readonly PciAddress[];
  readonly staleAfterMs: number;
}

/** The start check of one VM (hook prestart, check --vm), without taking locks. */
export async function checkVmStart(
  host: Host,
  config: PptkitConfig,
  vm: string,
  selection: VmSelection,
  options: StartCheckOptions = {},
): Promise<VmStart> {
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_SECONDS * 1000;
  const scope = options.scope ?? "running";
  const spec = await readVmSpec(host, config, vm, selection);
  // The hook looks at the VM's own host slots only (siblings included, for the plugins);
  // a device named by its unit (ppt0) needs the whole listing to be found.
  const addresses = spec.tokens.map(({ token }) => token.address);
  const slots = scope === "running" && addresses.every((a) => a !== null)
    ? addresses as PciAddress[]
    : undefined;
  const state = await loadHostState(host, config, { vms: scope, except: vm, slots });
  const plugins = state.plugins ?? await hostPlugins(host, config);
  const request = requestOf(spec, state.inventory);
  const judged = judgeVm(request, {
    inventory: state.inventory,
    plugins,
    ownership: { locks: state.locks, running: state.running, now: host.now(), staleAfterMs },
  });
  // A refused community plugin is the host's problem, not this VM's: it warns, never vetoes.
  const verdict = { ...judged, findings: [...judged.findings, ...loadingWarnings(plugins)] };
  return {
    request,
    state,
    verdict,
    devices: request.entries.map((e) => e.address),
    staleAfterMs,
  };
}

/** The one-line veto for a failed start check, with its exit code (75 busy, else 1). */
export function vetoError(vm: string, verdict: VmVerdict): PptkitError {
  const [first, ...rest] = verdict.errors;
  // Name what else stands in the way, so no reason hides behind a count.
  const others = [...new Set(rest.map((f) => f.code))];
  const more = rest.length > 0 ? ` (and ${rest.length} more: ${others.join(", ")})` : "";
  return new PptkitError(
    verdict.busy ? ExitCode.TempFail : ExitCode.Failed,
    `VM ${vm} cannot start: ${locationPrefix(first)}${first.message}${more}`,
    first.fix,
    {},
    verdict.findings,
  );
}
