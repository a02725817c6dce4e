/**
 * A small scanf-like reader for printf formats (`%d` a decimal number, `%x` a hex number, `%s`
 * text up to the literal that follows, or the rest of the line), so that a known message is
 * found anywhere in a line (wrapper logs add their own prefixes) without a regular expression
 * backtracking over the text.
 *
 * @module
 */

type Part = { readonly literal: string } | { readonly spec: "d" | "x" | "s" };

/** Splits a printf format into literals and `%d` / `%x` / `%s` conversions. */
export function compile(format: string): Part[] {
  const parts: Part[] = [];
  let literal = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i];
    const next = format[i + 1];
    if (ch === "%" && (next === "d" || next === "x" || next === "s")) {
      if (literal !== "") parts.push({ literal });
      literal = "";
      parts.push({ spec: next });
      i++;
    } else {
      literal += ch;
    }
  }
  if (literal !== "") parts.push({ literal });
  return parts;
}

export function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

function isHex(ch: string | undefined): boolean {
  return ch !== undefined &&
    (isDigit(ch) || (ch >= "a" && ch <= "f") || (ch >= "A" && ch <= "F"));
}

/** Matches `parts` at `pos` of `line`; the converted values, or null. */
function matchAt(parts: readonly Part[], line: string, pos: number): string[] | null {
  const values: string[] = [];
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k];
    if ("literal" in part) {
      if (!line.startsWith(part.literal, pos)) return null;
      pos += part.literal.length;
      continue;
    }
    const start = pos;
    if (part.spec === "d") {
      if (line[pos] === "-") pos++;
      const digits = pos;
      while (isDigit(line[pos])) pos++;
      if (pos === digits) return null;
    } else if (part.spec === "x") {
      if (line.startsWith("0x", pos)) pos += 2;
      const digits = pos;
      while (isHex(line[pos])) pos++;
      if (pos === digits) return null;
    } else {
      const next = parts[k + 1];
      if (next === undefined) {
        pos = line.length;
      } else if ("literal" in next) {
        const end = line.indexOf(next.literal, pos);
        if (end < 0) return null;
        pos = end;
      } else {
        return null; // two conversions in a row: not used by any known format
      }
    }
    values.push(line.slice(start, pos).trim());
  }
  return values;
}

/** A format found in a line: where it starts and its converted values. */
export interface FormatMatch {
  readonly start: number;
  readonly values: string[];
}

/**
 * Finds a format anywhere in a line. A leading `%s` is the word just before the first literal
 * (bhyve prints `__func__` there).
 */
export function findFormat(parts: readonly Part[], line: string): FormatMatch | null {
  const leading = parts.length > 1 && "spec" in parts[0] && parts[0].spec === "s";
  const rest = leading ? parts.slice(1) : parts;
  const first = rest[0];
  if (first === undefined || !("literal" in first)) return null;
  for (let at = line.indexOf(first.literal); at >= 0; at = line.indexOf(first.literal, at + 1)) {
    const values = matchAt(rest, line, at);
    if (values === null) continue;
    if (!leading) return { start: at, values };
    let start = at;
    while (start > 0 && line[start - 1] !== " " && line[start - 1] !== "\t") start--;
    return { start, values: [line.slice(start, at), ...values] };
  }
  return null;
}
