/**
 * Findings as text: `error  no-msi  0/31/2 has neither MSI nor MSI-X ...` and an indented
 * `fix:` line, coloured by level on a terminal.
 *
 * @module
 */

import { type Finding, type Level, withLocation } from "../core/findings.ts";
import { escapeControls } from "../core/text.ts";
import { type Colour, paint } from "./render.ts";

const LEVEL_COLOUR: Record<Level, Colour> = { error: "red", warn: "yellow", info: "cyan" };

/**
 * Renders findings, one block each; `indent` prefixes every line. A message quotes files and
 * plugins: its control characters are shown as escapes, so each finding stays its lines.
 */
export function renderFindings(findings: readonly Finding[], colour: boolean, indent = ""): string {
  let out = "";
  for (const f of findings) {
    out += `${indent}${paint(f.level.padEnd(5), LEVEL_COLOUR[f.level], colour)}  ${
      escapeControls(`${f.code}: ${withLocation(f)}`)
    }\n`;
    if (f.fix !== undefined) out += `${indent}       fix: ${escapeControls(f.fix)}\n`;
  }
  return out;
}

/** `2 errors, 1 warning` */
export function countFindings(findings: readonly Finding[]): string {
  const n = (level: Level) => findings.filter((f) => f.level === level).length;
  const plural = (k: number, word: string) => `${k} ${word}${k === 1 ? "" : "s"}`;
  return `${plural(n("error"), "error")}, ${plural(n("warn"), "warning")}`;
}
