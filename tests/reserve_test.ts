/**
 * reserve / release end to end: the shipped CLI edits loader.conf in snapshot copies and in
 * `--root` directories with stub FreeBSD commands on PATH.
 */
import assert from "node:assert/strict";
import { copyDir, DEMO, errorLines, exists, pptkit, type RunResult, scratch } from "./helpers.ts";

const LOADER = "root/boot/loader.conf";

async function demoCopy(dir: string): Promise<string> {
  await copyDir(DEMO, `${dir}/host`);
  return `${dir}/host`;
}

function assertOneLineError(r: RunResult, code: number, pattern: RegExp) {
  assert.equal(r.code, code, r.stderr);
  const lines = errorLines(r.stderr);
  assert.ok(lines[0].startsWith("pptkit: "), r.stderr);
  assert.match(lines[0], pattern);
  assert.ok(lines.length <= 2 && (lines.length === 1 || lines[1].startsWith("hint: ")), r.stderr);
}

Deno.test("reserve --dry-run prints the diff and writes nothing", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const before = await Deno.readFile(`${host}/${LOADER}`);
    const r = await pptkit(["reserve", "--dry-run", "3/0/0", "pci0:3:0:1", "--snapshot", host]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `--- /boot/loader.conf
+++ /boot/loader.conf
@@ -1,4 +1,4 @@
-pptdevs="1/0/0 1/0/1"
+pptdevs="1/0/0 1/0/1 3/0/0 3/0/1"
 vmm_load="YES"
 # only add the line below for the AMD processors
 #hw.vmm.amdvi.enable=1
dry run: /boot/loader.conf not changed
`,
    );
    assert.deepEqual(await Deno.readFile(`${host}/${LOADER}`), before);
    assert.deepEqual(
      [...Deno.readDirSync(`${host}/root/boot`)].map((e) => e.name),
      ["loader.conf"],
      "no backup, no lock, no temp file",
    );
  } finally {
    await cleanup();
  }
});

Deno.test("reserve writes atomically, keeps a backup and the mode; a second run changes nothing", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const path = `${host}/${LOADER}`;
    const before = await Deno.readTextFile(path);
    await Deno.chmod(path, 0o600);
    const r = await pptkit(["reserve", "3/0/0", "3/0/1", "--snapshot", host]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^reserved 3\/0\/0 3\/0\/1 in \/boot\/loader.conf; previous file kept/m);
    assert.match(r.stdout, /^reboot to apply/m);
    const after = await Deno.readTextFile(path);
    assert.equal(
      after,
      before.replace('pptdevs="1/0/0 1/0/1"', 'pptdevs="1/0/0 1/0/1 3/0/0 3/0/1"'),
    );
    assert.equal(await Deno.readTextFile(`${path}.bak`), before);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.ok(!(await exists(`${path}.tmp`)));
    const again = await pptkit(["reserve", "3/0/0", "3/0/1", "--snapshot", host]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^nothing to do: 3\/0\/0 3\/0\/1 already reserved/);
    assert.equal(await Deno.readTextFile(path), after);
    const list = await pptkit(["list", "--json", "--snapshot", host]);
    const igb = JSON.parse(list.stdout).devices.find((d: { bsf: string }) => d.bsf === "3/0/0");
    assert.equal(igb.statusText, "Reserved (reboot)");
    assert.deepEqual(igb.reserved, {
      atBoot: false,
      inLoaderConf: true,
      where: "/boot/loader.conf:1 pptdevs",
    });
  } finally {
    await cleanup();
  }
});

Deno.test("reserve on a host without loader.conf adds pptdevs and vmm_load at the top", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    await Deno.writeTextFile(`${host}/${LOADER}`, 'zfs_load="YES"\n');
    const r = await pptkit(["reserve", "3/0/0", "--snapshot", host, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.schema, "pptkit.reserve/1");
    assert.deepEqual(doc.added, ["3/0/0"]);
    assert.equal(doc.written, true);
    assert.equal(
      await Deno.readTextFile(`${host}/${LOADER}`),
      'pptdevs="3/0/0"\nvmm_load="YES"\nzfs_load="YES"\n',
    );
  } finally {
    await cleanup();
  }
});

Deno.test("reserve refuses ineligible devices (65) unless --allow names the risk; bridges never", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const before = await Deno.readTextFile(`${host}/${LOADER}`);
    const noMsi = await pptkit(["reserve", "0/31/2", "--snapshot", host]);
    assertOneLineError(noMsi, 65, /cannot reserve: 0\/31\/2 has neither MSI nor MSI-X/);
    assert.match(noMsi.stderr, /^hint: .*: pptkit reserve --allow no-msi 0\/31\/2$/m);
    const bridge = await pptkit(["reserve", "0/1/0", "--allow", "no-msi", "--snapshot", host]);
    assertOneLineError(bridge, 65, /0\/1\/0 is a PCI-PCI bridge/);
    const unknown = await pptkit(["reserve", "7/0/0", "--snapshot", host]);
    assertOneLineError(unknown, 65, /no PCI device at 7\/0\/0/);
    const split = await pptkit(["reserve", "-3/0/0", "--snapshot", host]);
    assertOneLineError(split, 65, /belongs in a VM config/);
    // --force is retired with a clear error that names the --allow to use (issue #15 point 1).
    const force = await pptkit(["reserve", "0/31/2", "--force", "--snapshot", host]);
    assertOneLineError(force, 64, /--force is retired: .* --allow/);
    assert.match(force.stderr, /^hint: pptkit reserve --allow no-msi 0\/31\/2$/m);
    const typo = await pptkit(["reserve", "0/31/2", "--allow", "no-mis", "--snapshot", host]);
    assertOneLineError(typo, 64, /--allow: unknown risk "no-mis"/);
    assert.match(typo.stderr, /did you mean --allow no-msi\?/);
    assert.equal(await Deno.readTextFile(`${host}/${LOADER}`), before, "nothing written");
    const allowed = await pptkit(["reserve", "0/31/2", "--allow", "no-msi", "--snapshot", host]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /no-msi: 0\/31\/2 has neither MSI/, "the accepted risk is said");
    assert.match(
      await Deno.readTextFile(`${host}/${LOADER}`),
      /pptdevs="1\/0\/0 1\/0\/1 0\/31\/2"/,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("reserve fails (65) when pptdevs, pptdevs2 and pptdevs3 are full; file untouched", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const tokens = (n: number, bus: number) =>
      Array.from({ length: n }, (_, i) => `${bus}/${i % 32}/${Math.floor(i / 32)}`).join(" ");
    const full = `pptdevs="${tokens(15, 200)}"\npptdevs2="${tokens(15, 201)}"\n` +
      `pptdevs3="${tokens(15, 202)}"\nvmm_load="YES"\n`;
    for (const v of full.split("\n").filter((l) => l !== "" && !l.startsWith("vmm"))) {
      assert.ok(v.length - v.indexOf('"') - 2 <= 128);
    }
    await Deno.writeTextFile(`${host}/${LOADER}`, full);
    const r = await pptkit(["reserve", "3/0/0", "3/0/1", "--snapshot", host]);
    assertOneLineError(r, 65, /pptdevs, pptdevs2 and pptdevs3 are full: 2 devices do not fit/);
    assert.match(r.stderr, /--now/);
    assert.equal(await Deno.readTextFile(`${host}/${LOADER}`), full);
  } finally {
    await cleanup();
  }
});

Deno.test("reserve spills into pptdevs2 when pptdevs would pass 128 characters", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const long = Array.from({ length: 15 }, (_, i) => `200/${i}/0`).join(" ");
    await Deno.writeTextFile(`${host}/${LOADER}`, `pptdevs="${long}"\nvmm_load="YES"\n`);
    const r = await pptkit(["reserve", "3/0/0", "3/0/1", "--snapshot", host]);
    assert.equal(r.code, 0, r.stderr);
    const text = await Deno.readTextFile(`${host}/${LOADER}`);
    const values = [...text.matchAll(/^(pptdevs\d?)="([^"]*)"$/gm)].map((m) => [m[1], m[2]]);
    for (const [, v] of values) assert.ok(v.length <= 128, `${v.length} chars`);
    assert.equal(values[0][1].startsWith(long), true, "existing tokens stay in place");
    assert.ok(text.includes("3/0/0") && text.includes("3/0/1"));
  } finally {
    await cleanup();
  }
});

Deno.test("reserve keeps a CRLF file CRLF and refuses an unterminated quote (65)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    await Deno.writeTextFile(`${host}/${LOADER}`, 'vmm_load="YES"\r\n# keep\r\n');
    assert.equal((await pptkit(["reserve", "3/0/0", "--snapshot", host])).code, 0);
    assert.equal(
      await Deno.readTextFile(`${host}/${LOADER}`),
      'pptdevs="3/0/0"\r\nvmm_load="YES"\r\n# keep\r\n',
    );
    const broken = 'pptdevs="1/0/0 1/0/1\nvmm_load="YES"\n';
    await Deno.writeTextFile(`${host}/${LOADER}`, broken);
    const r = await pptkit(["reserve", "3/0/0", "--snapshot", host]);
    assertOneLineError(r, 65, /\/boot\/loader.conf:1: /);
    assert.equal(await Deno.readTextFile(`${host}/${LOADER}`), broken);
  } finally {
    await cleanup();
  }
});

Deno.test("reserve refuses loader.conf with NUL bytes (65) or that is a directory (66)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const nul = new TextEncoder().encode('vmm_load="YES"\n\0junk\n');
    await Deno.writeFile(`${host}/${LOADER}`, nul);
    assertOneLineError(await pptkit(["reserve", "3/0/0", "--snapshot", host]), 65, /NUL|line 2/);
    assert.deepEqual(await Deno.readFile(`${host}/${LOADER}`), nul);
    await Deno.remove(`${host}/${LOADER}`);
    await Deno.mkdir(`${host}/${LOADER}`);
    assertOneLineError(
      await pptkit(["reserve", "3/0/0", "--snapshot", host]),
      66,
      /is a directory/,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("a failed write leaves loader.conf byte-identical and no temp file", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const before = await Deno.readFile(`${host}/${LOADER}`);
    // The backup cannot be written: the whole change must not happen.
    await Deno.mkdir(`${host}/${LOADER}.bak/x`, { recursive: true });
    const r = await pptkit(["reserve", "3/0/0", "--snapshot", host]);
    assertOneLineError(r, 73, /cannot write \/boot\/loader.conf/);
    assert.deepEqual(await Deno.readFile(`${host}/${LOADER}`), before);
    assert.ok(!(await exists(`${host}/${LOADER}.tmp`)));
    // A temp file left by a crashed run does not get in the way.
    await Deno.remove(`${host}/${LOADER}.bak`, { recursive: true });
    await Deno.writeTextFile(`${host}/${LOADER}.tmp`, "half a file");
    assert.equal((await pptkit(["reserve", "3/0/0", "--snapshot", host])).code, 0);
    assert.match(await Deno.readTextFile(`${host}/${LOADER}`), /3\/0\/0/);
    assert.ok(!(await exists(`${host}/${LOADER}.tmp`)));
  } finally {
    await cleanup();
  }
});

Deno.test("two reserve runs at the same time both land: the lock serialises them", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const [a, b] = await Promise.all([
      pptkit(["reserve", "3/0/0", "--snapshot", host]),
      pptkit(["reserve", "3/0/1", "--snapshot", host]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.match(
      await Deno.readTextFile(`${host}/${LOADER}`),
      /^pptdevs="1\/0\/0 1\/0\/1 3\/0\/[01] 3\/0\/[01]"$/m,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("reserve --loader-conf writes a loader.conf.d drop-in and leaves loader.conf alone", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    await Deno.mkdir(`${host}/root/boot/loader.conf.d`);
    const before = await Deno.readTextFile(`${host}/${LOADER}`);
    const r = await pptkit([
      "reserve",
      "3/0/0",
      "--loader-conf",
      "/boot/loader.conf.d/ppt.conf",
      "--snapshot",
      host,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await Deno.readTextFile(`${host}/${LOADER}`), before);
    assert.match(
      await Deno.readTextFile(`${host}/root/boot/loader.conf.d/ppt.conf`),
      /pptdevs="1\/0\/0 1\/0\/1 3\/0\/0"/,
    );
    const list = JSON.parse((await pptkit(["list", "--json", "--snapshot", host])).stdout);
    const igb = list.devices.find((d: { bsf: string }) => d.bsf === "3/0/0");
    assert.equal(igb.reserved.where, "/boot/loader.conf.d/ppt.conf:1 pptdevs");
  } finally {
    await cleanup();
  }
});

Deno.test("release drops the device, and the pptdevs line once it is empty", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const r = await pptkit(["release", "1/0/1", "--snapshot", host]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-pptdevs="1\/0\/0 1\/0\/1"$/m);
    assert.match(r.stdout, /^\+pptdevs="1\/0\/0"$/m);
    const r2 = await pptkit(["release", "ppt0", "--snapshot", host]);
    assert.equal(r2.code, 0, r2.stderr);
    const text = await Deno.readTextFile(`${host}/${LOADER}`);
    assert.ok(!text.includes("pptdevs"), text);
    assert.ok(text.startsWith('vmm_load="YES"\n'));
    const again = await pptkit(["release", "1/0/1", "--snapshot", host]);
    assert.match(again.stdout, /^nothing to do/);
    // A device that is gone from the host can still be released by its B/S/F.
    await Deno.writeTextFile(`${host}/${LOADER}`, 'pptdevs="9/0/0"\nvmm_load="YES"\n');
    assert.equal((await pptkit(["release", "9/0/0", "--snapshot", host])).code, 0);
    assert.equal(await Deno.readTextFile(`${host}/${LOADER}`), 'vmm_load="YES"\n');
  } finally {
    await cleanup();
  }
});

/** A `--root` host: stub FreeBSD commands on PATH that print the demo host; devctl logs. */
async function liveHost(dir: string, devctl: string): Promise<{ root: string; path: string }> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  const stub = async (name: string, body: string) => {
    await Deno.writeTextFile(`${bin}/${name}`, `#!/bin/sh\n${body}\n`);
    await Deno.chmod(`${bin}/${name}`, 0o755);
  };
  await stub("pciconf", `/bin/cat ${DEMO}/pciconf.txt`);
  await stub("acpidump", `/bin/cat ${DEMO}/acpidump.txt`);
  await stub("kldstat", `/bin/cat ${DEMO}/kldstat.txt`);
  await stub("kenv", `/bin/cat ${DEMO}/kenv.txt`);
  await stub("devctl", devctl);
  await copyDir(`${DEMO}/root`, `${dir}/root`);
  return { root: `${dir}/root`, path: bin };
}

Deno.test("reserve --now binds with devctl set driver -f SEL ppt", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const { root, path } = await liveHost(dir, `echo "$*" >> ${dir}/devctl.log`);
    const r = await pptkit(["reserve", "--now", "3/0/0", "3/0/1", "--root", root], {
      env: { PATH: path },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /bound 3\/0\/0 3\/0\/1 now/);
    assert.equal(
      await Deno.readTextFile(`${dir}/devctl.log`),
      "set driver -f pci0:3:0:0 ppt\nset driver -f pci0:3:0:1 ppt\n",
    );
    assert.match(await Deno.readTextFile(`${root}/boot/loader.conf`), /3\/0\/0 3\/0\/1/);
  } finally {
    await cleanup();
  }
});

Deno.test("reserve --now undoes the bindings when one fails, and writes nothing", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const { root, path } = await liveHost(
      dir,
      `echo "$*" >> ${dir}/devctl.log\ncase "$*" in *pci0:3:0:1*ppt) ` +
        `echo "devctl: Failed to set driver: Device busy" >&2; exit 1;; esac`,
    );
    const before = await Deno.readTextFile(`${root}/boot/loader.conf`);
    const r = await pptkit(["reserve", "--now", "3/0/0", "3/0/1", "--root", root], {
      env: { PATH: path },
    });
    assertOneLineError(r, 1, /devctl set driver -f pci0:3:0:1 ppt failed: .*Device busy/);
    assert.match(r.stderr, /undid pci0:3:0:0/);
    assert.equal(
      await Deno.readTextFile(`${dir}/devctl.log`),
      "set driver -f pci0:3:0:0 ppt\nset driver -f pci0:3:0:1 ppt\nclear driver -f pci0:3:0:0\n",
    );
    assert.equal(await Deno.readTextFile(`${root}/boot/loader.conf`), before);
  } finally {
    await cleanup();
  }
});

Deno.test("release --now gives devices back with devctl clear driver", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const { root, path } = await liveHost(dir, `echo "$*" >> ${dir}/devctl.log`);
    const r = await pptkit(["release", "--now", "1/0/0", "1/0/1", "--root", root], {
      env: { PATH: path },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await Deno.readTextFile(`${dir}/devctl.log`),
      "clear driver -f pci0:1:0:0\nclear driver -f pci0:1:0:1\n",
    );
  } finally {
    await cleanup();
  }
});

Deno.test("reserve --now without vmm.ko loaded says why (69) and changes nothing", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const { root, path } = await liveHost(dir, `echo "$*" >> ${dir}/devctl.log`);
    await Deno.writeTextFile(`${path}/kldstat`, "#!/bin/sh\necho ' 1 1 0xffff 1 kernel'\n");
    const r = await pptkit(["reserve", "--now", "3/0/0", "--root", root], { env: { PATH: path } });
    assertOneLineError(r, 69, /vmm.ko is not loaded/);
    assert.ok(!(await exists(`${dir}/devctl.log`)));
  } finally {
    await cleanup();
  }
});

Deno.test("release refuses a device a running VM holds (75) and changes nothing", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    // test-vm-1 (the demo's Hoster VM, which passes 1/0/0 and 1/0/1) is running.
    await Deno.writeTextFile(`${host}/ps.txt`, "  PID COMMAND\n 4242 bhyve: test-vm-1 (bhyve)\n");
    const before = await Deno.readTextFile(`${host}/${LOADER}`);
    const r = await pptkit(["release", "1/0/0", "--snapshot", host]);
    assertOneLineError(r, 75, /cannot release 1\/0\/0: VM test-vm-1 is running with it/);
    assert.equal(await Deno.readTextFile(`${host}/${LOADER}`), before);
    const list = JSON.parse((await pptkit(["list", "--json", "--snapshot", host])).stdout);
    assert.equal(list.devices[0].statusText, "Running in: test-vm-1");
  } finally {
    await cleanup();
  }
});

/** The change fields of `pptkit.reserve/1` and `pptkit.release/1` (for Ansible, issue #18). */
interface ChangeDoc {
  schema: string;
  changed: boolean;
  dryRun: boolean;
  rebootNeeded: boolean;
  diff: string;
  files: {
    path: string;
    before: string;
    after: string;
    diff: string;
    backup: string | null;
    history: string | null;
  }[];
}

Deno.test("reserve --json reports changed, dryRun, files and rebootNeeded; a second run changed false", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const path = `${host}/${LOADER}`;
    const before = await Deno.readTextFile(path);
    const human = await pptkit(["reserve", "--dry-run", "3/0/0", "--snapshot", host]);
    const dry = await pptkit(["reserve", "--dry-run", "--json", "3/0/0", "--snapshot", host]);
    assert.equal(dry.code, 0, dry.stderr);
    const d: ChangeDoc = JSON.parse(dry.stdout);
    assert.equal(d.schema, "pptkit.reserve/1");
    assert.equal(d.changed, true);
    assert.equal(d.dryRun, true);
    assert.equal(d.rebootNeeded, true);
    const after = before.replace('pptdevs="1/0/0 1/0/1"', 'pptdevs="1/0/0 1/0/1 3/0/0"');
    // The timestamped copy of the previous file a real run would make (UTC, to the second).
    const history = d.files[0].history!;
    assert.match(history, /^\/var\/db\/pptkit\/backups\/boot\/loader\.conf\.pptkit-\d{8}-\d{6}$/);
    assert.deepEqual(d.files, [{
      path: "/boot/loader.conf",
      before,
      after,
      diff: human.stdout.replace("dry run: /boot/loader.conf not changed\n", ""),
      backup: "/boot/loader.conf.bak",
      history,
    }]);
    assert.equal(await Deno.readTextFile(path), before, "a dry run writes nothing");
    assert.deepEqual([...Deno.readDirSync(`${host}/root/boot`)].map((e) => e.name), [
      "loader.conf",
    ]);

    const real: ChangeDoc = JSON.parse(
      (await pptkit(["reserve", "--json", "3/0/0", "--snapshot", host])).stdout,
    );
    assert.equal(real.changed, true);
    assert.equal(real.dryRun, false);
    assert.equal(real.rebootNeeded, true);
    const kept = real.files[0].history!;
    assert.deepEqual(real.files, [{ ...d.files[0], history: kept }]);
    assert.equal(await Deno.readTextFile(`${host}/root${kept}`), before, "the copy is exact");
    assert.equal(await Deno.readTextFile(path), after);
    assert.equal(await Deno.readTextFile(`${path}.bak`), before);

    for (const extra of [[], ["--dry-run"]]) {
      const again = await pptkit(["reserve", "--json", ...extra, "3/0/0", "--snapshot", host]);
      assert.equal(again.code, 0, again.stderr);
      const a: ChangeDoc = JSON.parse(again.stdout);
      assert.equal(a.changed, false);
      assert.equal(a.rebootNeeded, false);
      assert.deepEqual(a.files, []);
      assert.equal(a.dryRun, extra.length > 0);
    }
    assert.equal(await Deno.readTextFile(path), after, "the second run wrote nothing");
  } finally {
    await cleanup();
  }
});

Deno.test("release --json: files entry with backup null for a file that did not exist", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const r: ChangeDoc = JSON.parse(
      (await pptkit(["release", "--json", "1/0/1", "--snapshot", host])).stdout,
    );
    assert.equal(r.schema, "pptkit.release/1");
    assert.equal(r.changed, true);
    assert.equal(r.files.length, 1);
    assert.match(r.files[0].before, /^pptdevs="1\/0\/0 1\/0\/1"$/m);
    assert.match(r.files[0].after, /^pptdevs="1\/0\/0"$/m);
    assert.equal(r.files[0].diff, r.diff);
    // A drop-in that does not exist yet: written fresh, nothing to keep.
    await Deno.mkdir(`${host}/root/boot/loader.conf.d`);
    const drop = "/boot/loader.conf.d/ppt.conf";
    const n: ChangeDoc = JSON.parse(
      (await pptkit(["reserve", "--json", "3/0/0", "--loader-conf", drop, "--snapshot", host]))
        .stdout,
    );
    assert.equal(n.files[0].path, drop);
    assert.equal(n.files[0].before, "");
    assert.equal(n.files[0].backup, null);
    assert.ok(!(await exists(`${host}/root${drop}.bak`)));
  } finally {
    await cleanup();
  }
});

Deno.test("reserve --now --json: applied at runtime, so no reboot needed", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const { root, path } = await liveHost(dir, `echo "$*" >> ${dir}/devctl.log`);
    const r = await pptkit(["reserve", "--now", "--json", "3/0/0", "--root", root], {
      env: { PATH: path },
    });
    assert.equal(r.code, 0, r.stderr);
    const doc: ChangeDoc & { bound: string[] } = JSON.parse(r.stdout);
    assert.equal(doc.changed, true);
    assert.equal(doc.rebootNeeded, false);
    assert.deepEqual(doc.bound, ["3/0/0"]);
    assert.equal(doc.files.length, 1);
  } finally {
    await cleanup();
  }
});

Deno.test("an error with --json also prints pptkit.error/1 on stdout; stderr unchanged", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demoCopy(dir);
    const before = await Deno.readFile(`${host}/${LOADER}`);
    const plain = await pptkit(["reserve", "7/0/0", "--snapshot", host]);
    const json = await pptkit(["reserve", "7/0/0", "--json", "--snapshot", host]);
    assert.equal(plain.stdout, "");
    assert.equal(json.code, 65);
    assert.equal(json.stderr, plain.stderr);
    assertOneLineError(json, 65, /no PCI device at 7\/0\/0/);
    assert.deepEqual(JSON.parse(json.stdout), {
      schema: "pptkit.error/1",
      exitCode: 65,
      message: `no PCI device at 7/0/0 on snapshot ${host}`,
      hint: "see the devices with: pptkit list --all",
      findings: [],
    });
    // A bad address spelling, and an error found in a file (its place leads the message).
    const bad = JSON.parse(
      (await pptkit(["release", "--json", "2/0//0", "--snapshot", host])).stdout,
    );
    assert.equal(bad.exitCode, 65);
    assert.match(bad.message, /^bad PCI address "2\/0\/\/0"/);
    await Deno.writeTextFile(`${host}/${LOADER}`, 'pptdevs="1/0/0 1:0:1"\n');
    const broken = await pptkit(["reserve", "--json", "3/0/0", "--snapshot", host]);
    const doc = JSON.parse(broken.stdout);
    assert.equal(`pptkit: ${doc.message}`, errorLines(broken.stderr)[0]);
    assert.equal(`hint: ${doc.hint}`, errorLines(broken.stderr)[1]);
    // A usage error (argv did not parse) and an error without a hint: hint null.
    const usage = await pptkit(["reserve", "--jsno", "3/0/0", "--json"]);
    assert.equal(usage.code, 64);
    assert.equal(JSON.parse(usage.stdout).exitCode, 64);
    const noHint = JSON.parse(
      (await pptkit(["--json", "--snapshot", host, "--root", dir, "list"]))
        .stdout,
    );
    assert.deepEqual(noHint, {
      schema: "pptkit.error/1",
      exitCode: 64,
      message: "--snapshot and --root cannot be used together",
      hint: null,
      findings: [],
    });
    await Deno.writeFile(`${host}/${LOADER}`, before);
  } finally {
    await cleanup();
  }
});

Deno.test("#15.6 the history keeps the original and the newest copies, at most MAX_HISTORY", async () => {
  const { historyPath, keepHistory, MAX_HISTORY, stamp } = await import("../app/backups.ts");
  const { SnapshotHost } = await import("../core/host/snapshot.ts");
  const [dir, cleanup] = await scratch();
  try {
    await Deno.writeTextFile(`${dir}/pciconf.txt`, "");
    const host = await SnapshotHost.open(dir);
    const backups = "/var/db/pptkit/backups";
    for (let i = 0; i < MAX_HISTORY + 3; i++) {
      const path = await historyPath(host, backups, "/boot/loader.conf");
      await keepHistory(host, backups, "/boot/loader.conf", path, `version ${i}\n`, 0o600);
    }
    const at = `${dir}/root${backups}/boot`;
    const names = [...Deno.readDirSync(at)].map((e) => e.name);
    assert.equal(names.length, MAX_HISTORY);
    const texts = await Promise.all(names.map((n) => Deno.readTextFile(`${at}/${n}`)));
    const kept = texts.map((t) => Number(t.split(" ")[1])).sort((a, b) => a - b);
    // The original (0) and the newest ones; the copies in between went first.
    assert.deepEqual(kept, [0, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal((await Deno.stat(`${at}/${names[0]}`)).mode! & 0o777, 0o600, "the file's mode");
    assert.equal(stamp(Date.UTC(2026, 10, 27, 2, 36, 2)), "20261127-023602");
  } finally {
    await cleanup();
  }
});
