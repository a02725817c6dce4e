/**
 * The compatibility rules pptkit ships: plugins/quirks.jsonc, read by the one parser of quirk
 * rules (core/plugins/quirks.ts `parseQuirks`).
 *
 * From source, the file is parsed the first time the rules are asked for. The bundles do not
 * parse it at all: build.ts calls this same function at build time and puts a module that
 * returns its result, as data, in this module's place (a broken rule fails the build). So
 * plugins/quirks.jsonc stays the source of truth, and no hook spends a run parsing it.
 *
 * @module
 */

import QUIRKS from "../plugins/quirks.jsonc" with { type: "text" };
import { parseQuirks, type QuirkRule } from "../core/plugins/quirks.ts";

/** The name the built-in rules carry in findings and in `pptkit plugins`. */
export const BUILTIN_QUIRKS_FILE = "plugins/quirks.jsonc";

let parsed: readonly QuirkRule[] | undefined;

/** The built-in rules; throws when one of them is broken (a bug in pptkit, never the host's). */
export function builtinQuirks(): readonly QuirkRule[] {
  if (parsed === undefined) {
    const { rules, findings } = parseQuirks(QUIRKS, BUILTIN_QUIRKS_FILE);
    if (findings.length > 0) {
      const f = findings[0];
      throw new Error(`built-in quirks are broken: ${f.file}:${f.line}: ${f.message}`);
    }
    parsed = rules;
  }
  return parsed;
}
