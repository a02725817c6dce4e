/**
 * How a lock follows its VM (core/ownership/locks.ts): the live ps capture (root's processes,
 * their executables and ages), holders through a guest reboot and after a stop, forged bhyve
 * titles, locks dated in the future, empty locks, `--holder`, and the run dir's guard; in
 * process and through the shipped CLI.
 */
import assert from "node:assert/strict";
import { parseBsf } from "../core/address.ts";
import { SnapshotHost } from "../core/host/snapshot.ts";
import { acquireLocks } from "../core/ownership/acquire.ts";
import { lockState, parseLockRecord, readLocks, takeoverMessage } from "../core/ownership/locks.ts";
import { bhyveVmName, runningVmsFrom } from "../core/ownership/running.ts";
import { pptkit, scratch } from "./helpers.ts";
import {
  assertOneLine,
  hook,
  legacyLock,
  lockNames,
  lockOf,
  lockRecordText,
  SNAP_RUN,
} from "./locks.ts";
import { demoSnapshot, livePs } from "./wrappers.ts";

const RUN = "/var/run/pptkit";
const NOW = Date.parse("2026-11-27T02:36:02Z");
const STALE = 120_000;
/** An older ps.txt with no bhyve in it, and an empty /dev/vmm: VMs are seen, processes not. */
const NOBODY = runningVmsFrom("  PID COMMAND\n", "");
const NO_VMS = { "ps.txt": "  PID COMMAND\n", "vmm.txt": "" };

/** Writes a lock file into a snapshot's run dir. */
async function writeLock(snap: string, key: string, text: string, mtime?: Date): Promise<void> {
  const path = `${snap}/${SNAP_RUN}/${key}.lock`;
  await Deno.mkdir(`${snap}/${SNAP_RUN}`, { recursive: true });
  await Deno.writeTextFile(path, text);
  if (mtime !== undefined) await Deno.utime(path, mtime, mtime);
}

Deno.test("lockState(): a lock dated in the future is free (with --stale-after 0 too), not 0 s old", () => {
  const future = NOW + 3 * 3_600_000;
  const lock = {
    address: parseBsf("1/0/0"),
    path: "/x",
    record: parseLockRecord(lockRecordText("vm2", future, 977)),
    raw: "",
    since: future,
  };
  const ps = runningVmsFrom(
    livePs([977, 1, 0, 99_999, "sh", "/bin/sh /usr/local/sbin/vm _run vm2"]),
    null,
  );
  for (const running of [NOBODY, runningVmsFrom(null, null), ps]) {
    for (const stale of [0, STALE]) {
      assert.equal(lockState(lock, "vm1", running, NOW, stale), "future");
    }
  }
  assert.equal(
    takeoverMessage(lock, "future", NOW),
    "took over the lock of 1/0/0 from VM vm2 (dated 3 h ahead of this host's clock; check the clock)",
  );
  // Within a second of slack it is simply young.
  assert.equal(lockState({ ...lock, since: NOW + 500 }, "vm1", NOBODY, NOW, STALE), "young");
  // Garbage with an mtime in the future is free even where nothing can be seen.
  assert.equal(
    lockState(
      { ...lock, record: null, since: future },
      "vm1",
      runningVmsFrom(null, null),
      NOW,
      STALE,
    ),
    "garbage-stale",
  );
});

Deno.test("parsePs() of the live capture: only root processes whose executable is bhyve are VMs", () => {
  const ps = livePs(
    [1, 0, 0, 5000, "init", "/sbin/init"],
    [977, 900, 0, 3600, "bhyve", "bhyve: vm1 (bhyve)"],
    [978, 900, 0, 2, "bhyve", "/usr/sbin/bhyve -c 2 -m 4G -S -s 0,hostbridge web-02"],
    // Forged: a title set with exec -a by root's sleep, and root's sh running a copy named bhyve.
    [979, 1, 0, 10, "sleep", "bhyve: vm2 (sleep)"],
    [980, 1, 0, 10, "sh", "bhyve: vm3"],
    // Another user's bhyve-named executable with a bhyve title: not root.
    [981, 1, 1001, 10, "bhyve", "bhyve: vm4 (bhyve)"],
    [982, 1, 0, 10, "bhyve", "bhyve -h"],
  );
  const r = runningVmsFrom(ps, null);
  assert.deepEqual([...r.pids], [["vm1", 977], ["web-02", 978]]);
  assert.deepEqual([...r.names].sort(), ["vm1", "web-02"]);
  assert.equal(r.processes?.get(980)?.comm, "sh");
  assert.equal(r.processes?.get(977)?.elapsed, 3600);
  assert.equal(r.processes?.has(981), false, "only root processes are kept");
  // The older pid,command capture: titles count (a snapshot's own record), processes unknown.
  const older = runningVmsFrom("  PID COMMAND\n 979 bhyve: vm2 (bhyve)\n", null);
  assert.deepEqual([...older.names], ["vm2"]);
  assert.equal(older.processes, null);
  assert.equal(bhyveVmName("bhyve: a b"), null, "a title with a blank names no VM");
});

Deno.test("lockState(): a lock holds while its holder runs, and is free at once when it is gone", () => {
  const locked = NOW - 7 * 86_400_000; // a week ago: age plays no part
  const lock = {
    address: parseBsf("1/0/0"),
    path: "/x",
    record: parseLockRecord(lockRecordText("vm2", locked, 4100)),
    raw: "",
    since: locked,
  };
  const wrapper = (pid: number, uid: number, elapsed: number) =>
    runningVmsFrom(livePs([pid, 1, uid, elapsed, "sh", "/bin/sh /usr/local/sbin/vm _run vm2"]), "");
  // Rebooting: vm2's bhyve exited, its vm _run loop (the holder) runs on.
  assert.equal(lockState(lock, "vm1", wrapper(4100, 0, 8 * 86_400), NOW, STALE), "starting");
  // The guest stopped: vm _run exited, and vm-bhyve runs no poststop.
  assert.equal(lockState(lock, "vm1", wrapper(4200, 0, 8 * 86_400), NOW, STALE), "stopped");
  // The pid was reused by a process that started after the lock: not the holder.
  assert.equal(lockState(lock, "vm1", wrapper(4100, 0, 60), NOW, STALE), "stopped");
  // Another user's process with that pid is not the holder either.
  assert.equal(lockState(lock, "vm1", wrapper(4100, 1001, 8 * 86_400), NOW, STALE), "stopped");
  // While vm2 runs, its bhyve holds it whatever the holder does.
  const up = runningVmsFrom(livePs([977, 4100, 0, 100, "bhyve", "bhyve: vm2 (bhyve)"]), null);
  assert.equal(lockState(lock, "vm1", up, NOW, STALE), "live");
  // A lock of an older pptkit names no holder: --stale-after decides.
  const legacy = {
    ...lock,
    record: parseLockRecord(lockRecordText("vm2", NOW - 1000)),
    since: NOW - 1000,
  };
  assert.equal(lockState(legacy, "vm1", wrapper(4100, 0, 99), NOW, STALE), "young");
  assert.equal(
    takeoverMessage(lock, "stopped", NOW),
    "took over the lock of 1/0/0 from VM vm2 (no bhyve process, and its wrapper, pid 4100, " +
      "has exited; locked 7 days ago)",
  );
});

Deno.test("acquireLocks(): an empty lock left by a killed prestart is free at once, for the same VM too", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoSnapshot(dir, {});
    await writeLock(snap, "0:1:0:0", "", new Date(NOW - 1000));
    const host = await SnapshotHost.open(snap);
    const result = await acquireLocks(host, [parseBsf("1/0/0")], {
      runDir: RUN,
      owner: { vm: "vm1", pid: 10, ppid: 9, holder: 9, now: NOW },
      staleAfterMs: STALE,
      running: NOBODY,
    });
    assert.ok(result.ok, "not vetoed for 120 s");
    assert.deepEqual(result.takenOver.map((t) => t.message), [
      "took over the empty lock of 1/0/0 (written 1 s ago: a prestart was stopped before it " +
      "wrote the lock)",
    ]);
    assert.equal((await readLocks(host, RUN))[0].record?.vm, "vm1");
  } finally {
    await cleanup();
  }
});

Deno.test("acquireLocks(): the same VM's prestart with another holder renews the lock, time kept", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await SnapshotHost.open(await demoSnapshot(dir, {}));
    const devices = [parseBsf("1/0/0")];
    const base = { runDir: RUN, staleAfterMs: STALE, running: NOBODY };
    // CBSD: master_prestart.d first (holder: bstart), then the bhyverun_wrapper shim.
    const first = await acquireLocks(host, devices, {
      ...base,
      owner: { vm: "vm1", pid: 10, ppid: 9, holder: 8, now: NOW },
    });
    assert.ok(first.ok);
    const second = await acquireLocks(host, devices, {
      ...base,
      owner: { vm: "vm1", pid: 12, ppid: 11, holder: 11, now: NOW + 3000 },
    });
    assert.ok(second.ok);
    assert.deepEqual(second.kept.length, 1);
    assert.deepEqual(second.renewed.length, 1);
    const [lock] = await readLocks(host, RUN);
    assert.equal(lock.record?.holder, 11);
    assert.equal(lock.record?.pid, 12);
    assert.equal(lock.since, NOW, "held since the first prestart");
    assert.equal(lock.record?.renewed, new Date(NOW + 3000).toISOString());
    // The same holder again (vm-bhyve's reboot loop) leaves the file as it is.
    const before = await Deno.readTextFile(host.realPath(lock.path));
    const third = await acquireLocks(host, devices, {
      ...base,
      owner: { vm: "vm1", pid: 13, ppid: 11, holder: 11, now: NOW + 9000 },
    });
    assert.ok(third.ok && third.renewed.length === 0);
    assert.equal(await Deno.readTextFile(host.realPath(lock.path)), before);
    const names = [...Deno.readDirSync(host.realPath(RUN))].map((e) => e.name);
    assert.deepEqual(names, ["0:1:0:0.lock"], "no temporary file stays behind");
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart: a lock follows its VM's bhyve and its holder; free at once when both are gone", async () => {
  const [dir, cleanup] = await scratch();
  try {
    // vm1 starts with vm-bhyve: its holder is its `vm _run` loop, pid 4100.
    const wrapper: [number, number, number, number, string, string] = [
      4100,
      1,
      0,
      3600,
      "sh",
      "/bin/sh /usr/local/sbin/vm _run vm1",
    ];
    const snap = await demoSnapshot(dir, { "ps.txt": livePs(wrapper), "vmm.txt": "" });
    const start = await hook(snap, "prestart", "--holder", "4100", "--devices", "1/0/0", "vm1");
    assert.equal(start.code, 0, start.stderr);
    assert.equal((await lockOf(snap, "0:1:0:0"))?.holder, 4100);
    // Running: a root bhyve titled vm1.
    await Deno.writeTextFile(
      `${snap}/ps.txt`,
      livePs(wrapper, [4200, 4100, 0, 60, "bhyve", "bhyve: vm1 (bhyve)"]),
    );
    const busy = await hook(snap, "prestart", "--devices", "1/0/0", "vm2");
    assertOneLine(busy, 75, /1\/0\/0 is held by running VM vm1 \(bhyve pid 4200, locked/);
    // A guest reboot: bhyve exited, the vm _run loop starts the next one. vm1 keeps the device.
    await Deno.writeTextFile(`${snap}/ps.txt`, livePs(wrapper));
    const reboot = await hook(snap, "prestart", "--devices", "1/0/0", "vm2");
    assertOneLine(
      reboot,
      75,
      /^pptkit: VM vm2 cannot start: 1\/0\/0 is held by VM vm1, which is starting or rebooting: it has no bhyve process, but its wrapper \(pid 4100\) runs/,
    );
    assert.match(reboot.stderr, /hint: wait until VM vm1 is up or gone/);
    const again = await hook(snap, "prestart", "--holder", "4100", "--devices", "1/0/0", "vm1");
    assert.equal(again.code, 0, again.stderr);
    // vm1 stopped: no bhyve, and vm _run exited (vm-bhyve has no poststop). Free at once.
    await Deno.writeTextFile(`${snap}/ps.txt`, livePs([1, 0, 0, 9999, "init", "/sbin/init"]));
    const list = await pptkit(["list", "--snapshot", snap]);
    assert.match(
      list.stdout,
      /1\/0\/0 locked by VM vm1 since .*: free: no bhyve process, and its wrapper, pid 4100, has exited/,
    );
    const taken = await hook(snap, "prestart", "--devices", "1/0/0", "vm2");
    assert.equal(taken.code, 0, taken.stderr);
    assert.match(
      taken.stderr,
      /pptkit: VM vm2: took over the lock of 1\/0\/0 from VM vm1 \(no bhyve process, and its wrapper, pid 4100, has exited; locked \d+ s ago\)\n$/,
    );
    assert.equal((await lockOf(snap, "0:1:0:0"))?.vm, "vm2");
  } finally {
    await cleanup();
  }
});

Deno.test("a forged bhyve title counts for nothing: no veto, release not blocked, no lock kept", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const forged = livePs(
      // `exec -a "bhyve: vm1" sleep 1000` by root, and by user 1001 with a copy named bhyve,
      // which also poses as vm1's holder, pid 5001.
      [5000, 1, 0, 100, "sleep", "bhyve: vm1 (sleep)"],
      [5001, 1, 1001, 86_400, "bhyve", "bhyve: vm1 (bhyve)"],
    );
    const held = JSON.parse(legacyLock("vm1", Date.now() - 10_000));
    const snap = await demoSnapshot(dir, {
      "ps.txt": forged,
      "vmm.txt": "",
      [`${SNAP_RUN}/0:1:0:0.lock`]: JSON.stringify({ ...held, holder: 5001 }) + "\n",
      "root/usr/local/etc/pptkit/vms/vm1.jsonc": '{ "passthru": ["1/0/1"] }\n',
    });
    const list = JSON.parse((await pptkit(["list", "--json", "--snapshot", snap])).stdout);
    assert.equal(list.devices.find((d: { bsf: string }) => d.bsf === "1/0/1").status, "in-use");
    assert.equal(list.locks[0].state, "stopped", "the non-root holder does not count");
    // release is not blocked by a VM that does not run.
    const release = await pptkit(["release", "--dry-run", "1/0/1", "--snapshot", snap]);
    assert.equal(release.code, 0, release.stderr);
    // Neither vm1's config device nor its lock stop vm2: vm1 does not run, its holder is gone.
    const r = await hook(snap, "prestart", "--devices", "1/0/1,1/0/0", "vm2");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /took over the lock of 1\/0\/0 from VM vm1 \(no bhyve process/);
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart: a lock dated in the future goes stale with a warning about the clock", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoSnapshot(dir, {
      ...NO_VMS,
      [`${SNAP_RUN}/0:1:0:0.lock`]: legacyLock("vm-old", Date.now() + 3 * 3_600_000 + 60_000),
    });
    const r = await hook(snap, "prestart", "--stale-after", "0", "--devices", "1/0/0", "vm2");
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^pptkit: warning: VM vm2: 1\/0\/0 has a lock of VM vm-old \(dated 3 h ahead of this host's clock; check the clock\): prestart takes it over$/m,
    );
    assert.match(r.stderr, /took over the lock of 1\/0\/0 from VM vm-old \(dated 3 h ahead/);
    assert.equal((await lockOf(snap, "0:1:0:0"))?.vm, "vm2");
  } finally {
    await cleanup();
  }
});

Deno.test("hook: --holder must be a process id, and is for prestart (64)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoSnapshot(dir, {});
    for (const bad of ["x", "0", "-1", "4e3", "12345678901"]) {
      const r = await hook(snap, "prestart", `--holder=${bad}`, "--devices", "1/0/0", "vm1");
      assertOneLine(r, 64, new RegExp(`^pptkit: bad --holder "${bad}": expected a process id`));
    }
    const post = await hook(snap, "poststop", "--holder", "7", "vm1");
    assertOneLine(post, 64, /^pptkit: --holder is for prestart$/);
    assert.deepEqual(lockNames(snap), []);
  } finally {
    await cleanup();
  }
});

Deno.test("the run dir's guard: a symlink is refused at once with one line, nothing locked", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoSnapshot(dir, {});
    await Deno.mkdir(`${snap}/${SNAP_RUN}`, { recursive: true });
    await Deno.symlink(`${dir}/elsewhere`, `${snap}/${SNAP_RUN}/.guard`);
    const r = await hook(snap, "prestart", "--devices", "1/0/0", "vm1");
    assertOneLine(
      r,
      73,
      /^pptkit: cannot lock \/var\/run\/pptkit\/\.guard: it is a symbolic link, not a lock file pptkit made$/,
    );
    assert.match(r.stderr, /hint: remove it \(rm \/var\/run\/pptkit\/\.guard\)/);
    assert.deepEqual(lockNames(snap), []);
    assert.equal((await Deno.lstat(`${snap}/${SNAP_RUN}/.guard`)).isSymlink, true);
    await assert.rejects(Deno.lstat(`${dir}/elsewhere`), Deno.errors.NotFound);
  } finally {
    await cleanup();
  }
});
