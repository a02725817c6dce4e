/**
 * Options several commands share, with their checks: one spec and one parser each.
 *
 * @module
 */

import { usageError } from "../core/errors.ts";
import { joinOr } from "../core/text.ts";
import { VM_SOURCES, type VmSource } from "../core/vms/types.ts";
import { suggest } from "./args.ts";
import { type Context, type OptionSpec, stringOption } from "./command.ts";

/** `--wrapper NAME`: read the VM from this source only. */
export const WRAPPER: OptionSpec = {
  name: "wrapper",
  type: "string",
  value: "NAME",
  help: `read the VM from this wrapper's config only: ${VM_SOURCES.join(", ")} ` +
    "(default: every configured source, in that order)",
};

/** `--wrapper` value, checked; undefined when absent. */
export function wrapperOption(ctx: Context, command: string): VmSource | undefined {
  const value = stringOption(ctx, WRAPPER);
  if (value === undefined) return undefined;
  if ((VM_SOURCES as readonly string[]).includes(value)) return value as VmSource;
  const near = suggest(value, VM_SOURCES);
  throw usageError(
    `unknown wrapper "${value}": expected ${joinOr(VM_SOURCES)}`,
    near === undefined ? `see: pptkit ${command} --help` : `did you mean "${near}"?`,
  );
}
