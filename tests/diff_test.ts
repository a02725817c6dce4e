import assert from "node:assert/strict";
import { unifiedDiff } from "../core/diff.ts";
import { prng } from "./helpers.ts";

/** Lines with their "\n", as patch(1) sees them. */
function linesOf(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf("\n", start);
    const stop = end < 0 ? text.length : end + 1;
    out.push(text.slice(start, stop));
    start = stop;
  }
  return out;
}

/** A strict patch(1): applies a unified diff, checking every context and removed line. */
function applyDiff(oldText: string, diff: string): string {
  if (diff === "") return oldText;
  const old = linesOf(oldText);
  const rows = diff.split("\n");
  assert.equal(rows.pop(), "", "a diff ends with a newline");
  assert.ok(rows[0].startsWith("--- ") && rows[1].startsWith("+++ "));
  const out: string[] = [];
  let pos = 0;
  let i = 2;
  while (i < rows.length) {
    const header = rows[i].match(/^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$/);
    assert.ok(header, `hunk header: ${rows[i]}`);
    const oldStart = Number(header[1]);
    const oldCount = header[2] === undefined ? 1 : Number(header[2]);
    const newStart = Number(header[3]);
    const newCount = header[4] === undefined ? 1 : Number(header[4]);
    const from = oldCount === 0 ? oldStart : oldStart - 1;
    assert.ok(from >= pos, "hunks in order");
    out.push(...old.slice(pos, from));
    pos = from;
    assert.equal(newCount === 0 ? newStart : newStart - 1, out.length, "new start");
    let seenOld = 0;
    let seenNew = 0;
    i++;
    while (i < rows.length && !rows[i].startsWith("@@")) {
      const row = rows[i];
      const noEol = rows[i + 1] === "\\ No newline at end of file";
      const line = row.slice(1) + (noEol ? "" : "\n");
      if (row[0] === " " || row[0] === "-") {
        assert.equal(old[pos], line, `line ${pos + 1}`);
        pos++;
        seenOld++;
      }
      if (row[0] === " " || row[0] === "+") {
        out.push(line);
        seenNew++;
      }
      assert.ok(" -+".includes(row[0]) && row !== "", `row: ${JSON.stringify(row)}`);
      i += noEol ? 2 : 1;
    }
    assert.equal(seenOld, oldCount, "old count");
    assert.equal(seenNew, newCount, "new count");
  }
  out.push(...old.slice(pos));
  return out.join("");
}

const ten = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";

Deno.test("unifiedDiff() returns the empty string for equal texts", () => {
  assert.equal(unifiedDiff("a", "b", "", ""), "");
  assert.equal(unifiedDiff("a", "b", ten, ten), "");
});

Deno.test("unifiedDiff() writes one hunk with three lines of context", () => {
  const d = unifiedDiff(
    "/boot/loader.conf",
    "/boot/loader.conf.new",
    ten,
    ten.replace("5\n", "five\n"),
  );
  assert.equal(
    d,
    "--- /boot/loader.conf\n+++ /boot/loader.conf.new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
  );
});

Deno.test("unifiedDiff() splits far changes into two hunks and joins near ones", () => {
  const far = unifiedDiff("a", "b", ten, "X\n" + ten.slice(2).replace("10\n", "Y\n"));
  assert.equal(
    far,
    "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+X\n 2\n 3\n 4\n@@ -7,4 +7,4 @@\n 7\n 8\n 9\n-10\n+Y\n",
  );
  const near = unifiedDiff("a", "b", ten, ten.replace("2\n", "two\n").replace("8\n", "eight\n"));
  assert.equal(near.match(/^@@/gm)?.length, 1);
  assert.match(near, /^@@ -1,10 \+1,10 @@$/m);
});

Deno.test("unifiedDiff() marks a missing final newline", () => {
  assert.equal(
    unifiedDiff("a", "b", "x\ny", "x\ny\n"),
    "--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n",
  );
  assert.equal(
    unifiedDiff("a", "b", "x\n", "x\nz"),
    "--- a\n+++ b\n@@ -1 +1,2 @@\n x\n+z\n\\ No newline at end of file\n",
  );
});

Deno.test("unifiedDiff() from and to an empty file", () => {
  assert.equal(
    unifiedDiff("a", "b", "", 'pptdevs="1/0/0"\nvmm_load="YES"\n'),
    '--- a\n+++ b\n@@ -0,0 +1,2 @@\n+pptdevs="1/0/0"\n+vmm_load="YES"\n',
  );
  assert.equal(unifiedDiff("a", "b", "x\n", ""), "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n");
});

Deno.test("unifiedDiff() with no context and an insertion names the line before it", () => {
  assert.equal(
    unifiedDiff("a", "b", "1\n2\n3\n", "1\n2\nnew\n3\n", 0),
    "--- a\n+++ b\n@@ -2,0 +3 @@\n+new\n",
  );
});

Deno.test("unifiedDiff() keeps the \\r of CRLF lines", () => {
  const d = unifiedDiff("a", "b", 'a="1"\r\nb="2"\r\n', 'x="0"\r\na="1"\r\nb="2"\r\n');
  assert.equal(d, '--- a\n+++ b\n@@ -1,2 +1,3 @@\n+x="0"\r\n a="1"\r\n b="2"\r\n');
});

Deno.test("unifiedDiff() of 400 random edits applies back to the new text", () => {
  const words = ["a", "b", "c", 'pptdevs="1/0/0"', "# c", "", "vmm_load=YES"];
  for (let seed = 0; seed < 400; seed++) {
    const rng = prng(seed);
    const make = (n: number) =>
      Array.from({ length: n }, () => words[Math.floor(rng() * words.length)]);
    const a = make(Math.floor(rng() * 30));
    const b = a.filter(() => rng() > 0.2);
    for (let k = Math.floor(rng() * 5); k > 0; k--) {
      b.splice(Math.floor(rng() * (b.length + 1)), 0, ...make(1 + Math.floor(rng() * 3)));
    }
    const oldText = a.join("\n") + (rng() < 0.5 ? "\n" : "");
    const newText = b.join("\n") + (rng() < 0.5 ? "\n" : "");
    const context = Math.floor(rng() * 4);
    const d = unifiedDiff("a", "b", oldText, newText, context);
    assert.equal(applyDiff(oldText, d), newText, `seed ${seed}`);
    assert.equal(d === "", oldText === newText);
  }
});

Deno.test("unifiedDiff() stays correct for very different large texts", () => {
  const a = Array.from({ length: 3000 }, (_, i) => `a${i}\n`).join("");
  const b = Array.from({ length: 3000 }, (_, i) => `b${i}\n`).join("");
  const d = unifiedDiff("a", "b", a, b);
  assert.equal(applyDiff(a, d), b);
  assert.match(d, /^@@ -1,3000 \+1,3000 @@$/m);
});
