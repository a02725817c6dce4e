/**
 * CBSD's bhyveppt table through the shipped CLI: read with sqlite3 at
 * `${cbsd_workdir}/var/db/local.sqlite` under `--root DIR`, captured by `snapshot` as
 * `cbsd-bhyveppt.txt`, preferred over the listing; and once with the real sqlite3 over a
 * database in CBSD's own schema (ignored, with the reason, where sqlite3 is not installed).
 */

import assert from "node:assert/strict";
import { LiveHost } from "../core/host/live.ts";
import { CBSD_BHYVEPPT_QUERY } from "../core/host/host.ts";
import { DEMO, FIXTURES, pptkit, scratch } from "./helpers.ts";

const CBSD = `${FIXTURES}/layouts/cbsd`;

/** Stub FreeBSD commands: the demo's captures, a `cbsd` that fails, a logging `sqlite3`. */
async function stubs(dir: string): Promise<{ path: string; log: string }> {
  const bin = `${dir}/bin`;
  const log = `${dir}/sqlite3.log`;
  await Deno.mkdir(bin, { recursive: true });
  const stub = async (name: string, body: string) => {
    await Deno.writeTextFile(`${bin}/${name}`, `#!/bin/sh\n${body}\n`);
    await Deno.chmod(`${bin}/${name}`, 0o755);
  };
  for (const name of ["pciconf", "acpidump", "kenv", "sysctl", "kldstat", "uname"]) {
    await stub(name, `exec cat '${DEMO}/${name}.txt'`);
  }
  await stub("ps", "echo '  PID COMMAND'");
  await stub("cbsd", "echo 'cbsd must not be asked when the table can be read' >&2; exit 1");
  await stub(
    "sqlite3",
    `for a in "$@"; do echo "$a"; done > '${log}'\nexec cat '${CBSD}/bhyveppt.json'`,
  );
  return { path: `${bin}:/usr/bin:/bin`, log };
}

async function cbsdRoot(root: string): Promise<void> {
  await Deno.mkdir(`${root}/etc`, { recursive: true });
  await Deno.writeTextFile(`${root}/etc/rc.conf`, 'cbsd_workdir="/usr/jails" cbsdd_enable=YES\n');
  await Deno.mkdir(`${root}/usr/jails/jails-system/win10`, { recursive: true });
  await Deno.copyFile(
    `${CBSD}/root/usr/jails/jails-system/win10/bhyve.conf`,
    `${root}/usr/jails/jails-system/win10/bhyve.conf`,
  );
}

Deno.test("cbsd: the bhyveppt table is read with sqlite3 below --root, and snapshot keeps it", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const { path, log } = await stubs(dir);
    const root = `${dir}/root`;
    await cbsdRoot(root);
    const list = await pptkit(["list", "--json", "--root", root], { env: { PATH: path } });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((await Deno.readTextFile(log)).split("\n"), [
      "-readonly",
      "-batch",
      "-json",
      `${root}/usr/jails/var/db/local.sqlite`,
      CBSD_BHYVEPPT_QUERY,
      "",
    ]);
    const doc = JSON.parse(list.stdout) as {
      devices: { bsf: string; usedBy: { vm: string; source: string }[] }[];
    };
    const users = (bsf: string) => doc.devices.find((d) => d.bsf === bsf)?.usedBy;
    assert.deepEqual(users("1/0/0"), [{
      vm: "win10",
      source: "cbsd",
      running: false,
      file: "CBSD bhyveppt table of /usr/jails/var/db/local.sqlite",
    }]);
    // The plan of win10 is CBSD's: its last start's bus map, one slot per function.
    const plan = await pptkit(["plan", "win10", "--root", root, "--wrapper", "cbsd"], {
      env: { PATH: path, PPTKIT_ALLOW_WRITE: root },
    });
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal(plan.stdout, "-S -s 6:0,passthru,1/0/0 -s 7:0,passthru,1/0/1\n");
    // snapshot: the query's output as a capture, bhyve.conf without the VNC password.
    const snap = `${dir}/snap`;
    const taken = await pptkit(["snapshot", "--root", root, snap], { env: { PATH: path } });
    assert.equal(taken.code, 0, taken.stderr);
    assert.equal(
      await Deno.readTextFile(`${snap}/cbsd-bhyveppt.txt`),
      await Deno.readTextFile(`${CBSD}/bhyveppt.json`),
    );
    const conf = await Deno.readTextFile(`${snap}/root/usr/jails/jails-system/win10/bhyve.conf`);
    assert.match(conf, /^vnc_password=""$/m);
    assert.doesNotMatch(conf, /cbsd"/);
    assert.match(
      await Deno.readTextFile(`${snap}/root/etc/rc.conf`),
      /^cbsd_workdir="\/usr\/jails"$/m,
    );
    const again = await pptkit(["plan", "win10", "--snapshot", snap, "--wrapper", "cbsd"]);
    assert.equal(again.stdout, plan.stdout, again.stderr);
  } finally {
    await cleanup();
  }
});

const SQLITE3 = await new Deno.Command("sqlite3", { args: ["-version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "cbsd: the real sqlite3 reads a table in CBSD's schema as the fixture says",
  ignore: !SQLITE3,
  async fn() {
    const [dir, cleanup] = await scratch();
    try {
      const db = `${dir}/usr/jails/var/db/local.sqlite`;
      await Deno.mkdir(`${dir}/usr/jails/var/db`, { recursive: true });
      const sql = await Deno.readTextFile(`${FIXTURES}/layouts/cbsd/bhyveppt.sql`);
      const child = new Deno.Command("sqlite3", { args: [db], stdin: "piped", stderr: "piped" })
        .spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(sql));
      await writer.close();
      const made = await child.output();
      assert.ok(made.success, new TextDecoder().decode(made.stderr));
      const host = new LiveHost(dir);
      assert.equal(
        await host.capture("cbsd-bhyveppt", "/usr/jails/var/db/local.sqlite"),
        await Deno.readTextFile(`${CBSD}/bhyveppt.json`),
      );
      // No such database: -readonly creates none, and the capture is unknown.
      assert.equal(await host.capture("cbsd-bhyveppt", "/nowhere/local.sqlite"), null);
      assert.equal(await host.capture("cbsd-bhyveppt"), null);
    } finally {
      await cleanup();
    }
  },
});
if (!SQLITE3) console.log("cbsd_test: sqlite3 is not installed: the real-sqlite3 test is ignored");
