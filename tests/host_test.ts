import assert from "node:assert/strict";
import { ExitCode, PptkitError } from "../core/errors.ts";
import { LiveHost } from "../core/host/live.ts";
import { SnapshotHost } from "../core/host/snapshot.ts";
import { DEMO, scratch } from "./helpers.ts";

/** Writes executable stub commands into `bin` that print fixed text. */
async function stubs(bin: string, commands: Record<string, string>): Promise<void> {
  await Deno.mkdir(bin, { recursive: true });
  for (const [name, script] of Object.entries(commands)) {
    await Deno.writeTextFile(`${bin}/${name}`, `#!/bin/sh\n${script}\n`);
    await Deno.chmod(`${bin}/${name}`, 0o755);
  }
}

/** Runs `fn` with PATH set to only `bin`: the stubs call /bin/cat by full path. */
async function withPath<T>(bin: string, fn: () => Promise<T>): Promise<T> {
  const old = Deno.env.get("PATH");
  Deno.env.set("PATH", bin);
  try {
    return await fn();
  } finally {
    if (old === undefined) Deno.env.delete("PATH");
    else Deno.env.set("PATH", old);
  }
}

Deno.test("LiveHost runs pciconf -lbcv, acpidump -t, kenv, sysctl and kldstat", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await stubs(`${dir}/bin`, {
      pciconf: `[ "$1" = -lbcv ] || exit 9\n/bin/cat ${DEMO}/pciconf.txt`,
      acpidump: `[ "$1" = -t ] || exit 9\n/bin/cat ${DEMO}/acpidump.txt`,
      kenv: `/bin/cat ${DEMO}/kenv.txt`,
      sysctl: `[ "$1" = hw.vmm ] || exit 9\n/bin/cat ${DEMO}/sysctl.txt`,
      kldstat: `/bin/cat ${DEMO}/kldstat.txt`,
      uname: `echo "14.1-RELEASE amd64"`,
    });
    const host = new LiveHost(`${DEMO}/root`);
    await withPath(`${dir}/bin`, async () => {
      assert.equal(await host.capture("pciconf"), Deno.readTextFileSync(`${DEMO}/pciconf.txt`));
      assert.match((await host.capture("acpidump")) ?? "", /DMAR: Length=/);
      assert.match((await host.capture("kenv")) ?? "", /pptdevs="1\/0\/0 1\/0\/1"/);
      assert.match((await host.capture("sysctl")) ?? "", /hw.vmm.ppt.devices: 2/);
      assert.match((await host.capture("kldstat")) ?? "", /vmm.ko/);
      assert.equal(await host.capture("uname"), "14.1-RELEASE amd64\n");
      // Not stubbed: unknown, not an error.
      assert.equal(await host.capture("ps"), null);
      assert.equal(await host.capture("cbsd"), null);
    });
    assert.match((await host.readText("/boot/loader.conf")) ?? "", /vmm_load="YES"/);
  } finally {
    await cleanup();
  }
});

Deno.test("LiveHost falls back to pciconf -lv when -c is refused (not root)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await stubs(`${dir}/bin`, {
      pciconf: `if [ "$1" = -lv ]; then /bin/cat ${DEMO}/pciconf.txt; else ` +
        `echo "pciconf: /dev/pci: Permission denied" >&2; exit 1; fi`,
    });
    const text = await withPath(`${dir}/bin`, () => new LiveHost().capture("pciconf"));
    assert.match(text ?? "", /ppt0@pci0:1:0:0:/);
  } finally {
    await cleanup();
  }
});

Deno.test("LiveHost without pciconf says pptkit runs on FreeBSD (69)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await Deno.mkdir(`${dir}/bin`);
    await withPath(`${dir}/bin`, async () => {
      await assert.rejects(
        () => new LiveHost().capture("pciconf"),
        (e) =>
          e instanceof PptkitError && e.exitCode === ExitCode.Unavailable &&
          e.message === "pciconf not found: pptkit runs on FreeBSD hosts" &&
          /--snapshot DIR/.test(e.hint ?? ""),
      );
      assert.equal(await new LiveHost().capture("acpidump"), null);
    });
  } finally {
    await cleanup();
  }
});

Deno.test("LiveHost reports a failing pciconf with its message (69)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await stubs(`${dir}/bin`, { pciconf: `echo "pciconf: /dev/pci: No such file" >&2; exit 1` });
    await withPath(`${dir}/bin`, async () => {
      await assert.rejects(
        () => new LiveHost().capture("pciconf"),
        (e) => e instanceof PptkitError && e.exitCode === 69 && /No such file/.test(e.message),
      );
    });
  } finally {
    await cleanup();
  }
});

Deno.test("SnapshotHost reads captures and host files under root/", async () => {
  const host = await SnapshotHost.open(DEMO);
  assert.equal(host.kind, "snapshot");
  assert.match((await host.capture("pciconf")) ?? "", /vgapci0@pci0:0:2:0:/);
  assert.equal(await host.capture("ps"), null, "optional capture absent");
  assert.match((await host.readText("/boot/loader.conf")) ?? "", /^pptdevs=/);
  assert.equal(await host.readText("/boot/loader.conf.local"), null);
  assert.deepEqual(await host.readDir("/boot"), ["loader.conf"]);
  assert.equal(await host.readDir("/nonexistent"), null);
});

Deno.test("SnapshotHost.open() rejects a missing directory and a file (66)", async () => {
  await assert.rejects(
    () => SnapshotHost.open("/nonexistent/snapshot"),
    (e) => e instanceof PptkitError && e.exitCode === 66 && /not found/.test(e.message),
  );
  await assert.rejects(
    () => SnapshotHost.open(`${DEMO}/pciconf.txt`),
    (e) => e instanceof PptkitError && e.exitCode === 66 && /not a directory/.test(e.message),
  );
});

Deno.test("SnapshotHost without pciconf.txt is an input-missing error (66)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await SnapshotHost.open(dir);
    await assert.rejects(
      () => host.capture("pciconf"),
      (e) => e instanceof PptkitError && e.exitCode === 66 && /has no pciconf.txt/.test(e.message),
    );
  } finally {
    await cleanup();
  }
});

Deno.test("readText() refuses a directory, an unreadable file and non-UTF-8 text", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await Deno.mkdir(`${dir}/root/boot/loader.conf`, { recursive: true });
    await Deno.writeFile(`${dir}/root/boot/latin1.conf`, new Uint8Array([0x23, 0x20, 0xe4, 0x0a]));
    await Deno.writeTextFile(`${dir}/root/boot/secret.conf`, "x=1\n");
    await Deno.chmod(`${dir}/root/boot/secret.conf`, 0o000);
    const host = await SnapshotHost.open(dir);
    await assert.rejects(
      () => host.readText("/boot/loader.conf"),
      (e) => e instanceof PptkitError && e.exitCode === 66 && /is a directory/.test(e.message),
    );
    await assert.rejects(
      () => host.readText("/boot/latin1.conf"),
      (e) => e instanceof PptkitError && e.exitCode === 65 && /not UTF-8/.test(e.message),
    );
    if (Deno.uid() !== 0) {
      await assert.rejects(
        () => host.readText("/boot/secret.conf"),
        (e) => e instanceof PptkitError && e.exitCode === 77,
      );
    }
  } finally {
    await cleanup();
  }
});

Deno.test("writeFileAtomic() keeps the mode, writes a backup and leaves no temp file", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const path = `${dir}/root/boot/loader.conf`;
    await Deno.mkdir(`${dir}/root/boot`, { recursive: true });
    await Deno.writeTextFile(path, "old\n");
    await Deno.chmod(path, 0o600);
    const host = await SnapshotHost.open(dir);
    await host.writeFileAtomic("/boot/loader.conf", "new\n", { backup: "/boot/loader.conf.bak" });
    assert.equal(await Deno.readTextFile(path), "new\n");
    assert.equal(await Deno.readTextFile(`${path}.bak`), "old\n");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual((await host.readDir("/boot"))?.sort(), ["loader.conf", "loader.conf.bak"]);
  } finally {
    await cleanup();
  }
});

Deno.test("writeFileAtomic() into a missing directory fails (73) and changes nothing", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await SnapshotHost.open(dir);
    await assert.rejects(
      () => host.writeFileAtomic("/boot/loader.conf", "x\n"),
      (e) => e instanceof PptkitError && e.exitCode === ExitCode.CantCreate,
    );
    assert.deepEqual(await host.readDir("/"), null);
  } finally {
    await cleanup();
  }
});

Deno.test("SnapshotHost refuses to run devctl: a snapshot is frozen", async () => {
  const host = await SnapshotHost.open(DEMO);
  await assert.rejects(
    () => host.run("devctl", ["set", "driver", "-f", "pci0:1:0:0", "ppt"]),
    (e) => e instanceof PptkitError && /frozen/.test(e.message),
  );
});

Deno.test("LiveHost asks ps for root's processes with their owner, age and executable", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await stubs(`${dir}/bin`, {
      ps: `[ "$*" = "-x -U 0 -ww -o pid,ppid,uid,etimes,comm,args" ] || exit 9\necho ok`,
    });
    const host = new LiveHost(`${DEMO}/root`);
    await withPath(`${dir}/bin`, async () => {
      assert.equal(await host.capture("ps"), "ok\n");
    });
  } finally {
    await cleanup();
  }
});

Deno.test("withLock() refuses a symlink, a directory and a FIFO at once (73), naming them", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = new LiveHost(dir);
    await Deno.symlink(`${dir}/target`, `${dir}/link.lock`);
    await Deno.mkdir(`${dir}/dir.lock`);
    const fifo = new Deno.Command("mkfifo", { args: [`${dir}/fifo.lock`] }).outputSync();
    const cases: [string, string][] = [
      ["/link.lock", "a symbolic link"],
      ["/dir.lock", "a directory"],
      ...(fifo.success ? [["/fifo.lock", "a FIFO"] as [string, string]] : []),
    ];
    for (const [path, what] of cases) {
      let ran = false;
      await assert.rejects(
        host.withLock(path, 10_000, () => Promise.resolve(ran = true)),
        (e: unknown) =>
          e instanceof PptkitError && e.exitCode === ExitCode.CantCreate &&
          e.message === `cannot lock ${path}: it is ${what}, not a lock file pptkit made` &&
          (e.hint ?? "").startsWith("remove it"),
      );
      assert.equal(ran, false, path);
    }
    await assert.rejects(Deno.lstat(`${dir}/target`), Deno.errors.NotFound, "nothing created");
  } finally {
    await cleanup();
  }
});

Deno.test("withLock() honours its deadline while another holds the lock, and says so (75)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = new LiveHost(dir);
    const inner = await host.withLock("/x.lock", 1000, () =>
      // A second holder in the same process: flock locks belong to each open file.
      host.withLock("/x.lock", 50, () => Promise.resolve("ran")).catch((e) => e));
    assert.ok(inner instanceof PptkitError, String(inner));
    assert.equal(inner.exitCode, ExitCode.TempFail);
    assert.equal(inner.message, "/x.lock is locked by another process (waited 0 s)");
    assert.equal(inner.hint, "see which one with: fstat /x.lock (then try again)");
  } finally {
    await cleanup();
  }
});

Deno.test("createExclusive() is false for an existing file and true again once it is gone", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const lock = `${dir}/root/var/run/pptkit/0:1:0:0.lock`;
    await Deno.mkdir(`${dir}/root/var/run/pptkit`, { recursive: true });
    const host = await SnapshotHost.open(dir);
    assert.equal(await host.createExclusive("/var/run/pptkit/0:1:0:0.lock", "first\n"), true);
    assert.equal(await host.createExclusive("/var/run/pptkit/0:1:0:0.lock", "second\n"), false);
    assert.equal(await host.readText("/var/run/pptkit/0:1:0:0.lock"), "first\n", "not written");
    // Removed and made again behind the host's back: each call looks at the directory anew.
    await Deno.remove(lock);
    assert.equal(await host.readText("/var/run/pptkit/0:1:0:0.lock"), null);
    assert.equal(await host.createExclusive("/var/run/pptkit/0:1:0:0.lock", "third\n"), true);
    assert.equal(await host.readText("/var/run/pptkit/0:1:0:0.lock"), "third\n");
    await Deno.remove(lock);
    await Deno.writeTextFile(lock, "theirs\n");
    assert.equal(await host.createExclusive("/var/run/pptkit/0:1:0:0.lock", "mine\n"), false);
    assert.equal(await Deno.readTextFile(lock), "theirs\n");
    // A directory that does not exist is an error, as before (73).
    await assert.rejects(
      () => host.createExclusive("/var/run/missing/0:1:0:0.lock", "x\n"),
      (e) => e instanceof PptkitError && e.exitCode === ExitCode.CantCreate,
    );
  } finally {
    await cleanup();
  }
});
