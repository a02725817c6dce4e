/**
 * The whole catalogue, in the order lines are matched against it (the first entry that
 * matches a line explains it): bhyve, the kernel, devctl and kldload, then the wrappers.
 *
 * @module
 */

import { BHYVE } from "./bhyve.ts";
import { KERNEL } from "./kernel.ts";
import type { Entry } from "./schema.ts";
import { TOOLS } from "./tools.ts";
import { WRAPPERS } from "./wrappers.ts";

export const CATALOGUE: readonly Entry[] = [...BHYVE, ...KERNEL, ...TOOLS, ...WRAPPERS];

/** Entries by id. */
export const BY_ID: ReadonlyMap<string, Entry> = new Map(CATALOGUE.map((e) => [e.id, e]));

/** `bhyve (pci_passthru.c)`, `kernel (vtd.c)`, `vm-bhyve (lib/vm-run)`: who prints it. */
export function sourceLabel(entry: Entry): string {
  const file = entry.source.repo === "freebsd/freebsd-src"
    ? entry.source.file.slice(entry.source.file.lastIndexOf("/") + 1)
    : entry.source.file;
  return `${entry.origin} (${file})`;
}
