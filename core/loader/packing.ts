/**
 * Packing devices into `pptdevs`, `pptdevs2` and `pptdevs3`, at most 128 characters each.
 *
 * @module
 */

import { formatBsf, formatSelector, type PciAddress } from "../address.ts";
import { dataError, usageError } from "../errors.ts";
import {
  PPTDEVS_VALUE_LIMIT,
  PPTDEVS_VARIABLES,
  type PptdevsVariable,
  readPptdevsValue,
} from "./kernel.ts";
import { effectiveAssignment, type LoaderValues } from "./values.ts";

/** The tokens of `pptdevs`, `pptdevs2` and `pptdevs3`, in order. */
export type PptdevsLayout = Readonly<Record<PptdevsVariable, readonly string[]>>;

/** The layout a set of loader values gives: the kernel's pieces of each effective value. */
export function pptdevsLayout(values: LoaderValues): PptdevsLayout {
  const tokens = (v: PptdevsVariable) => {
    const a = effectiveAssignment(values, v);
    return a === undefined ? [] : readPptdevsValue(a.value).map((t) => t.text);
  };
  return { pptdevs: tokens("pptdevs"), pptdevs2: tokens("pptdevs2"), pptdevs3: tokens("pptdevs3") };
}

/** B/S/F of a device for pptdevs; devices outside domain 0 cannot be named there. */
function pptdevsBsf(a: PciAddress): string {
  const bsf = formatBsf(a);
  if (bsf === null) {
    throw dataError(
      `cannot reserve ${formatSelector(a)}: pptdevs can only name devices in PCI domain 0`,
      "bhyve can pass through only devices in domain 0",
    );
  }
  return bsf;
}

/** The device a token reserves (as the kernel reads it), as B/S/F. */
export function tokenKey(token: string): string | null {
  const t = readPptdevsValue(token)[0];
  return t?.address ? formatBsf(t.address) : null;
}

function valueLength(tokens: readonly string[]): number {
  let n = tokens.length > 0 ? tokens.length - 1 : 0;
  for (const t of tokens) n += t.length;
  return n;
}

/**
 * Puts devices into `pptdevs`, `pptdevs2`, `pptdevs3` so that every value has at most `limit`
 * characters. Existing tokens stay in their variable and position; removals drop every token the
 * kernel reads as a removed device; a device already listed is not added again (and a later
 * duplicate is dropped); new devices are appended to the first variable with room. A value that
 * is already over the limit gives up its last tokens, which are placed like new ones.
 * When the three variables are full, throws a {@linkcode PptkitError} (exit 65) naming how many
 * devices do not fit.
 */
export function packPptdevs(
  current: PptdevsLayout,
  add: readonly PciAddress[],
  remove: readonly PciAddress[],
  limit: number = PPTDEVS_VALUE_LIMIT,
): PptdevsLayout {
  const adding = add.map(pptdevsBsf);
  const removing = new Set(remove.map(pptdevsBsf));
  const both = adding.filter((b) => removing.has(b));
  if (both.length > 0) throw usageError(`${both[0]} is both reserved and released`);
  const seen = new Set<string>();
  const lists = PPTDEVS_VARIABLES.map((v) => {
    const kept: string[] = [];
    for (const token of current[v]) {
      const key = tokenKey(token);
      if (key !== null && (removing.has(key) || seen.has(key))) continue;
      if (key !== null) seen.add(key);
      kept.push(token);
    }
    return kept;
  });
  const pending: string[] = [];
  for (const list of lists) {
    const spilled: string[] = [];
    while (list.length > 0 && valueLength(list) > limit) spilled.unshift(list.pop()!);
    pending.push(...spilled);
  }
  for (const bsf of adding) {
    if (seen.has(bsf)) continue;
    seen.add(bsf);
    pending.push(bsf);
  }
  const unfit: string[] = [];
  for (const token of pending) {
    const list = lists.find((l) => valueLength(l) + (l.length > 0 ? 1 : 0) + token.length <= limit);
    if (list === undefined) unfit.push(token);
    else list.push(token);
  }
  if (unfit.length > 0) {
    const n = unfit.length;
    throw dataError(
      `pptdevs, pptdevs2 and pptdevs3 are full: ${n} device${n === 1 ? " does" : "s do"} ` +
        `not fit (${unfit.join(" ")})`,
      `each value holds at most ${limit} characters and the kernel reads no other variable: ` +
        "bind the rest at runtime with --now (devctl, not kept across reboots), or release " +
        "devices you no longer pass through",
    );
  }
  return { pptdevs: lists[0], pptdevs2: lists[1], pptdevs3: lists[2] };
}
