/**
 * Device ownership (core/ownership/): running VMs from ps and /dev/vmm, lock files, taking
 * and dropping them, the start checks of the verdict engine; and the parallel prestart race through the shipped
 * CLI.
 */
import assert from "node:assert/strict";
import { parseAddress, parseBsf } from "../core/address.ts";
import { buildInventory } from "../core/inventory.ts";
import { SnapshotHost } from "../core/host/snapshot.ts";
import { loadHostFacts, loadInventory } from "../app/host_state.ts";
import { acquireLocks, releaseLocks } from "../core/ownership/acquire.ts";
import {
  formatLockRecord,
  isBusy,
  lockPath,
  lockState,
  parseLockName,
  parseLockRecord,
  readLocks,
} from "../core/ownership/locks.ts";
import {
  parsePsBhyve,
  parseVmmList,
  readRunningVms,
  runningVmsFrom,
} from "../core/ownership/running.ts";
import { judgeVm, type VmVerdict } from "../core/verdict.ts";
import type { Inventory } from "../core/inventory.ts";
import type { LockFile } from "../core/ownership/locks.ts";
import type { RunningVms } from "../core/ownership/running.ts";
import { DEMO, pptkit, scratch, snapshotWith } from "./helpers.ts";
import { lockRecordText as record } from "./locks.ts";

/** The demo host's captures. */
const CAPTURES = [
  "pciconf.txt",
  "acpidump.txt",
  "kenv.txt",
  "kldstat.txt",
  "sysctl.txt",
  "uname.txt",
];
const RUN = "/var/run/pptkit";
const NOW = Date.parse("2026-11-27T02:36:02Z");
const STALE = 120_000;
const NOBODY = runningVmsFrom("  PID COMMAND\n", "");

/**
 * A scratch snapshot of the demo host: its captures and loader.conf, none of the VM configs
 * that fixtures/demo may carry (these tests write their own), plus `files`.
 */
async function demoCopy(dir: string, files: Record<string, string> = {}): Promise<string> {
  const snap = `${dir}/demo`;
  await Deno.mkdir(`${snap}/root/boot`, { recursive: true });
  for (const name of CAPTURES) await Deno.copyFile(`${DEMO}/${name}`, `${snap}/${name}`);
  await Deno.copyFile(`${DEMO}/root/boot/loader.conf`, `${snap}/root/boot/loader.conf`);
  return await snapshotWith(snap, files);
}

/** Writes a lock file into a snapshot's run dir. */
async function writeLock(snap: string, key: string, text: string, mtime?: Date): Promise<string> {
  const path = `${snap}/root${RUN}/${key}.lock`;
  await Deno.mkdir(`${snap}/root${RUN}`, { recursive: true });
  await Deno.writeTextFile(path, text);
  if (mtime !== undefined) await Deno.utime(path, mtime, mtime);
  return path;
}

/** A full ps capture (the live format): `[pid, ppid, uid, etimes, comm, args]` rows. */
function fullPs(...rows: [number, number, number, number, string, string][]): string {
  return "  PID  PPID UID ELAPSED COMMAND   COMMAND\n" +
    rows.map(([pid, ppid, uid, e, comm, args]) => `${pid} ${ppid} ${uid} ${e} ${comm} ${args}\n`)
      .join("");
}

Deno.test("parsePsBhyve() reads bhyve: NAME titles and skips everything else", () => {
  const ps = [
    "  PID COMMAND",
    "    1 /sbin/init --",
    " 4242 bhyve: vm1 (bhyve)",
    "  977 bhyve: web-02",
    "  980 /usr/sbin/bhyve -c 2 -m 1G vm3",
    "  981 grep bhyve: vm1",
    "junk line",
    "",
  ].join("\n");
  assert.deepEqual([...parsePsBhyve(ps)], [["vm1", 4242], ["web-02", 977]]);
});

Deno.test("parseVmmList() takes one name per line and tolerates columns", () => {
  assert.deepEqual(parseVmmList("vm1\nvm2\n"), ["vm1", "vm2"]);
  assert.deepEqual(parseVmmList("vm1  vm2\n\n"), ["vm1", "vm2"]);
  assert.deepEqual(parseVmmList(""), []);
});

Deno.test("runningVmsFrom() joins ps and /dev/vmm; both missing is unknown", () => {
  const r = runningVmsFrom(" 7 bhyve: a (bhyve)\n", "a\nb\n");
  assert.deepEqual([...r.names].sort(), ["a", "b"]);
  assert.equal(r.pids.get("a"), 7);
  assert.ok(r.inKernel.has("b"));
  assert.equal(r.known, true);
  assert.equal(runningVmsFrom(null, null).known, false);
  assert.equal(runningVmsFrom(null, "").known, true);
});

Deno.test("readRunningVms() reads ps.txt and vmm.txt of a snapshot", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoCopy(dir, { "ps.txt": "  PID COMMAND\n 12 bhyve: vm1 (bhyve)\n" });
    const r = await readRunningVms(await SnapshotHost.open(snap));
    assert.deepEqual([...r.names], ["vm1"]);
    assert.equal(r.known, true);
  } finally {
    await cleanup();
  }
});

Deno.test("lock names are canonical device keys; anything else is ignored", () => {
  assert.equal(lockPath("/var/run/pptkit/", parseBsf("1/0/0")), "/var/run/pptkit/0:1:0:0.lock");
  assert.deepEqual(parseLockName("0:3:0:1.lock"), { domain: 0, bus: 3, slot: 0, function: 1 });
  for (const bad of ["0:1:0:0.lock.stale.1.2", ".guard", "1/0/0.lock", "0:1:32:0.lock", "x.lock"]) {
    assert.equal(parseLockName(bad), null, bad);
  }
});

Deno.test("parseLockRecord() accepts what formatLockRecord() writes and nothing broken", () => {
  const text = record("vm1", NOW);
  assert.deepEqual(parseLockRecord(text), {
    vm: "vm1",
    pid: 4242,
    ppid: 4200,
    time: "2026-11-27T02:36:02.000Z",
    device: "1/0/0",
    holder: null,
    renewed: null,
  });
  const held = parseLockRecord(
    formatLockRecord({
      ...parseLockRecord(record("vm1", NOW, 977))!,
      renewed: "2026-11-27T03:00:00.000Z",
    }),
  );
  assert.equal(held?.holder, 977);
  assert.equal(held?.renewed, "2026-11-27T03:00:00.000Z");
  assert.ok(!record("vm1", NOW).includes("renewed"), "renewed is written only when set");
  for (const bad of ["0", "-1", "1.5", '"977"']) {
    const text = record("vm1", NOW).replace('"holder":null', `"holder":${bad}`);
    assert.equal(parseLockRecord(text)?.holder, null, bad);
  }
  for (
    const bad of [
      "",
      "garbage\x00\x01",
      "[]",
      '{"vm":"vm1"}',
      '{"vm":"","pid":1,"time":"2026-01-01T00:00:00Z"}',
      '{"vm":"vm1","pid":"1","time":"2026-01-01T00:00:00Z"}',
      '{"vm":"vm1","pid":1,"time":"yesterday"}',
      '{"vm":"vm1","pid":1,"time":"2026-01-01T00:00:00Z"', // truncated
    ]
  ) {
    assert.equal(parseLockRecord(bad), null, JSON.stringify(bad));
  }
});

Deno.test("lockState() tells own, live, young, unknown, stale and garbage apart", () => {
  const at = (vm: string | null, since: number) => ({
    address: parseBsf("1/0/0"),
    path: "/x",
    record: vm === null ? null : parseLockRecord(record(vm, since)),
    raw: "",
    since,
  });
  const running = runningVmsFrom(" 1 bhyve: vm2 (bhyve)\n", "");
  const blind = runningVmsFrom(null, null);
  const old = NOW - 600_000;
  assert.equal(lockState(at("vm1", old), "vm1", running, NOW, STALE), "own");
  assert.equal(lockState(at("vm2", old), "vm1", running, NOW, STALE), "live");
  assert.equal(lockState(at("vm3", NOW - 1000), "vm1", running, NOW, STALE), "young");
  assert.equal(lockState(at("vm3", old), "vm1", running, NOW, STALE), "stale");
  assert.equal(lockState(at("vm3", old), "vm1", blind, NOW, STALE), "unknown");
  // A file that is no lock: free when pptkit sees which VMs run, else judged by its age.
  assert.equal(lockState(at(null, NOW), "vm1", running, NOW, STALE), "garbage-stale");
  assert.equal(lockState(at(null, old), "vm1", blind, NOW, STALE), "garbage-stale");
  assert.equal(lockState(at(null, NOW), "vm1", blind, NOW, STALE), "garbage-young");
  assert.ok(isBusy("live") && isBusy("young") && isBusy("unknown") && isBusy("garbage-young"));
  assert.ok(isBusy("starting"));
  assert.ok(!isBusy("own") && !isBusy("stale") && !isBusy("garbage-stale"));
  assert.ok(!isBusy("stopped") && !isBusy("future"));
});

Deno.test("acquireLocks() creates one JSON lock per device, and the same VM keeps them", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await SnapshotHost.open(await demoCopy(dir));
    const devices = [parseBsf("1/0/0"), parseBsf("1/0/1")];
    const options = {
      runDir: RUN,
      owner: { vm: "vm1", pid: 10, ppid: 9, holder: 9, now: NOW },
      staleAfterMs: STALE,
      running: NOBODY,
    };
    const first = await acquireLocks(host, devices, options);
    assert.ok(first.ok);
    assert.equal(first.created.length, 2);
    const locks = await readLocks(host, RUN);
    assert.deepEqual(locks.map((l) => l.record?.vm), ["vm1", "vm1"]);
    assert.deepEqual(locks.map((l) => l.record?.device), ["1/0/0", "1/0/1"]);
    assert.equal(locks[0].record?.pid, 10);
    assert.equal(locks[0].since, NOW);
    // A guest reboot: prestart again, later, from another pid.
    const again = await acquireLocks(host, devices, {
      ...options,
      owner: { vm: "vm1", pid: 11, ppid: 9, holder: 9, now: NOW + 5000 },
    });
    assert.ok(again.ok);
    assert.equal(again.created.length, 0);
    assert.equal(again.kept.length, 2);
    assert.equal((await readLocks(host, RUN))[0].record?.pid, 10, "the lock is kept as it was");
  } finally {
    await cleanup();
  }
});

Deno.test("acquireLocks() refuses a live VM's device and removes what it made (all or nothing)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoCopy(dir);
    await writeLock(snap, "0:1:0:1", record("vm2", NOW - 3_600_000));
    const host = await SnapshotHost.open(snap);
    const running = runningVmsFrom(" 77 bhyve: vm2 (bhyve)\n", "vm2\n");
    const result = await acquireLocks(host, [parseBsf("1/0/0"), parseBsf("1/0/1")], {
      runDir: RUN,
      owner: { vm: "vm1", pid: 10, ppid: null, holder: null, now: NOW },
      staleAfterMs: STALE,
      running,
    });
    assert.ok(!result.ok);
    assert.equal(result.state, "live");
    assert.match(
      result.message,
      /^1\/0\/1 is held by running VM vm2 \(bhyve pid 77, locked 1 h ago\)$/,
    );
    assert.match(result.fix, /stop VM vm2 first/);
    const left = await readLocks(host, RUN);
    assert.deepEqual(left.map((l) => [l.record?.vm, l.record?.device]), [["vm2", "1/0/0"]]);
    assert.equal(left[0].address.function, 1, "only vm2's lock is there: 1/0/0 was rolled back");
  } finally {
    await cleanup();
  }
});

Deno.test("acquireLocks() takes over a stale lock and an old garbage file", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoCopy(dir);
    const old = new Date(NOW - 3_600_000);
    await writeLock(snap, "0:1:0:0", record("vm-old", old.getTime()));
    await writeLock(snap, "0:1:0:1", "\x00\x01 not json", old);
    const host = await SnapshotHost.open(snap);
    const result = await acquireLocks(host, [parseBsf("1/0/0"), parseBsf("1/0/1")], {
      runDir: RUN,
      owner: { vm: "vm1", pid: 10, ppid: null, holder: null, now: NOW },
      staleAfterMs: STALE,
      running: NOBODY,
    });
    assert.ok(result.ok);
    assert.deepEqual(result.takenOver.map((t) => t.message), [
      "took over the stale lock of 1/0/0 from VM vm-old (not running, locked 1 h ago)",
      "took over the unreadable lock of 1/0/1 (written 1 h ago)",
    ]);
    assert.deepEqual((await readLocks(host, RUN)).map((l) => l.record?.vm), ["vm1", "vm1"]);
    const names = await Deno.readDir(`${snap}/root${RUN}`);
    const all = [];
    for await (const e of names) all.push(e.name);
    assert.deepEqual(
      all.sort(),
      ["0:1:0:0.lock", "0:1:0:1.lock"],
      "nothing set aside stays, and the guard is removed after use",
    );
  } finally {
    await cleanup();
  }
});

Deno.test("acquireLocks() leaves a young lock of a VM that is not running (it may be starting)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoCopy(dir);
    await writeLock(snap, "0:1:0:0", record("vm2", NOW - 10_000));
    await writeLock(snap, "0:1:0:1", "garbage", new Date(NOW - 1000));
    const host = await SnapshotHost.open(snap);
    const options = {
      runDir: RUN,
      owner: { vm: "vm1", pid: 10, ppid: null, holder: null, now: NOW },
      staleAfterMs: STALE,
      running: NOBODY,
    };
    const young = await acquireLocks(host, [parseBsf("1/0/0")], options);
    assert.ok(!young.ok);
    assert.equal(young.state, "young");
    assert.match(
      young.message,
      /held by VM vm2, locked 10 s ago by pid 4242: it is probably starting/,
    );
    // Where pptkit cannot see which VMs run, a young file that is no lock is left alone.
    const garbage = await acquireLocks(host, [parseBsf("1/0/1")], {
      ...options,
      running: runningVmsFrom(null, null),
    });
    assert.ok(!garbage.ok);
    assert.equal(garbage.state, "garbage-young");
    assert.match(garbage.message, /^1\/0\/1 has an unreadable lock file .*0:1:0:1\.lock/);
    // With --stale-after 0 both are old enough.
    const now = await acquireLocks(host, [parseBsf("1/0/0"), parseBsf("1/0/1")], {
      ...options,
      staleAfterMs: 0,
    });
    assert.ok(now.ok);
    assert.equal(now.takenOver.length, 2);
  } finally {
    await cleanup();
  }
});

Deno.test("releaseLocks() removes only the VM's own locks", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoCopy(dir);
    await writeLock(snap, "0:1:0:0", record("vm1", NOW));
    await writeLock(snap, "0:1:0:1", record("vm2", NOW));
    await writeLock(snap, "0:3:0:0", "garbage");
    const host = await SnapshotHost.open(snap);
    const { released } = await releaseLocks(host, RUN, "vm1");
    assert.deepEqual(released.map((l) => l.record?.device), ["1/0/0"]);
    const left = await readLocks(host, RUN);
    assert.deepEqual(left.map((l) => l.record?.vm ?? null), ["vm2", null]);
    assert.deepEqual(
      (await releaseLocks(host, RUN, "vm1")).released,
      [],
      "a second poststop is a no-op",
    );
    assert.deepEqual((await releaseLocks(host, "/nonexistent/run", "vm1")).released, []);
  } finally {
    await cleanup();
  }
});

/** The start check of a VM passing `devices` (hook prestart, check --vm), with no plugins. */
function startVerdict(
  vm: string,
  devices: readonly string[],
  inventory: Inventory,
  running: RunningVms,
  locks: readonly LockFile[] = [],
): VmVerdict {
  const entries = devices.map((text, i) => {
    const token = parseAddress(text);
    return { token, address: token.address!, line: i + 1, options: {} };
  });
  return judgeVm(
    { vm, source: "--devices", file: null, entries, findings: [] },
    { inventory, plugins: null, ownership: { locks, running, now: NOW, staleAfterMs: STALE } },
  );
}

Deno.test("the start check vetoes on the IOMMU, unknown devices, ppt(4), holders and eligibility", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoCopy(dir, { "acpidump.txt": "  FACP: Length=276, Revision=6\n" });
    const inventory = await loadInventory(await SnapshotHost.open(snap));
    const report = startVerdict("vm1", ["1/0/0", "3/0/1", "9/0/0", "0/31/2"], inventory, NOBODY);
    // 0/31/2 has no MSI: that is the reason, and not-on-ppt (whose fix, reserve, would be
    // refused) is not said for it.
    assert.deepEqual(report.errors.map((f) => f.code), [
      "no-iommu",
      "not-on-ppt",
      "unknown-device",
      "no-msi",
    ]);
    assert.equal(report.busy, false);
    assert.match(report.errors[1].message, /^3\/0\/1 is not on ppt\(4\): igb1 \(igb\) has it$/);
    assert.match(report.errors[1].fix ?? "", /pptkit reserve 3\/0\/1/);
    assert.deepEqual(report.found.map((d) => d.bsf), ["1/0/0", "3/0/1", "0/31/2"]);
  } finally {
    await cleanup();
  }
});

Deno.test("the start check: a missing acpidump is a warning; a running holder makes it busy", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoCopy(dir);
    await Deno.remove(`${snap}/acpidump.txt`);
    const holder = { vm: "vm2", source: "native", running: true };
    const inventory = buildInventory({
      ...(await loadHostFacts(await SnapshotHost.open(snap))),
      usage: new Map([["0:1:0:0", [holder]]]),
    });
    const running = runningVmsFrom(" 5 bhyve: vm2 (bhyve)\n", "");
    const report = startVerdict("vm1", ["1/0/0", "1/0/1"], inventory, running);
    assert.ok(report.findings.some((f) => f.code === "iommu-unknown" && f.level === "warn"));
    assert.deepEqual(report.errors.map((f) => f.code), ["held-by-vm"]);
    assert.match(
      report.errors[0].message,
      /1\/0\/0 is held by running VM vm2 \(native config, bhyve pid 5\)/,
    );
    assert.equal(report.busy, true);
    // The holder's own prestart (a reboot) is not held by itself.
    const own = startVerdict("vm2", ["1/0/0"], inventory, running);
    assert.deepEqual(own.errors, []);
  } finally {
    await cleanup();
  }
});

/**
 * `rounds` rounds of three prestarts for 1/0/0 started together on `snap`: exactly one wins,
 * the others get 75 and the line that names the winner (`loser` checks more of it).
 */
async function race(snap: string, rounds: number, loser: (stderr: string, winner: string) => void) {
  const runDir = `${snap}/root${RUN}`;
  for (let round = 0; round < rounds; round++) {
    const racers = ["a", "b", "c"].map((r) => `vm-${r}${round}`);
    const results = await Promise.all(
      racers.map((vm) =>
        pptkit(["hook", "prestart", "--snapshot", snap, "--devices", "1/0/0", vm])
      ),
    );
    const codes = results.map((r) => r.code);
    const winners = racers.filter((_, i) => codes[i] === 0);
    assert.equal(winners.length, 1, `round ${round}: exactly one winner: ${codes}`);
    assert.equal(
      codes.filter((c) => c === 75).length,
      racers.length - 1,
      `round ${round}: ${codes}`,
    );
    for (const [i, r] of results.entries()) {
      if (codes[i] !== 75) continue;
      assert.match(
        r.stderr,
        new RegExp(`^pptkit: VM ${racers[i]} cannot start: 1/0/0 is held by VM ${winners[0]}`),
      );
      loser(r.stderr, winners[0]);
    }
    const lock = parseLockRecord(await Deno.readTextFile(`${runDir}/0:1:0:0.lock`));
    assert.equal(lock?.vm, winners[0]);
    await Deno.remove(`${runDir}/0:1:0:0.lock`);
  }
}

Deno.test("parallel prestart: of processes started together, exactly one gets the device, 20 rounds", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demoCopy(dir, { "ps.txt": "  PID COMMAND\n", "vmm.txt": "" });
    await race(snap, 20, () => {});
  } finally {
    await cleanup();
  }
});

Deno.test("parallel prestart, live ps format: the winner's lock holds while its holder runs, 10 rounds", async () => {
  const [dir, cleanup] = await scratch();
  try {
    // The racers' holder is their caller, this test process: a root process started long ago.
    const snap = await demoCopy(dir, {
      "ps.txt": fullPs([Deno.pid, 1, 0, 86_400, "deno", "deno test"]),
    });
    await race(snap, 10, (stderr) => {
      assert.match(
        stderr,
        new RegExp(
          `which is starting or rebooting: it has no bhyve process, but its wrapper ` +
            `\\(pid ${Deno.pid}\\) runs`,
        ),
      );
    });
  } finally {
    await cleanup();
  }
});
