/**
 * Loading the inventory for a command: the host from the context, plus (once VM configs are
 * read) who uses which device.
 *
 * @module
 */

import { type Inventory, loadInventory } from "../core/inventory.ts";
import type { Context } from "./command.ts";

/** The inventory of the host the command runs against. */
export async function loadInventoryFor(ctx: Context): Promise<Inventory> {
  return await loadInventory(await ctx.host());
}
