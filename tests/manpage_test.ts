/**
 * docs/pptkit.8, --help and the code agree: every command and option the CLI accepts is in
 * the man page, and the man page names no command or option the CLI does not have.
 */
import assert from "node:assert/strict";
import { GLOBAL_OPTIONS } from "../cli/command.ts";
import { COMMANDS } from "../cli/commands.ts";
import { pptkit, ROOT } from "./helpers.ts";

const MAN = Deno.readTextFileSync(`${ROOT}docs/pptkit.8`);

/** `.It Cm NAME` entries of the COMMANDS section. */
function manCommands(): Set<string> {
  const section = MAN.slice(MAN.indexOf(".Sh COMMANDS"), MAN.indexOf(".Sh OUTPUT"));
  const names = new Set<string>();
  for (const line of section.split("\n")) {
    if (line.startsWith(".It Cm ")) names.add(line.split(" ")[2]);
  }
  return names;
}

/**
 * Every long option the man page names with `Fl -name`, and short ones with `Fl x`; flags of
 * other programs (`.Nm pciconf Fl lbcv`) are not pptkit's.
 */
function manOptions(): Set<string> {
  const out = new Set<string>();
  for (const line of MAN.split("\n")) {
    if (/^\.Nm \S/.test(line)) continue;
    for (const m of line.matchAll(/Fl (-?[a-z][a-z0-9-]*)/g)) {
      const flag = m[1];
      out.add(flag.startsWith("-") ? flag.slice(1) : `short:${flag}`);
    }
  }
  return out;
}

Deno.test("every command of the table is in the man page's COMMANDS and SYNOPSIS, and back", () => {
  const man = manCommands();
  const code = new Set(COMMANDS.map((c) => c.name));
  for (const name of code) {
    assert.ok(man.has(name), `${name} is missing from docs/pptkit.8 COMMANDS`);
    assert.ok(MAN.includes(`.Cm ${name}`), `${name} in SYNOPSIS`);
  }
  for (const name of man) {
    if (name === "help") continue;
    assert.ok(code.has(name), `docs/pptkit.8 documents "${name}", which the CLI does not have`);
  }
});

Deno.test("every option of every command is in the man page, and back", async () => {
  const man = manOptions();
  const known = new Set<string>();
  for (const spec of GLOBAL_OPTIONS) {
    known.add(spec.name);
    if (spec.short) known.add(`short:${spec.short}`);
  }
  for (const entry of COMMANDS) {
    const command = await entry.load();
    for (const spec of command.options) {
      known.add(spec.name);
      if (spec.short) known.add(`short:${spec.short}`);
      assert.ok(
        man.has(spec.name),
        `--${spec.name} of ${entry.name} is missing from docs/pptkit.8`,
      );
    }
  }
  for (const spec of GLOBAL_OPTIONS) {
    assert.ok(man.has(spec.name), `global --${spec.name} is missing from docs/pptkit.8`);
    if (spec.short) assert.ok(man.has(`short:${spec.short}`), `-${spec.short} in docs/pptkit.8`);
  }
  for (const flag of man) {
    assert.ok(known.has(flag), `docs/pptkit.8 names ${flag}, which no command accepts`);
  }
});

Deno.test("--help of each command shows the options the man page documents", async () => {
  for (const entry of COMMANDS) {
    const r = await pptkit([entry.name, "--help"]);
    assert.equal(r.code, 0, `${entry.name} --help: ${r.stderr}`);
    const command = await entry.load();
    for (const spec of command.options) {
      assert.match(
        r.stdout,
        new RegExp(`--${spec.name}\\b`),
        `${entry.name} --help lists --${spec.name}`,
      );
    }
  }
  const main = await pptkit(["--help"]);
  for (const entry of COMMANDS) assert.match(main.stdout, new RegExp(`^  ${entry.name} `, "m"));
});

Deno.test("the man page lists every exit code main.ts and the commands use", () => {
  const section = MAN.slice(MAN.indexOf(".Sh EXIT STATUS"), MAN.indexOf(".Sh EXAMPLES"));
  for (const code of [0, 1, 64, 65, 66, 69, 70, 73, 75, 77, 78]) {
    assert.ok(section.includes(`.It ${code}\n`), `exit ${code} documented`);
  }
});

const hasMandoc = (() => {
  try {
    return new Deno.Command("mandoc", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().code !== 127;
  } catch {
    return false;
  }
})();
if (!hasMandoc) console.log("manpage_test: mandoc not found, the mandoc tests are ignored");

function mandoc(...args: string[]): { code: number; stdout: string; stderr: string } {
  const out = new Deno.Command("mandoc", { args: [...args, `${ROOT}docs/pptkit.8`] }).outputSync();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "#15.9 the man page is mandoc -T lint -W warning clean",
  ignore: !hasMandoc,
  fn() {
    const r = mandoc("-T", "lint", "-W", "warning");
    assert.equal(r.stdout + r.stderr, "");
    assert.equal(r.code, 0);
  },
});

Deno.test({
  name: '#15.9 the man page renders the statuses as written (no mdoc .In for "In use by")',
  ignore: !hasMandoc,
  fn() {
    // Without the overstrikes of bold and underline (a character, a backspace, a character).
    let text = "";
    for (const ch of mandoc("-T", "ascii").stdout) {
      text = ch === "\b" ? text.slice(0, -1) : text + ch;
    }
    assert.match(text, /"In use by: vm1"/);
    assert.doesNotMatch(text, /<use>|use> by/);
    for (const status of ["Not reserved", "Not on ppt: vm1", "Reserved (reboot): vm1"]) {
      assert.ok(text.includes(`"${status}"`), status);
    }
    // The guide's pptdevs="0/2/0 0/20/0" is an iGPU and a USB controller, not a GPU and its audio.
    const example = text.slice(text.indexOf('pptdevs="0/2/0 0/20/0"'));
    assert.match(
      example.slice(0, 300),
      /integrated\s+GPU \(0\/2\/0\) and its USB 3\.0 xHCI\s+controller \(0\/20\/0\)/,
    );
  },
});

Deno.test("#15.9 list --help and the README document every status; the README says how to run without deno on PATH", async () => {
  const help = (await pptkit(["list", "--help"], { env: { COLUMNS: "200" } })).stdout
    .replaceAll("\n", " ");
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  for (
    const status of ["Not reserved", "Not on ppt: VM", "Reserved (reboot): VM", "Running in: VM"]
  ) {
    assert.ok(help.includes(status), `list --help: ${status}`);
  }
  for (const status of ["`Not reserved`", "`Not on ppt: vm1`", "`Reserved (reboot): vm1`"]) {
    assert.ok(readme.includes(status), `README: ${status}`);
  }
  assert.match(
    readme,
    /PPTKIT_DENO="\$\(npx -y deno@2\.9\.6 eval 'console\.log\(Deno\.execPath\(\)\)'\)"/,
  );
});
