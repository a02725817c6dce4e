/**
 * .ci/run with stub commands on PATH: it installs ansible-core only where ansible-playbook is
 * missing and apt-get exists, never fails because the install did, runs exactly the README's
 * test command, keeps its exit status and prints the plain `N passed, M failed` line.
 */
import assert from "node:assert/strict";
import { ROOT, scratch } from "./helpers.ts";

/** The tools .ci/run uses besides the stubs, linked into a PATH of their own. */
const TOOLS = ["sh", "cat", "dirname", "grep", "mktemp", "rm", "sed", "tail", "tee"];

function which(tool: string): string {
  for (const dir of ["/usr/bin", "/bin", "/usr/local/bin"]) {
    try {
      if (Deno.statSync(`${dir}/${tool}`).isFile) return `${dir}/${tool}`;
    } catch {
      // not here
    }
  }
  throw new Error(`${tool} not found`);
}

interface Stubs {
  /** apt-get: `null` for none, else its exit status (0 also installs ansible-playbook). */
  readonly aptGet: number | null;
  readonly ansible: boolean;
  /** The test command's exit status and summary line. */
  readonly status: number;
  readonly summary: string;
}

async function ci(dir: string, stubs: Stubs) {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  for (const tool of TOOLS) await Deno.symlink(which(tool), `${bin}/${tool}`);
  const stub = async (name: string, body: string) => {
    await Deno.writeTextFile(`${bin}/${name}`, `#!${which("sh")}\n${body}\n`);
    await Deno.chmod(`${bin}/${name}`, 0o755);
  };
  await stub("npx", `echo "npx $*" >> ${dir}/log\necho '${stubs.summary}'\nexit ${stubs.status}`);
  if (stubs.ansible) await stub("ansible-playbook", "exit 0");
  if (stubs.aptGet !== null) {
    const install = stubs.aptGet === 0
      ? `printf '#!/bin/sh\\nexit 0\\n' > ${bin}/ansible-playbook; ${
        which("chmod")
      } 755 ${bin}/ansible-playbook`
      : ":";
    await stub(
      "apt-get",
      `echo "apt-get $*" >> ${dir}/log\ncase "$*" in *install*) ${install}; exit ${stubs.aptGet};; esac`,
    );
  }
  const out = await new Deno.Command(`${ROOT}.ci/run`, {
    env: { PATH: bin },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  let log = "";
  try {
    log = await Deno.readTextFile(`${dir}/log`);
  } catch {
    // nothing ran
  }
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout), log };
}

Deno.test(".ci/run installs ansible-core when ansible-playbook is missing, then runs the tests", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const r = await ci(dir, {
      aptGet: 0,
      ansible: false,
      status: 0,
      summary: "ok | 7 passed | 0 failed (3s)",
    });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(
      r.log,
      "apt-get install -y -qq --no-install-recommends ansible-core\nnpx -y deno@2.9.6 task test\n",
    );
    assert.ok(!r.stdout.includes("skipped"), r.stdout);
    assert.ok(r.stdout.endsWith("7 passed, 0 failed\n"), r.stdout);
  } finally {
    await cleanup();
  }
});

Deno.test(".ci/run survives a failed install, says the ansible tests are skipped, keeps the status", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const r = await ci(dir, {
      aptGet: 100,
      ansible: false,
      status: 1,
      summary: "FAILED | 5 passed | 2 failed | 4 ignored (3s)",
    });
    assert.equal(r.code, 1, "the test command's status, not the install's");
    assert.equal(
      r.log,
      "apt-get install -y -qq --no-install-recommends ansible-core\n" +
        "apt-get update -qq\n" +
        "apt-get install -y -qq --no-install-recommends ansible-core\n" +
        "npx -y deno@2.9.6 task test\n",
    );
    assert.match(r.stdout, /^ci: could not install ansible-core$/m);
    assert.match(r.stdout, /^ansible tests skipped: ansible-playbook not found$/m);
    assert.ok(r.stdout.endsWith("5 passed, 2 failed\n"), r.stdout);
  } finally {
    await cleanup();
  }
});

Deno.test(".ci/run leaves the system alone when ansible-playbook is there, or apt-get is not", async () => {
  for (const stubs of [{ aptGet: 0, ansible: true }, { aptGet: null, ansible: false }]) {
    const [dir, cleanup] = await scratch();
    try {
      const r = await ci(dir, { ...stubs, status: 0, summary: "ok | 1 passed | 0 failed" });
      assert.equal(r.code, 0);
      assert.equal(r.log, "npx -y deno@2.9.6 task test\n", JSON.stringify(stubs));
      assert.equal(r.stdout.includes("ansible tests skipped"), !stubs.ansible);
      assert.ok(r.stdout.endsWith("1 passed, 0 failed\n"), r.stdout);
    } finally {
      await cleanup();
    }
  }
});
