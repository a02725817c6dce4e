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
import { lines } from "../text.ts";
import { KNOWN } from "./catalogue.ts";
import { compile, findFormat, type FormatMatch } from "./scanner.ts";
import type { ExplainFacts, Explanation } from "./types.ts";

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
