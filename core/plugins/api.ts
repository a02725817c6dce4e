/**
 * The plugin API (DESIGN §11): the types a plugin sees, {@linkcode definePlugin}, and helpers
 * for multi-function cards. This is the only module `plugins/*.ts` import; community plugins
 * cannot import anything, so for them a plain object of the same shape is enough.
 *
 * Plugins are vendor quirks as code (`plugins/*.ts`, built in; community files in
 * `/usr/local/etc/pptkit/plugins/*.{ts,js}`) and as data (`plugins/quirks.jsonc`, built in;
 * community rules in `/usr/local/etc/pptkit/quirks.d/*.jsonc`, see core/plugins/quirks.ts).
 * A plugin is a module whose default export is `definePlugin({...})`:
 *
 * - `matches(device)`: which devices it is about; every hook sees only those.
 * - `inspect(device, ctx)`: findings about one device itself (list, show, check).
 * - `group(entries, ctx)`: before slot allocation, may mark a VM's entries `split` (own guest
 *   slot), `keep-together` (stay in their host slot's guest slot) or `same-function` (guest
 *   function = host function, function 0 required); `ctx.report` adds findings.
 * - `prestart(vm, ctx)`: findings about one VM's use of its devices (check, check --vm, plan,
 *   hook prestart all run it through the verdict engine); an error-level one vetoes the start.
 *
 * `inspect` findings are cautions about the hardware: `list`, `show` and `check` print them at
 * their level, and a VM's verdict (check --vm, plan, hook prestart) carries those above `info`
 * as warnings. A report about a device never stops a start by itself; `prestart` can.
 *
 * Order is deterministic: built-in plugins by name, then community plugins by file name, then
 * the quirk rules (built-in file first, then quirks.d files by name). A later plugin's grouping
 * overrides an earlier one's.
 *
 * @module
 */

import { addressKey, formatLabel, formatSelector, slotKey } from "../address.ts";
import type { Finding, Level } from "../findings.ts";
import { deviceKind, deviceLabel, type PciDevice } from "../pciconf.ts";
import type { Entry, VmSource } from "../vms/types.ts";

export type { Finding, Level, PciDevice };
export { deviceKind, deviceLabel, formatLabel, formatSelector, slotKey };

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
  /**
   * The VM whose lock file in the run dir names the device (held, stale or left behind by a
   * wrapper without poststop); null when there is none or the locks are not known.
   */
  lockedBy(device: PciDevice): string | null;
  /** The host's release as `uname -r` prints it (`14.1-RELEASE-p3`); null when unknown. */
  readonly release: string | null;
  /** Adds a finding (meant for the group hook, which returns entries). */
  report(finding: Finding): void;
}

/** The VM a prestart hook checks: its entries that match the plugin. */
export interface PrestartVm {
  readonly name: string;
  readonly entries: readonly GroupEntry[];
  /** Where the VM's devices come from (its wrapper, or `--devices`); absent when unknown. */
  readonly source?: VmSource | "--devices";
  /** The VM's config file; null for `--devices`, absent when unknown. */
  readonly file?: string | null;
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

export function pluginShapeProblem(value: unknown): string | null {
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
  const list = (ds: PciDevice[]) => ds.map(deviceLabel).join(", ");
  const missingText = missing.map((d) => `${deviceLabel(d)} (${deviceKind(d)})`).join(", ");
  return {
    level,
    code: "partial-device",
    message: `${vm} passes ${list(given)} but not ${missingText} of the same ${what}: ${why}`,
    fix: `add ${list(missing)} to ${vm}'s passthru list`,
    device: formatSelector(given[0].address),
  };
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
