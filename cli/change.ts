/**
 * What `reserve` and `release` share: their options, the request they build, and how they
 * report what the reservation transaction (app/reservation.ts) did.
 *
 * @module
 */

import { loadHostState } from "../app/host_state.ts";
import { type ChangeMode, changeReservations, type ChangeResult } from "../app/reservation.ts";
import { unifiedDiff } from "../core/diff.ts";
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
    help: "edit FILE, e.g. a /boot/loader.conf.d drop-in (default: the file where pptdevs " +
      `is set, else ${LOADER_CONF})`,
  },
];

/** `--allow a,b`: the risks accepted, comma-separated. */
function allowList(ctx: Context): string[] {
  const text = ctx.options.allow;
  if (typeof text !== "string") return [];
  return text.split(",").map((w) => w.trim()).filter((w) => w !== "");
}

/** Runs reserve or release with the command line's options and reports what it did. */
export async function runChange(ctx: Context, mode: ChangeMode): Promise<number> {
  const host = await ctx.host();
  const config = await ctx.config();
  const { inventory } = await loadHostState(host, config);
  const result = await changeReservations(host, inventory, {
    mode,
    devices: ctx.args,
    allow: allowList(ctx),
    force: ctx.options.force === true,
    now: ctx.options.now === true,
    dryRun: ctx.options["dry-run"] === true,
    loaderConf: (ctx.options["loader-conf"] as string | undefined) ?? null,
    backupsDir: `${config.stateDir.replace(/\/+$/, "")}/backups`,
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
      ? [{
        path: edit.path,
        before: edit.oldText,
        after: edit.text,
        diff,
        backup: r.backup,
        history: r.history,
      }]
      : [],
    rebootNeeded: edit.changed && !r.now,
  };
}

/** The same run with --now: what applies the change without a reboot. */
function nowCommand(ctx: Context, mode: ChangeMode, r: ChangeResult): string {
  const allow = allowList(ctx);
  const conf = ctx.options["loader-conf"];
  return `pptkit ${mode} --now ` + (allow.length > 0 ? `--allow ${allow.join(",")} ` : "") +
    (typeof conf === "string" ? `--loader-conf ${conf} ` : "") + r.devices.join(" ");
}

/**
 * Prints what reserve or release did. Exit 0 whenever the change was made (or there was
 * nothing to do): findings about other lines or the host are reported, they do not fail a
 * change that happened. -q prints only error-level findings.
 */
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
  const quiet = ctx.global.quiet;
  const shown = quiet ? r.findings.filter((f) => f.level === "error") : r.findings;
  if (shown.length > 0) ctx.out.stderr(renderFindings(shown, ctx.out.color));
  if (quiet) return 0;
  const bound = mode === "reserve" ? "bound" : "unbound";
  if (!edit.changed) {
    const state = mode === "reserve" ? "already reserved" : "not reserved";
    ctx.out.stdout(
      r.bound.length > 0
        ? `${bound} ${r.bound.join(" ")} now; ${r.devices.join(" ")} ${state} in ${edit.path}\n`
        : `nothing to do: ${r.devices.join(" ")} ${state} in ${edit.path}\n`,
    );
    return 0;
  }
  ctx.out.stdout(diff);
  if (!r.written) {
    ctx.out.stdout(`dry run: ${edit.path} not changed\n`);
    return 0;
  }
  const what = mode === "reserve" ? edit.added : edit.removed;
  const verb = mode === "reserve" ? "reserved" : "released";
  const kept = r.backup === null
    ? ""
    : `; previous file kept as ${r.backup}` + (r.history === null ? "" : ` and ${r.history}`);
  // A run that only adds vmm_load (the devices were reserved already) says so.
  const done = what.length > 0
    ? `${verb} ${what.join(" ")} in ${edit.path}`
    : `updated ${edit.path} (${r.devices.join(" ")} ${
      mode === "reserve" ? "already reserved" : "not reserved"
    })`;
  if (r.bound.length > 0) {
    ctx.out.stdout(`${done} and ${bound} ${r.bound.join(" ")} now${kept}\n`);
  } else {
    ctx.out.stdout(
      `${done}${kept}\n` +
        (r.vmmLoaded === true
          ? `reboot to apply (or now: ${nowCommand(ctx, mode, r)})\n`
          : "reboot to apply\n"),
    );
  }
  return 0;
}
