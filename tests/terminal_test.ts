/**
 * Colour and terminals: the shipped CLI under a pseudo-terminal (util-linux script(1)).
 * Colour only on a terminal and never with NO_COLOR or --no-color; tables fit the terminal by
 * wrapping the Vendor and Model columns; --json never mixes in colour or human text.
 */
import assert from "node:assert/strict";
import { displayWidth } from "../cli/render.ts";
import { DEMO, LAUNCHER } from "./helpers.ts";

/** Runs the CLI on a pseudo-terminal of `cols` columns; returns what the terminal showed. */
async function onTerminal(args: string, cols: number, env: Record<string, string> = {}) {
  const command = `stty cols ${cols} rows 50; exec ${LAUNCHER} ${args}`;
  const out = await new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    // NO_COLOR="" counts as unset (no-color.org), whatever the test runner's environment says.
    env: { PPTKIT_DENO: Deno.execPath(), NO_COLOR: "", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, text: new TextDecoder().decode(out.stdout).replaceAll("\r\n", "\n") };
}

const ESC = "\x1b[";
const hasScript = (() => {
  try {
    return new Deno.Command("script", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "list on a terminal: coloured Status, every line fits 80 or 100 columns, Model wrapped",
  ignore: !hasScript,
  async fn() {
    const r = await onTerminal(`list --snapshot ${DEMO}`, 80);
    assert.equal(r.code, 0, r.text);
    // Wrapped between words (issue #15: "Runnin│g in: win-gp│u"), the Status is painted line
    // by line: no colour runs into the borders.
    assert.ok(r.text.includes(`${ESC}33mIn use by:${ESC}39m`), "the Status is coloured");
    assert.ok(r.text.includes(`${ESC}33mtest-vm-1${ESC}39m`), "the VM name is whole");
    assert.match(r.text, /^Vendor not shown: the table is wider than 80 columns/m);
    for (const line of r.text.split("\n")) {
      assert.equal(line.split(ESC).length % 2, 1, `colour opened and closed on one line: ${line}`);
    }
    const full = await onTerminal(`list --snapshot ${DEMO}`, 160);
    assert.ok(full.text.includes(`${ESC}33mIn use by: test-vm-1${ESC}39m`), "unwrapped Status");
    const lines = r.text.trimEnd().split("\n");
    for (const line of lines) assert.ok(displayWidth(line) <= 80, `fits 80: ${line}`);
    assert.ok(lines.length > 9, "rows wrapped onto more lines");
    // With room for whole words, the Model column wraps between them.
    const wide = await onTerminal(`list --snapshot ${DEMO}`, 100);
    const wideLines = wide.text.trimEnd().split("\n");
    for (const line of wideLines) assert.ok(displayWidth(line) <= 100, `fits 100: ${line}`);
    assert.ok(wideLines.some((l) => /│ Definition +│/.test(l)), "Model wraps at a word");
    assert.ok(wideLines.some((l) => /│ display\/VGA +│/.test(l)), "Type is not cut");
  },
});

Deno.test({
  name: "NO_COLOR and --no-color switch colour off on a terminal",
  ignore: !hasScript,
  async fn() {
    const env = await onTerminal(`list --snapshot ${DEMO}`, 120, { NO_COLOR: "1" });
    assert.ok(!env.text.includes(ESC), "NO_COLOR");
    const flag = await onTerminal(`list --no-color --snapshot ${DEMO}`, 120);
    assert.ok(!flag.text.includes(ESC), "--no-color");
    assert.match(flag.text, /In use by:/);
  },
});

Deno.test({
  name: "--json on a terminal is one JSON document, without colour",
  ignore: !hasScript,
  async fn() {
    for (const args of ["list --json", "check --json", "plan test-vm-1 --json --dry-run"]) {
      const r = await onTerminal(`${args} --snapshot ${DEMO}`, 80);
      if (args.includes("--dry-run")) {
        assert.match(r.text, /unknown option --dry-run/); // plan has no dry run: usage error
        continue;
      }
      assert.ok(!r.text.includes(ESC), `${args}: no colour`);
      assert.ok(JSON.parse(r.text).schema.startsWith("pptkit."), `${args}: JSON only`);
    }
  },
});
