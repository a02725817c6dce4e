/**
 * Small text helpers every parser and message shares: the line reader, quoting a value in a
 * message, joining names into a sentence, and the one byte-order comparison of names.
 *
 * @module
 */

/** Yields `[lineNumber, text]` for `\n`, `\r\n` and `\r` line ends. */
export function* lines(text: string): Generator<[number, string]> {
  let n = 1;
  if (!text.includes("\r")) {
    // The common case: native indexOf finds line ends far faster than a character loop.
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      yield [n++, text.slice(start, end)];
      start = end + 1;
    }
    return;
  }
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      yield [n++, text.slice(start, i)];
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
  }
  if (start < text.length) yield [n, text.slice(start)];
}

/** A value cut to `max` characters for a one-line message. */
export function clip(text: string, max = 60): string {
  return text.length > max ? text.slice(0, max - 3) + "..." : text;
}

/** `a`, `a and b`, `a, b and c`. */
export function joinAnd(items: readonly string[]): string {
  return joinWith(items, "and");
}

/** `a`, `a or b`, `a, b or c`. */
export function joinOr(items: readonly string[]): string {
  return joinWith(items, "or");
}

function joinWith(items: readonly string[], word: string): string {
  return items.length <= 1
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} ${word} ${items[items.length - 1]}`;
}

/** Like {@linkcode joinAnd}, but a long list names 8 items and counts the rest. */
export function joinBrief(items: readonly string[]): string {
  return items.length <= 12
    ? joinAnd(items)
    : `${items.slice(0, 8).join(", ")} and ${items.length - 8} more`;
}

/** Byte-order comparison of names: the same order on every host, whatever the locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `1 error`, `2 errors`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A blank between fields of command output: a space or a tab. */
export function isSpaceOrTab(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * Splits on runs of blanks (spaces and tabs, or what `isBlank` says): the fields of a line of
 * command output.
 */
export function words(
  text: string,
  isBlank: (code: number) => boolean = isSpaceOrTab,
): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && isBlank(text.charCodeAt(i))) i++;
    const start = i;
    while (i < text.length && !isBlank(text.charCodeAt(i))) i++;
    if (i > start) out.push(text.slice(start, i));
  }
  return out;
}

/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string alignment):
 * `vmm_laod` is one edit from `vmm_load`. For "did you mean" on small typos only.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2][j - 2] + 1);
      }
      rows[i].push(d);
    }
  }
  return rows[a.length][b.length];
}

/** The name nearest to `word` within `max` edits (the first of equals), or undefined. */
export function nearest(word: string, names: readonly string[], max = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const name of names) {
    const d = editDistance(word, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Characters a terminal acts on instead of showing (C0 controls, DEL, C1 controls) and the
 * bidirectional overrides that reorder what it shows.
 */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
/**
 * The same, except the colour codes pptkit paints with (cli/render.ts: 1, 2, 22, 31, 32, 33,
 * 36, 39), for a table cell a renderer painted.
 */
const CONTROLS_BUT_COLOUR =
  // deno-lint-ignore no-control-regex -- matching control characters is the point
  /\x1b(?!\[(?:1|2|22|3[12369])m)|[\x00-\x1a\x1c-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
/** The same, also keeping the newlines and tabs output is made of. */
const UNSAFE_IN_OUTPUT =
  // deno-lint-ignore no-control-regex -- matching control characters is the point
  /\x1b(?!\[(?:1|2|22|3[12369])m)|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/**
 * How a control character is shown: `\n`, `\r`, `\t`, `\x1b` below space, and `\u0085` from
 * DEL up, which is also a valid escape inside a JSON string (JSON.stringify leaves those raw).
 */
function visible(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code === 10) return "\\n";
  if (code === 13) return "\\r";
  if (code === 9) return "\\t";
  return code < 0x20
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

function escapeWith(pattern: RegExp, text: string): string {
  pattern.lastIndex = 0;
  return pattern.test(text) ? text.replace(pattern, visible) : text;
}

/**
 * Text from a file or a process made safe for one line of output: every control character
 * (newline, escape, DEL, C1, bidi overrides) written as an escape (`\n`, `\x1b`), so a VM name
 * cannot split a message or forge a log line, and a directory name cannot drive the terminal.
 */
export function escapeControls(text: string): string {
  return escapeWith(CONTROLS, text);
}

/** {@linkcode escapeControls} for a table cell that may be painted in pptkit's colours. */
export function escapeCell(text: string): string {
  return escapeWith(CONTROLS_BUT_COLOUR, text);
}

/**
 * The last line of defence before bytes reach stdout or stderr: the controls of
 * {@linkcode escapeControls} except newlines, tabs and pptkit's colour codes.
 */
export function escapeOutput(text: string): string {
  return escapeWith(UNSAFE_IN_OUTPUT, text);
}
