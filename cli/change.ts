/**
 * What `reserve` and `release` share: their options, the request they build, and how they
 * report what the reservation transaction (app/reservation.ts) did.
 *
 * @module
 */

import { loadHostState } from "../app/host_state.ts";
import { type ChangeMode, changeReservations, type ChangeResult } from "../app/reservation.ts";
import { unifiedDiff } from "../core/diff.ts";
import { hasError } from "../core/findings.ts";
import { LOADER_CONF } from "../core/paths.ts";
import { type Context, type OptionSpec, printJson } from "./command.ts";
import { renderFindings } from "./findings.ts";
import { findingJson } from "./json.ts";

/** The options reserve and release share. */
export const CHANGE_OPTIONS: readonly OptionSpec[] = [
  { name: "dry-run", type: "boolean", help: "print the diff, write nothing" },
  {
    name: "now",
    type: "boolean",
    help: "also (un)bind at runtime with devctl (needs vmm.ko loaded)",
  },
  {
    name: "loader-conf",
    type: "string",
    value: "FILE",
    help: "edit FILE instead, e.g. a /boot/loader.conf.d drop-in",
    default: LOADER_CONF,
  },
];

/** Runs reserve or release with the command line's options and reports what it did. */
export async function runChange(ctx: Context, mode: ChangeMode): Promise<number> {
  const host = await ctx.host();
  const { inventory } = await loadHostState(host, await ctx.config());
  const result = await changeReservations(host, inventory, {
    mode,
    devices: ctx.args,
    force: ctx.options.force === true,
    now: ctx.options.now === true,
    dryRun: ctx.options["dry-run"] === true,
    loaderConf: (ctx.options["loader-conf"] as string | undefined) ?? LOADER_CONF,
  });
  return reportChange(ctx, mode, result);
}

/**
 * The fields of `pptkit.reserve/1` and `pptkit.release/1` that say what changed, for
 * configuration management (Ansible's changed, check and diff modes): `changed` is exact (a
 * second identical run gives false), `files` holds one entry per file written or, in a dry
 * run, that would be, `rebootNeeded` says the change waits for the next boot (not applied at
 * runtime by --now).
 */
function changeJson(r: ChangeResult, diff: string): Record<string, unknown> {
  const { edit } = r;
  return {
    changed: edit.changed || r.runtime.length > 0,
    dryRun: r.dryRun,
    files: edit.changed
      ? [{ path: edit.path, before: edit.oldText, after: edit.text, diff, backup: r.backup }]
      : [],
    rebootNeeded: edit.changed && !r.now,
  };
}

/** Prints what reserve or release did. */
function reportChange(ctx: Context, mode: ChangeMode, r: ChangeResult): number {
  const { edit } = r;
  const diff = edit.changed ? unifiedDiff(edit.path, edit.path, edit.oldText, edit.text) : "";
  if (ctx.global.json) {
    printJson(ctx.out, `pptkit.${mode}/1`, {
      file: edit.path,
      written: r.written,
      added: edit.added,
      removed: edit.removed,
      bound: r.bound,
      reserved: edit.reserved.map((d) => d.bsf),
      diff,
      findings: r.findings.map(findingJson),
      ...changeJson(r, diff),
    });
    return 0;
  }
  if (r.findings.length > 0) ctx.out.stderr(renderFindings(r.findings, ctx.out.color));
  if (!edit.changed) {
    if (!ctx.global.quiet) {
      ctx.out.stdout(
        mode === "reserve"
          ? `nothing to do: ${ctx.args.join(" ")} already reserved in ${edit.path}\n`
          : `nothing to do: ${ctx.args.join(" ")} not reserved in ${edit.path}\n`,
      );
    }
    return 0;
  }
  ctx.out.stdout(diff);
  if (ctx.global.quiet) return 0;
  const what = mode === "reserve" ? edit.added : edit.removed;
  const verb = mode === "reserve" ? "reserved" : "released";
  if (!r.written) {
    ctx.out.stdout(`dry run: ${edit.path} not changed\n`);
  } else if (r.bound.length > 0) {
    ctx.out.stdout(
      `${verb} ${what.join(" ")} in ${edit.path} and ${mode === "reserve" ? "bound" : "unbound"} ${
        r.bound.join(" ")
      } now; previous file kept as ${edit.path}.bak\n`,
    );
  } else {
    ctx.out.stdout(
      `${verb} ${what.join(" ")} in ${edit.path}; previous file kept as ${edit.path}.bak\n` +
        `reboot to apply (or run: pptkit ${mode} --now ${ctx.args.join(" ")})\n`,
    );
  }
  return hasError(r.findings) ? 1 : 0;
}
