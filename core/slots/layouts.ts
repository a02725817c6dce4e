/**
 * The guest layouts wrappers build themselves from a VM's config, as written: what the VM will
 * really run with when pptkit does not place its devices. Each model is written from the
 * wrapper's source and judged with the rules of core/slots/rules.ts.
 *
 * - Hoster (HosterCore `internal/pkg/hoster/vm/utils/generate_bhyve_command.go`,
 *   `passthruPciSplitter`): entries without `-` are grouped by host bus/slot, each group one
 *   guest slot, guest function = host function; a `-` entry gets a slot of its own at function 0.
 *   Hoster checks neither function 0 nor functions above 7.
 *
 * Pure.
 *
 * @module
 */

import { formatLabel, formatSelector, slotKey } from "../address.ts";
import type { Finding } from "../findings.ts";
import { joinAnd } from "../text.ts";
import type { Entry, VmSource } from "../vms/types.ts";
import { type GuestDevice, layoutProblems } from "./rules.ts";

/** The VM whose wrapper layout is judged. */
export interface LayoutSubject {
  readonly vm: string;
  readonly source: VmSource | "--devices";
  readonly file: string | null;
  readonly entries: readonly Entry[];
}

/** Hoster's guest layout of a passthru list; slots are numbered from 0 in group order. */
export function hosterLayout(entries: readonly Entry[]): GuestDevice[] {
  const slotOf = new Map<string, number>();
  let next = 0;
  return entries.map((e) => {
    const text = formatLabel(e.address);
    if (e.token.split) return { slot: next++, function: 0, text, address: e.address };
    const key = slotKey(e.address);
    let slot = slotOf.get(key);
    if (slot === undefined) slotOf.set(key, slot = next++);
    return { slot, function: e.address.function, text, address: e.address };
  });
}

/**
 * Findings about the layout the VM's wrapper builds from its config as written: a guest function
 * above 7 and a guest slot without function 0 (Hoster). Empty for wrappers whose passthru
 * devices pptkit places (native, `--devices`) or whose pins the plan checks.
 */
export function wrapperLayoutFindings(subject: LayoutSubject): Finding[] {
  if (subject.source !== "hoster") return [];
  const lineOf = new Map(subject.entries.map((e) => [e.address, e.line]));
  const at = (d: GuestDevice) => ({
    device: formatSelector(d.address),
    ...(subject.file === null ? {} : { file: subject.file }),
    ...(lineOf.get(d.address) === undefined ? {} : { line: lineOf.get(d.address)! }),
  });
  const out: Finding[] = [];
  for (const problem of layoutProblems(hosterLayout(subject.entries), false)) {
    if (problem.kind === "function-range") {
      const d = problem.device;
      out.push({
        level: "error",
        code: "guest-function-range",
        message: `Hoster would give ${d.text} guest function ${d.function}, ` +
          "but bhyve guest functions are 0-7",
        fix: `write "-${d.text}" so that it gets a guest slot of its own`,
        ...at(d),
      });
    } else if (problem.kind === "no-function0") {
      const list = problem.devices;
      const first = list[0];
      out.push({
        level: "error",
        code: "missing-function0",
        message: `${subject.vm} passes ${joinAnd(list.map((d) => d.text))} without function 0 ` +
          "of that device: Hoster keeps host function numbers, so the guest slot has no " +
          "function 0 and the guest will not see it",
        fix: `add "${first.address.bus}/${first.address.slot}/0" to "passthru", or write ` +
          list.map((d) => `"-${d.text}"`).join(", "),
        ...at(first),
      });
    }
  }
  return out;
}
