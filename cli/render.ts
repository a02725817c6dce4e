/**
 * Rendering: one table renderer for data and help, colour that respects `NO_COLOR`, and
 * widths measured the way the eye sees them (colour codes stripped, wide characters counted
 * twice — the habit of deno-cliffy's `strLength`).
 *
 * The rounded style draws the guide's table: a centred title row, centred headers, a rule
 * between every data row. The plain style draws help text: aligned columns, no borders.
 *
 * @module
 */

import { escapeCell } from "../core/text.ts";

/** How a table is drawn. */
export type TableStyle = "rounded" | "plain";

/** One column of a table. */
export interface Column {
  readonly header: string;
  /**
   * This column may be wrapped onto several lines when the table is too wide; a number orders
   * the columns whose words must be cut when wrapping at word boundaries is not enough (1 first).
   */
  readonly wrap?: boolean | number;
  /**
   * This column may be left out when the table cannot fit `maxWidth` even with every column
   * wrapped between words; a number orders the columns to leave out (1 first).
   */
  readonly drop?: number;
}

/** A table to draw. */
export interface Table {
  readonly title?: string;
  readonly columns: readonly Column[];
  readonly rows: readonly (readonly string[])[];
  readonly style?: TableStyle;
  /** Wrap the wrappable columns so the whole table fits this many columns. */
  readonly maxWidth?: number | null;
  /** Indent of the plain style. */
  readonly indent?: number;
  /** The line printed under a table that left columns out (their headers, and the width). */
  readonly dropNote?: (headers: readonly string[], width: number) => string;
}

const ESC = "\x1b[";

/** Terminal colours pptkit uses. */
export type Colour = "red" | "green" | "yellow" | "cyan" | "bold" | "dim";

const CODES: Record<Colour, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  bold: [1, 22],
  dim: [2, 22],
};

/** Wraps text in a colour when `enabled`. */
export function paint(text: string, colour: Colour, enabled: boolean): string {
  if (!enabled || text === "") return text;
  const [on, off] = CODES[colour];
  return `${ESC}${on}m${text}${ESC}${off}m`;
}

/** Removes ANSI colour sequences. */
export function stripColour(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 27 && text[i + 1] === "[") {
      i += 2;
      while (i < text.length && text[i] !== "m") i++;
      continue;
    }
    out += text[i];
  }
  return out;
}

/** Wide (East Asian) and emoji ranges take two terminal cells. */
function isWide(code: number): boolean {
  return (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) || (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) || (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd);
}

/** Display width of text in terminal cells. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of stripColour(text)) {
    const code = ch.codePointAt(0)!;
    if (code < 32 || (code >= 0x300 && code <= 0x36f)) continue;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

function centre(text: string, width: number): string {
  const room = Math.max(0, width - displayWidth(text));
  const left = Math.floor(room / 2);
  return " ".repeat(left) + text + " ".repeat(room - left);
}

/** Splits text into lines of at most `width` cells, at spaces when possible. */
export function wrapText(text: string, width: number): string[] {
  if (width <= 0 || displayWidth(text) <= width) return [text];
  // A painted cell is wrapped as plain text and each line painted again, so no colour runs on
  // into the table's borders.
  const open = text.startsWith(ESC) ? text.indexOf("m") + 1 : 0;
  const close = text.lastIndexOf(ESC);
  if (open > 0 && close > open && text.endsWith("m") && !text.slice(open, close).includes(ESC)) {
    const on = text.slice(0, open), off = text.slice(close);
    return wrapText(text.slice(open, close), width).map((l) => on + l + off);
  }
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    let w = word;
    while (displayWidth(w) > width) {
      const room = width - (line === "" ? 0 : displayWidth(line) + 1);
      // Break after a "/" when one falls in the room (display/VGA); else start a new line, and
      // only a word longer than a whole line is cut.
      const slash = room > 0 ? w.lastIndexOf("/", room - 1) : -1;
      if (slash <= 0 && line !== "") {
        out.push(line);
        line = "";
        continue;
      }
      const cut = slash > 0 ? slash + 1 : room;
      const head = w.slice(0, cut);
      out.push(line === "" ? head : `${line} ${head}`);
      line = "";
      w = w.slice(cut);
    }
    if (line === "") line = w;
    else if (displayWidth(line) + 1 + displayWidth(w) <= width) line += " " + w;
    else {
      out.push(line);
      line = w;
    }
  }
  if (line !== "" || out.length === 0) out.push(line);
  return out;
}

/** The pieces a cell's text may break into: words, and after a "/" inside a word. */
function pieces(text: string): string[] {
  return text.split(" ").flatMap((w) => {
    const out: string[] = [];
    let rest = w;
    for (let slash = rest.indexOf("/"); slash > 0 && slash < rest.length - 1;) {
      out.push(rest.slice(0, slash + 1));
      rest = rest.slice(slash + 1);
      slash = rest.indexOf("/");
    }
    out.push(rest);
    return out;
  });
}

/**
 * Column widths: the widest cell, then, when the table is wider than `maxWidth`, the wrappable
 * columns give up width (the widest first) down to their longest word, so lines break between
 * words. When even that does not fit, the droppable columns are left out (their order), and
 * only then are words cut (the wrap order), as a last resort. Returns null widths for the
 * columns left out.
 */
function columnWidths(table: Table, overhead: (n: number) => number): (number | null)[] {
  const widths: (number | null)[] = table.columns.map((c, i) =>
    Math.max(displayWidth(c.header), ...table.rows.map((r) => displayWidth(r[i] ?? "")))
  );
  const max = table.maxWidth;
  if (max === undefined || max === null) return widths;
  const longestWord = table.columns.map((c, i) =>
    Math.max(
      ...pieces(c.header).map(displayWidth),
      ...table.rows.flatMap((r) => pieces(r[i] ?? "").map(displayWidth)),
    )
  );
  const floor = (i: number) => table.columns[i].wrap ? longestWord[i] : widths[i]!;
  const shown = () => widths.filter((w) => w !== null).length;
  const total = () => widths.reduce<number>((a, b) => a + (b ?? 0), 0) + overhead(shown());
  // Leave out droppable columns while the table cannot fit between words.
  const droppable = table.columns.map((c, i) => ({ i, drop: c.drop }))
    .filter((c) => c.drop !== undefined).sort((a, b) => a.drop! - b.drop!);
  const atFloor = () =>
    widths.reduce<number>((a, w, i) => a + (w === null ? 0 : floor(i)), 0) + overhead(shown());
  for (const { i } of droppable) {
    if (atFloor() <= max) break;
    widths[i] = null;
  }
  let excess = total() - max;
  // Word boundaries first, the widest column giving up a cell at a time.
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      const w = widths[i];
      if (w === null || !table.columns[i].wrap || w <= longestWord[i]) continue;
      if (widest < 0 || w > widths[widest]!) widest = i;
    }
    if (widest < 0) break;
    widths[widest]!--;
    excess--;
  }
  // Then words are cut, in the columns' order of priority, each down to 4 cells.
  const order = table.columns.map((c, i) => ({ i, rank: c.wrap === true ? 1 : Number(c.wrap) }))
    .filter((c) => table.columns[c.i].wrap && widths[c.i] !== null)
    .sort((a, b) => a.rank - b.rank);
  for (const { i } of order) {
    const cut = Math.min(excess, widths[i]! - Math.min(4, widths[i]!));
    if (cut <= 0) continue;
    widths[i]! -= cut;
    excess -= cut;
  }
  return widths;
}

/** The table without the columns `widths` left out (null). */
function shownColumns(table: Table, widths: readonly (number | null)[]) {
  const keep = widths.map((w, i) => w === null ? -1 : i).filter((i) => i >= 0);
  return {
    columns: keep.map((i) => table.columns[i]),
    rows: table.rows.map((r) => keep.map((i) => r[i] ?? "")),
    widths: keep.map((i) => widths[i]!),
    dropped: table.columns.filter((_, i) => widths[i] === null).map((c) => c.header),
  };
}

/**
 * Draws a table as text (lines joined by `\n`, with a final newline). Cells come from files and
 * processes (VM names, models): their control characters are shown as escapes, so a name can
 * neither break a row nor drive the terminal.
 */
export function renderTable(table: Table): string {
  const safe = { ...table, rows: table.rows.map((r) => r.map((c) => escapeCell(c ?? ""))) };
  return table.style === "plain" ? renderPlain(safe) : renderRounded(safe);
}

function renderRounded(table: Table): string {
  const shown = shownColumns(table, columnWidths(table, (n) => 3 * n + 1));
  const { widths } = shown;
  const n = widths.length;
  const inner = widths.reduce((a, b) => a + b + 2, 0) + (n - 1);
  const rule = (left: string, mid: string, right: string) =>
    left + widths.map((w) => "─".repeat(w + 2)).join(mid) + right;
  const row = (cells: readonly string[], header: boolean): string[] => {
    const wrapped = cells.map((c, i) => wrapText(c ?? "", widths[i]));
    const height = Math.max(...wrapped.map((w) => w.length));
    const out: string[] = [];
    for (let l = 0; l < height; l++) {
      const parts = wrapped.map((w, i) => {
        const cell = w[l] ?? "";
        return header ? centre(cell, widths[i]) : padEnd(cell, widths[i]);
      });
      out.push("│ " + parts.join(" │ ") + " │");
    }
    return out;
  };
  const out: string[] = [];
  if (table.title !== undefined) {
    out.push("╭" + "─".repeat(inner) + "╮");
    out.push("│" + centre(table.title, inner) + "│");
    out.push(rule("├", "┬", "┤"));
  } else {
    out.push(rule("╭", "┬", "╮"));
  }
  out.push(...row(shown.columns.map((c) => c.header), true));
  for (const r of shown.rows) {
    out.push(rule("├", "┼", "┤"));
    out.push(...row(r, false));
  }
  out.push(rule("╰", "┴", "╯"));
  if (shown.dropped.length > 0 && table.dropNote !== undefined) {
    out.push(...wrapText(table.dropNote(shown.dropped, table.maxWidth!), table.maxWidth!));
  }
  return out.join("\n") + "\n";
}

function renderPlain(table: Table): string {
  const indent = " ".repeat(table.indent ?? 0);
  const { rows, widths } = shownColumns(
    table,
    columnWidths(table, (n) => indent.length + 2 * (n - 1)),
  );
  const out: string[] = [];
  if (table.title !== undefined) out.push(table.title);
  for (const r of rows) {
    const wrapped = r.map((c, i) => wrapText(c ?? "", widths[i]));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let l = 0; l < height; l++) {
      const parts = wrapped.map((w, i) =>
        i === wrapped.length - 1 ? (w[l] ?? "") : padEnd(w[l] ?? "", widths[i])
      );
      out.push((indent + parts.join("  ")).trimEnd());
    }
  }
  return out.join("\n") + "\n";
}
