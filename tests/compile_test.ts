/**
 * `deno task compile` (compile.ts): the permissions it bakes in are the launcher's, and without
 * denort it says so in one line and exits 69 (denort cannot be downloaded on the build machines).
 */
import assert from "node:assert/strict";
import { permissionFlags } from "../compile.ts";
import { CAPTURE_COMMANDS, type ToolName } from "../core/host/host.ts";
import { errorLines, LAUNCHER, ROOT, scratch } from "./helpers.ts";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function compile(args: string[], env: Record<string, string>): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", `${ROOT}compile.ts`, ...args],
    clearEnv: true,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function assertOneError(r: Run, code: number, pattern: RegExp) {
  assert.equal(r.code, code, r.stderr);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0], /^pptkit: /);
  assert.match(lines[0], pattern);
  assert.match(lines[1], /^hint: /);
}

Deno.test("compile: the permissions are the launcher's defaults, flag for flag", async () => {
  const [dir, cleanup] = await scratch();
  try {
    // A stand-in for deno that prints the command line the launcher gives it.
    await Deno.writeTextFile(`${dir}/deno`, '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n');
    await Deno.chmod(`${dir}/deno`, 0o755);
    const out = await new Deno.Command(LAUNCHER, {
      args: ["--version"],
      env: { PPTKIT_DENO: `${dir}/deno` },
      stdout: "piped",
    }).output();
    const launched = new TextDecoder().decode(out.stdout).split("\n")
      .filter((a) => a.startsWith("--allow-"));
    const flags = permissionFlags(await Deno.readTextFile(`${ROOT}launcher.sh`));
    assert.deepEqual(flags, launched);
    assert.deepEqual(flags.map((f) => f.slice(0, f.indexOf("="))), [
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--allow-sys",
    ]);
    // Every command a live host runs, and no other: each capture's (but ls, which /dev/vmm is
    // read without) and the tools'.
    // (A record, so that a new ToolName is a type error here until it is listed.)
    const tools: Record<ToolName, true> = { devctl: true, cbsd: true };
    const commands = new Set([
      ...Object.values(CAPTURE_COMMANDS).map(([cmd]) => cmd).filter((cmd) => cmd !== "ls"),
      ...Object.keys(tools),
    ]);
    const run = flags.find((f) => f.startsWith("--allow-run="))!.slice("--allow-run=".length);
    assert.deepEqual(new Set(run.split(",")), commands);
    assert.ok(!flags.some((f) => f.startsWith("--allow-net")));
  } finally {
    await cleanup();
  }
});

const DENORT_BESIDE_DENO = await Deno.stat(Deno.execPath().replace(/[^/]+$/, "denort"))
  .then(() => true, () => false);

Deno.test({
  name: "compile: without denort, one line pointing at the bundle, exit 69",
  ignore: DENORT_BESIDE_DENO,
  async fn() {
    const [dir, cleanup] = await scratch();
    try {
      // No DENORT_BIN, nothing on PATH, an empty deno cache.
      const r = await compile([], { PATH: dir, HOME: dir, DENO_DIR: dir });
      assertOneError(r, 69, /^pptkit: cannot compile a single binary for .*: no denort/);
      assert.match(r.stderr, /hint: ship dist\/pptkit\.js with the launcher dist\/pptkit/);
      assert.match(r.stderr, /DENORT_BIN=\/usr\/local\/bin\/denort deno task compile/);
    } finally {
      await cleanup();
    }
  },
});

Deno.test("compile: DENORT_BIN that is missing, or that is not denort, exits 69", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const missing = await compile([], { DENORT_BIN: `${dir}/denort`, HOME: dir });
    assertOneError(missing, 69, /^pptkit: DENORT_BIN=.*\/denort: no such file$/);
    // deno itself builds a binary that runs deno, not pptkit: caught and removed.
    const output = `${dir}/pptkit-test`;
    const wrong = await compile(["--output", output], {
      DENORT_BIN: Deno.execPath(),
      HOME: dir,
      DENO_DIR: dir,
    });
    assertOneError(wrong, 69, /does not run pptkit .* is not denort$/);
    await assert.rejects(Deno.stat(output), "the wrong binary is removed");
  } finally {
    await cleanup();
  }
});
