/**
 * Unified diffs of line-based text, as `diff -u` prints them: what `reserve --dry-run` shows
 * before a loader.conf changes.
 *
 * Lines are cut at `\n`; a `\r` before it stays part of the line (a CRLF file diffs like
 * `diff -u` shows it). A last line without a newline differs from the same text with one and is
 * followed by `\ No newline at end of file`. The edit script comes from Myers' O((N+M)D)
 * algorithm after trimming the common head and tail; past {@linkcode MAX_EDIT_DISTANCE} the rest
 * is reported as one replaced block, which is still a correct diff, only not a minimal one.
 *
 * @module
 */

/** Beyond this many differing lines, stop searching for a minimal script (bounds memory). */
const MAX_EDIT_DISTANCE = 2000;

interface Line {
  readonly text: string;
  readonly newline: boolean;
}

type Op = "=" | "-" | "+";

function splitLines(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf("\n", start);
    if (end < 0) {
      out.push({ text: text.slice(start), newline: false });
      break;
    }
    out.push({ text: text.slice(start, end), newline: true });
    start = end + 1;
  }
  return out;
}

function sameLine(a: Line, b: Line): boolean {
  return a.text === b.text && a.newline === b.newline;
}

/** Myers' greedy shortest edit script between a[lo..] and b[lo..] of the given lengths. */
function myers(
  a: readonly Line[],
  b: readonly Line[],
  aStart: number,
  bStart: number,
  n: number,
  m: number,
): Op[] {
  const max = n + m;
  const limit = Math.min(max, MAX_EDIT_DISTANCE);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= limit && found < 0; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])
        ? v[offset + k + 1]
        : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && sameLine(a[aStart + x], b[bStart + y])) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) {
    // Too different: one deleted block and one inserted block.
    return [...Array<Op>(n).fill("-"), ...Array<Op>(m).fill("+")];
  }
  // Walk the trace back from (n, m). trace[d] holds v[-d-1 .. d+1] as it was before step d.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d];
    const get = (k: number) => prev[k + d + 1];
    const k = x - y;
    const down = k === -d || (k !== d && get(k - 1) < get(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = get(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push("=");
      x--;
      y--;
    }
    ops.push(down ? "+" : "-");
    if (down) y--;
    else x--;
  }
  while (x > 0 && y > 0) {
    ops.push("=");
    x--;
    y--;
  }
  return ops.reverse();
}

/** The edit script of two line lists, with deletions before insertions in every changed run. */
function editScript(a: readonly Line[], b: readonly Line[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && sameLine(a[head], b[head])) head++;
  let tail = 0;
  while (
    tail < a.length - head && tail < b.length - head &&
    sameLine(a[a.length - 1 - tail], b[b.length - 1 - tail])
  ) tail++;
  const middle = myers(a, b, head, head, a.length - head - tail, b.length - head - tail);
  const ops: Op[] = [...Array<Op>(head).fill("="), ...middle, ...Array<Op>(tail).fill("=")];
  // Any order of - and + inside a run between equal lines is valid; diff -u prints - first.
  for (let i = 0; i < ops.length;) {
    if (ops[i] === "=") {
      i++;
      continue;
    }
    let j = i;
    let minus = 0;
    while (j < ops.length && ops[j] !== "=") {
      if (ops[j] === "-") minus++;
      j++;
    }
    for (let p = i; p < j; p++) ops[p] = p - i < minus ? "-" : "+";
    i = j;
  }
  return ops;
}

/** `start,count` of a hunk range; diff -u drops `,1`, and an empty range names the line before. */
function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

/**
 * A unified diff (`--- oldPath`, `+++ newPath`, `@@ -l,n +l,n @@` hunks with `context` lines
 * around each change) from `oldText` to `newText`; the empty string when they are equal.
 */
export function unifiedDiff(
  oldPath: string,
  newPath: string,
  oldText: string,
  newText: string,
  context = 3,
): string {
  if (oldText === newText) return "";
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const ops = editScript(a, b);
  // Line positions (0-based) in a and b before each op.
  const ai: number[] = [];
  const bi: number[] = [];
  let x = 0;
  let y = 0;
  for (const op of ops) {
    ai.push(x);
    bi.push(y);
    if (op !== "+") x++;
    if (op !== "-") y++;
  }
  const changed: number[] = [];
  ops.forEach((op, i) => {
    if (op !== "=") changed.push(i);
  });
  let out = `--- ${oldPath}\n+++ ${newPath}\n`;
  let c = 0;
  while (c < changed.length) {
    // A hunk shows `context` lines around its changes; changes separated by at most
    // 2 * context equal lines share one hunk.
    const firstChange = changed[c];
    let lastChange = firstChange;
    while (c + 1 < changed.length && changed[c + 1] - lastChange <= 2 * context + 1) {
      lastChange = changed[++c];
    }
    c++;
    const from = Math.max(0, firstChange - context);
    const to = Math.min(ops.length, lastChange + context + 1);
    let oldCount = 0;
    let newCount = 0;
    let body = "";
    for (let i = from; i < to; i++) {
      const op = ops[i];
      const line = op === "+" ? b[bi[i]] : a[ai[i]];
      if (op !== "+") oldCount++;
      if (op !== "-") newCount++;
      body += (op === "=" ? " " : op) + line.text + "\n";
      if (!line.newline) body += "\\ No newline at end of file\n";
    }
    out += `@@ -${range(ai[from] + 1, oldCount)} +${range(bi[from] + 1, newCount)} @@\n` + body;
  }
  return out;
}
