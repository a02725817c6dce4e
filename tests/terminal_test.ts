/**
 * Colour and terminals: the shipped CLI under a pseudo-terminal (util-linux script(1)).
 * Colour only on a terminal and never with NO_COLOR or --no-color; tables fit the terminal by
 * wrapping the Vendor and Model columns; --json never mixes in colour or human text.
 */
import assert from "node:assert/strict";
import { displayWidth } from "../cli/render.ts";
import { DEMO, LAUNCHER, pptkit } from "./helpers.ts";

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

// COLUMNS and TERM: the launcher grants only NO_COLOR, PPTKIT_* and HOME today (launcher.sh is
// being rewritten; it must add COLUMNS and TERM), so these run main.ts from source.

Deno.test("#15.7 piped output fits COLUMNS; without it (by choice) and with --wide it is not wrapped", async () => {
  const widest = (text: string) => Math.max(...text.split("\n").map((l) => displayWidth(l)));
  for (const args of [["list", "--all"], ["plugins"]]) {
    const fitted = await pptkit([...args, "--snapshot", DEMO], {
      source: true,
      env: { COLUMNS: "80" },
    });
    assert.equal(fitted.code, 0, fitted.stderr);
    assert.ok(widest(fitted.stdout) <= 80, `${args.join(" ")}: fits COLUMNS=80`);
    const free = await pptkit([...args, "--snapshot", DEMO], {
      source: true,
      env: { COLUMNS: "" },
    });
    assert.ok(widest(free.stdout) > 80, `${args.join(" ")}: a pipe without COLUMNS is not wrapped`);
  }
  const wide = await pptkit(["list", "--all", "--wide", "--snapshot", DEMO], {
    source: true,
    env: { COLUMNS: "80" },
  });
  assert.ok(widest(wide.stdout) > 80, "--wide is never wrapped");
});

Deno.test("#15.7 help wraps to the width instead of a hard wrap at 92 columns", async () => {
  const { COMMANDS } = await import("../cli/commands.ts");
  const { commandHelp, mainHelp } = await import("../cli/help.ts");
  for (const width of [60, 80]) {
    for (const entry of COMMANDS) {
      const text = commandHelp(entry, await entry.load(), width);
      // Examples are command lines, printed whole; everything else fits.
      const prose = text.slice(0, text.indexOf("Examples:") >>> 0);
      for (const line of prose.split("\n")) {
        assert.ok(displayWidth(line) <= width, `${entry.name} --help fits ${width}: ${line}`);
      }
    }
    for (const line of mainHelp(COMMANDS, width).split("\n")) {
      assert.ok(displayWidth(line) <= width, `--help fits ${width}: ${line}`);
    }
  }
  // Examples fit 80 columns too; and COLUMNS reaches the help of the real command line.
  for (const entry of COMMANDS) {
    for (const line of commandHelp(entry, await entry.load(), 80).split("\n")) {
      assert.ok(displayWidth(line) <= 80, `${entry.name} --help example fits 80: ${line}`);
    }
  }
  const wide = await pptkit(["reserve", "--help"], { source: true, env: { COLUMNS: "140" } });
  assert.ok(
    wide.stdout.split("\n").some((l) => displayWidth(l) > 100),
    "paragraphs reflow to 140 columns",
  );
});

Deno.test({
  name: "#15.7 TERM=dumb means no colour, on a terminal too",
  ignore: !hasScript,
  async fn() {
    const main = `${new URL("../main.ts", import.meta.url).pathname}`;
    const run = async (term: string) => {
      const command =
        `stty cols 120 rows 50; exec ${Deno.execPath()} run --quiet -A ${main} list ` +
        `--snapshot ${DEMO}`;
      const out = await new Deno.Command("script", {
        args: ["-qec", command, "/dev/null"],
        env: { NO_COLOR: "", TERM: term },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      return new TextDecoder().decode(out.stdout);
    };
    assert.ok((await run("xterm")).includes(ESC), "colour on a terminal");
    const dumb = await run("dumb");
    assert.ok(!dumb.includes(ESC), "no colour with TERM=dumb");
    assert.match(dumb, /In use by:/);
  },
});

Deno.test("#15.7 list --plain: a header line, then one tab-separated line per device", async () => {
  const r = await pptkit(["list", "--plain", "--snapshot", DEMO]);
  assert.equal(r.code, 0, r.stderr);
  const [header, ...rows] = r.stdout.trimEnd().split("\n");
  assert.equal(
    header,
    "PPT Device\tPCI ID Raw\tType\tBhyve PCI ID\tVendor\tModel\tStatus",
  );
  assert.deepEqual(rows.map((l) => l.split("\t")), [
    [
      "ppt0",
      "pci0:1:0:0:",
      "display/VGA",
      "1/0/0",
      "NVIDIA Corporation",
      "GP107GL Quadro P600",
      "In use by: test-vm-1",
    ],
    [
      "ppt1",
      "pci0:1:0:1:",
      "multimedia/HDA",
      "1/0/1",
      "NVIDIA Corporation",
      "GP107GL High Definition Audio Controller",
      "In use by: test-vm-1",
    ],
  ]);
  const both = await pptkit(["list", "--plain", "--wide", "--snapshot", DEMO]);
  assert.equal(both.code, 64);
});
