/**
 * The process pptkit runs in: environment, terminal, standard streams. main.ts wires these;
 * nothing else reads them.
 *
 * @module
 */

import { escapeOutput } from "../text.ts";

/**
 * Environment variables pptkit reads (DESIGN §14: `NO_COLOR`, `PPTKIT_*`, `HOME`; and for the
 * terminal, `COLUMNS` and `TERM`). One the launcher does not grant reads as unset.
 */
export function env(
  name: "NO_COLOR" | `PPTKIT_${string}` | "HOME" | "COLUMNS" | "TERM",
): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** Whether stdout is a terminal, and its width. */
export function terminal(): { isTty: boolean; columns: number | null } {
  const isTty = Deno.stdout.isTerminal();
  let columns: number | null = null;
  if (isTty) {
    try {
      // A terminal that reports no size (0 columns, as some pseudo-terminals do) is not wrapped.
      const size = Deno.consoleSize().columns;
      columns = size >= 20 ? size : null;
    } catch {
      columns = null;
    }
  }
  return { isTty, columns };
}

/**
 * Writes text to stdout or stderr. Whatever a renderer let through, no control character but
 * newline, tab and pptkit's own colour codes reaches the terminal (core/text.ts escapeOutput).
 */
export function write(stream: "stdout" | "stderr", text: string): void {
  const bytes = new TextEncoder().encode(escapeOutput(text));
  const target = stream === "stdout" ? Deno.stdout : Deno.stderr;
  let written = 0;
  while (written < bytes.length) written += target.writeSync(bytes.subarray(written));
}

/** Reads all of stdin as text. */
export async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
  let size = 0;
  for (const c of chunks) size += c.length;
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}
