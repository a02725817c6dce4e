/**
 * What bhyve's passthru messages mean and what to do about them (`pptkit explain`).
 *
 * The known messages are bhyve's and the kernel's own printf formats (freebsd-facts §1.4, §3,
 * §4.1, §4.2; `usr.sbin/bhyve/pci_passthru.c`, `pci_emul.c`, `bhyverun.c`,
 * `sys/amd64/vmm/...`), matched with a small scanf-like reader: `%d` reads a decimal number,
 * `%x` a hex number, `%s` text up to the literal that follows (or the rest of the line). A
 * message is found anywhere in a line, so wrapper logs with their own prefixes work too. No
 * regular expression backtracks over the text.
 *
 * Where a message has more than one cause, the host facts decide: "PCI device at B/S/F is not
 * using the ppt(4) driver" is checked in the order of freebsd-facts §8 rule 13: is the device
 * on ppt(4), does another running VM hold it (locks, ps, /dev/vmm, VM configs), has the host an
 * IOMMU that vmm can use. Without host facts, the checks to run by hand are listed instead.
 *
 * Pure: text and facts in, explanations out.
 *
 * @module
 */

import { formatLabel } from "../address.ts";
import type { Inventory } from "../inventory.ts";
import type { LockFile } from "../ownership/locks.ts";
import type { RunningVms } from "../ownership/running.ts";
import { lines } from "../text.ts";
import { KNOWN } from "./catalogue.ts";
import { compile, findFormat, type FormatMatch } from "./scanner.ts";

/** The outcome of one check against the host. */
export type CheckResult =
  /** Found on this host: this is (one of) the reasons. */
  | "cause"
  /** Checked on this host and fine: not the reason. */
  | "ok"
  /** The host facts cannot tell. */
  | "unknown"
  /** No host facts at all: check this by hand. */
  | "check";

/** One check of an explanation. */
export interface ExplainCheck {
  readonly result: CheckResult;
  readonly text: string;
  /** What to do when this is the cause. */
  readonly fix?: string;
}

/** One known message found in the text. */
export interface Explanation {
  /** Stable id of the message: `not-ppt`, `memory-not-wired`, ... */
  readonly id: string;
  /** 1-based lines it was found on (repeats of the same message are folded). */
  readonly lines: number[];
  /** The message as it appears in the text (from where it starts to the end of its line). */
  readonly text: string;
  /** Who prints it: `bhyve (pci_passthru.c)`, `kernel (vtd.c)`, ... */
  readonly source: string;
  /** The host device it is about, as B/S/F; null when it names none. */
  readonly device: string | null;
  /** What it means, in one or two sentences. */
  readonly meaning: string;
  /** Checks against the host, in the order they were made. */
  readonly checks: ExplainCheck[];
  /** What to do, most likely first. */
  readonly fixes: string[];
}

/** What `explain` knows about the host; null parts are unknown. */
export interface ExplainFacts {
  readonly inventory: Inventory;
  readonly locks: readonly LockFile[];
  readonly running: RunningVms;
  /** `hw.vmm.iommu.initialized`; null when unknown. */
  readonly iommuInitialized: boolean | null;
  /** Now, in ms since the epoch, and the hook's stale-lock age, for judging locks. */
  readonly now: number;
  readonly staleAfterMs: number;
}

const COMPILED = KNOWN.map((k) => ({ known: k, formats: k.formats.map(compile) }));

/** The ids of every known message, for tests and help. */
export const KNOWN_IDS: readonly string[] = KNOWN.map((k) => k.id);

/**
 * Finds every known message in `text` (one bhyve line or a whole log) and explains it. Repeats
 * of the same message are folded into one explanation with all their line numbers.
 */
export function explainText(text: string, facts: ExplainFacts | null): Explanation[] {
  const out: Explanation[] = [];
  const seen = new Map<string, Explanation>();
  for (const [n, line] of lines(text)) {
    for (const { known, formats } of COMPILED) {
      let found: FormatMatch | null = null;
      for (const f of formats) {
        found = findFormat(f, line);
        if (found !== null) break;
      }
      if (found === null) continue;
      const key = `${known.id}\0${found.values.join("\0")}`;
      const again = seen.get(key);
      if (again !== undefined) {
        again.lines.push(n);
        break;
      }
      const said = known.explain(found.values, facts);
      const explanation: Explanation = {
        id: known.id,
        lines: [n],
        text: line.slice(found.start).trim(),
        source: known.source,
        device: said.device === undefined || said.device === null ? null : formatLabel(said.device),
        meaning: said.meaning,
        checks: said.checks ?? [],
        fixes: [...new Set(said.fixes)],
      };
      seen.set(key, explanation);
      out.push(explanation);
      break;
    }
  }
  return out;
}
