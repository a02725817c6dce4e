/**
 * `pptkit hook prestart|poststop` and `pptkit check --vm`, end to end through the shipped
 * launcher and bundle, on scratch copies of the demo snapshot (and on `--root DIR` with stub
 * commands on PATH for --rebind).
 */
import assert from "node:assert/strict";
import { DEMO, pptkit, scratch, snapshotWith } from "./helpers.ts";
import { assertOneLine, hook, legacyLock, lockNames, lockOf } from "./locks.ts";

/** The demo host's captures. */
const CAPTURES = [
  "pciconf.txt",
  "acpidump.txt",
  "kenv.txt",
  "kldstat.txt",
  "sysctl.txt",
  "uname.txt",
];
const RUN = "root/var/run/pptkit";
const NO_VMS = { "ps.txt": "  PID COMMAND\n", "vmm.txt": "" };

/**
 * A scratch snapshot of the demo host: its captures and loader.conf, none of the VM configs
 * that fixtures/demo may carry (these tests write their own), plus `files`.
 */
async function demo(dir: string, files: Record<string, string> = NO_VMS): Promise<string> {
  const snap = `${dir}/demo`;
  await Deno.mkdir(`${snap}/root/boot`, { recursive: true });
  for (const name of CAPTURES) await Deno.copyFile(`${DEMO}/${name}`, `${snap}/${name}`);
  await Deno.copyFile(`${DEMO}/root/boot/loader.conf`, `${snap}/root/boot/loader.conf`);
  return await snapshotWith(snap, files);
}

/** The demo GPU's warning: its functions have no FLR. */
const NO_FLR = "has no function level reset: ppt(4) falls back to a power-state reset, so " +
  "device state may leak between guests";

Deno.test("hook prestart: go is exit 0, each warning one line on stderr without -v, one JSON lock per device", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    const r = await hook(snap, "prestart", "--devices", "1/0/0,1/0/1", "vm1");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `pptkit: warning: VM vm1: 1/0/0 ${NO_FLR}\npptkit: warning: VM vm1: 1/0/1 ${NO_FLR}\n`,
    );
    assert.equal((await hook(snap, "prestart", "-q", "--devices", "1/0/0", "vm1")).stderr, "");
    assert.deepEqual(lockNames(snap), ["0:1:0:0.lock", "0:1:0:1.lock"]);
    const lock = await lockOf(snap, "0:1:0:0");
    assert.equal(lock?.vm, "vm1");
    assert.equal(lock?.device, "1/0/0");
    assert.ok(Number.isInteger(lock?.pid) && lock!.pid > 0);
    assert.ok(Math.abs(Date.parse(lock!.time) - Date.now()) < 60_000);
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart: the same VM again (guest reboot) keeps its locks", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    assert.equal((await hook(snap, "prestart", "--devices", "1/0/0 1/0/1", "vm1")).code, 0);
    const before = await Deno.readTextFile(`${snap}/${RUN}/0:1:0:0.lock`);
    const r = await hook(snap, "prestart", "-v", "--devices", "1/0/0,1/0/1", "vm1");
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^VM vm1 may start: holds 1\/0\/0 1\/0\/1 \(1\/0\/0 1\/0\/1 from an earlier prestart\)\n$/,
    );
    assert.equal(await Deno.readTextFile(`${snap}/${RUN}/0:1:0:0.lock`), before, "untouched");
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart: a device locked by a running VM is refused with 75 and one line", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      "ps.txt": "  PID COMMAND\n 4242 bhyve: vm1 (bhyve)\n",
      "vmm.txt": "vm1\n",
    });
    assert.equal((await hook(snap, "prestart", "--devices", "1/0/0", "vm1")).code, 0);
    const r = await hook(snap, "prestart", "--devices", "1/0/0,1/0/1", "vm2");
    assertOneLine(
      r,
      75,
      /^pptkit: VM vm2 cannot start: 1\/0\/0 is held by running VM vm1 \(bhyve pid 4242, locked \d+ s ago\)$/,
    );
    assert.match(r.stderr, /hint: stop VM vm1 first/);
    assert.deepEqual(
      lockNames(snap),
      ["0:1:0:0.lock"],
      "vm2 left no lock behind (not even 1/0/1)",
    );
    assert.equal((await lockOf(snap, "0:1:0:0"))?.vm, "vm1");
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart: a stale lock (old, VM in neither ps nor /dev/vmm) is taken over", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      ...NO_VMS,
      [`${RUN}/0:1:0:0.lock`]: legacyLock("vm-old", Date.now() - 3_600_000),
    });
    const r = await hook(snap, "prestart", "--devices", "1/0/0", "vm2");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr.split("\n").filter((l) => !l.startsWith("pptkit: warning: ")).join("\n"),
      "pptkit: VM vm2: took over the stale lock of 1/0/0 from VM vm-old (not running, locked 1 h ago)\n",
    );
    assert.equal((await lockOf(snap, "0:1:0:0"))?.vm, "vm2");
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart: a young lock of a stopped VM waits for --stale-after", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      ...NO_VMS,
      [`${RUN}/0:1:0:0.lock`]: legacyLock("vm-old", Date.now() - 30_000),
    });
    const r = await hook(snap, "prestart", "--devices", "1/0/0", "vm2");
    assertOneLine(
      r,
      75,
      /^pptkit: VM vm2 cannot start: 1\/0\/0 is held by VM vm-old, locked 3\d s ago by pid 4242: it is probably starting$/,
    );
    const now = await hook(snap, "prestart", "--stale-after", "10", "--devices", "1/0/0", "vm2");
    assert.equal(now.code, 0, now.stderr);
    assert.equal((await lockOf(snap, "0:1:0:0"))?.vm, "vm2");
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart: a garbage lock file is free when VMs can be seen, else once old", async () => {
  const [dir, cleanup] = await scratch();
  try {
    // No ps.txt, no vmm.txt: pptkit cannot tell whether a VM uses the device.
    const snap = await demo(dir, { [`${RUN}/0:1:0:0.lock`]: "\u0000\u0001garbage{" });
    const young = await hook(snap, "prestart", "--devices", "1/0/0", "vm2");
    assertOneLine(
      young,
      75,
      /^pptkit: VM vm2 cannot start: 1\/0\/0 has an unreadable lock file \/var\/run\/pptkit\/0:1:0:0\.lock/,
    );
    const old = new Date(Date.now() - 3_600_000);
    await Deno.utime(`${snap}/${RUN}/0:1:0:0.lock`, old, old);
    const r = await hook(snap, "prestart", "--devices", "1/0/0", "vm2");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /took over the unreadable lock of 1\/0\/0 \(written 1 h ago\)/);
    assert.equal((await lockOf(snap, "0:1:0:0"))?.vm, "vm2");
    // A prestart killed between creating and writing its lock: free at once for the same VM.
    const seen = await demo(`${dir}/seen`, { ...NO_VMS, [`${RUN}/0:1:0:1.lock`]: "" });
    const again = await hook(seen, "prestart", "--devices", "1/0/1", "vm2");
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stderr,
      /took over the empty lock of 1\/0\/1 \(written \d+ s ago: a prestart/,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("hook poststop releases only the VM's own locks", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      ...NO_VMS,
      [`${RUN}/0:1:0:1.lock`]: legacyLock("vm2", Date.now()),
    });
    assert.equal((await hook(snap, "prestart", "--devices", "1/0/0", "vm1")).code, 0);
    const r = await hook(snap, "poststop", "-v", "vm1");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "VM vm1 stopped: released 1/0/0\n");
    assert.deepEqual(lockNames(snap), ["0:1:0:1.lock"]);
    const again = await hook(snap, "poststop", "-v", "vm1");
    assert.equal(again.code, 0);
    assert.equal(again.stdout, "VM vm1 stopped: it held no locks\n");
  } finally {
    await cleanup();
  }
});

/** Writes executable stubs into `bin`. */
async function stubs(bin: string, commands: Record<string, string>): Promise<void> {
  await Deno.mkdir(bin, { recursive: true });
  for (const [name, script] of Object.entries(commands)) {
    await Deno.writeTextFile(`${bin}/${name}`, `#!/bin/sh\n${script}\n`);
    await Deno.chmod(`${bin}/${name}`, 0o755);
  }
}

Deno.test("hook poststop --rebind runs devctl clear driver -f for each released device", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const root = `${dir}/host`;
    await snapshotWith(root, {
      "var/run/pptkit/0:1:0:0.lock": legacyLock("vm1", Date.now()),
      "var/run/pptkit/0:1:0:1.lock": legacyLock("vm1", Date.now()),
      "var/run/pptkit/0:3:0:0.lock": legacyLock("vm2", Date.now()),
    });
    await stubs(`${dir}/bin`, { devctl: `echo "$*" >> ${dir}/devctl.log` });
    const env = { PATH: `${dir}/bin:${Deno.env.get("PATH")}` };
    const r = await pptkit(["hook", "poststop", "--rebind", "--root", root, "vm1"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await Deno.readTextFile(`${dir}/devctl.log`),
      "clear driver -f pci0:1:0:0\nclear driver -f pci0:1:0:1\n",
    );
    assert.deepEqual(
      [...Deno.readDirSync(`${root}/var/run/pptkit`)].map((e) => e.name).filter((n) =>
        n.endsWith(".lock")
      ),
      [
        "0:3:0:0.lock",
      ],
    );
    // --devices adds devices to give back; a failing devctl is reported, exit 1.
    await stubs(`${dir}/bin`, { devctl: `echo "devctl: Device busy" >&2; exit 1` });
    const bad = await pptkit([
      "hook",
      "poststop",
      "--rebind",
      "--devices",
      "3/0/1",
      "--root",
      root,
      "vm1",
    ], { env });
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^pptkit: cannot give 3\/0\/1 back to its host driver: devctl: Device busy\nhint: /,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart vetoes without IOMMU, with 1 and one line", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, { ...NO_VMS, "acpidump.txt": "  FACP: Length=276, Revision=6\n" });
    const r = await hook(snap, "prestart", "--devices", "1/0/0", "vm1");
    assertOneLine(r, 1, /^pptkit: VM vm1 cannot start: no DMAR or IVRS table in the ACPI tables/);
    assert.deepEqual(lockNames(snap), []);
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart: no acpidump.txt is a warning, not a veto", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    await Deno.remove(`${snap}/acpidump.txt`);
    const r = await hook(snap, "prestart", "--devices", "1/0/0,1/0/1", "vm1");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^pptkit: warning: VM vm1: acpidump output is not available/);
    assert.deepEqual(lockNames(snap), ["0:1:0:0.lock", "0:1:0:1.lock"]);
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart vetoes a device not on ppt(4) and leaves no lock for the others", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    const r = await hook(snap, "prestart", "--devices", "1/0/0,3/0/1", "vm1");
    assertOneLine(
      r,
      1,
      /^pptkit: VM vm1 cannot start: 3\/0\/1 is not on ppt\(4\): igb1 \(igb\) has it$/,
    );
    assert.match(r.stderr, /hint: reserve it: pptkit reserve 3\/0\/1/);
    assert.deepEqual(lockNames(snap), []);
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart vetoes a device that is not eligible (no MSI)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    // Put the demo's device without MSI on ppt(4), so that eligibility is what fails.
    const pciconf = await Deno.readTextFile(`${snap}/pciconf.txt`);
    await Deno.writeTextFile(
      `${snap}/pciconf.txt`,
      pciconf.replace("none0@pci0:0:31:2:", "ppt2@pci0:0:31:2:"),
    );
    const r = await hook(snap, "prestart", "--devices", "0/31/2", "vm1");
    assertOneLine(r, 1, /^pptkit: VM vm1 cannot start: 0\/31\/2 has neither MSI nor MSI-X/);
    assert.deepEqual(lockNames(snap), []);
  } finally {
    await cleanup();
  }
});

/** A QLogic FC adapter with two functions, both on ppt(4), as pciconf -lbcv prints it. */
function qlogic(fn: number): string {
  return `ppt${7 + fn}@pci0:4:0:${fn}:\tclass=0x0c0400 rev=0x02 hdr=${
    fn === 0 ? "0x80" : "0x00"
  } ` +
    "vendor=0x1077 device=0x2532 subvendor=0x1077 subdevice=0x015d\n" +
    "    vendor     = 'QLogic Corp.'\n" +
    "    device     = 'ISP2532-based 8Gb Fibre Channel to PCI Express HBA'\n" +
    "    class      = serial bus\n" +
    "    subclass   = Fibre Channel\n" +
    "    cap 11[a0] = MSI-X supports 2 messages\n" +
    "                 Table in map 0x14[0x0], PBA in map 0x14[0x800]\n" +
    "    cap 10[44] = PCI-Express 2 endpoint max data 256(2048) FLR\n";
}

Deno.test("hook prestart vetoes what a plugin's prestart calls an error (qlogic)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    const pciconf = await Deno.readTextFile(`${snap}/pciconf.txt`);
    await Deno.writeTextFile(`${snap}/pciconf.txt`, `${pciconf}\n${qlogic(0)}\n${qlogic(1)}`);
    const r = await hook(snap, "prestart", "--devices", "4/0/1", "vm1");
    assertOneLine(
      r,
      1,
      /^pptkit: VM vm1 cannot start: vm1 passes 4\/0\/1 of a QLogic FC adapter without function 0 \(4\/0\/0\)/,
    );
    assert.match(r.stderr, /hint: add 4\/0\/0 to vm1's passthru list/);
    assert.deepEqual(lockNames(snap), []);
    const ok = await hook(snap, "prestart", "--devices", "4/0/0,4/0/1", "vm1");
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart vetoes a device a running VM's config names (75)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      "ps.txt": "  PID COMMAND\n 977 bhyve: gpu-vm (bhyve)\n",
      "vmm.txt": "gpu-vm\n",
      "root/usr/local/etc/pptkit/vms/gpu-vm.jsonc": '{ "passthru": ["1/0/0", "1/0/1"] }\n',
    });
    const r = await hook(snap, "prestart", "--devices", "1/0/1", "vm1");
    assertOneLine(
      r,
      75,
      /^pptkit: VM vm1 cannot start: 1\/0\/1 is held by running VM gpu-vm \(native config, bhyve pid 977\)$/,
    );
    assert.deepEqual(lockNames(snap), []);
    // list shows it.
    const list = await pptkit(["list", "--json", "--snapshot", snap]);
    const doc = JSON.parse(list.stdout);
    const audio = doc.devices.find((d: { bsf: string }) => d.bsf === "1/0/1");
    assert.equal(audio.status, "running");
    assert.equal(audio.statusText, "Running in: gpu-vm");
  } finally {
    await cleanup();
  }
});

Deno.test("list shows Running in: VM for a device only a running VM's lock names", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      "ps.txt": "  PID COMMAND\n 4242 bhyve: vm1 (bhyve)\n",
      "vmm.txt": "",
    });
    assert.equal((await hook(snap, "prestart", "--devices", "1/0/0", "vm1")).code, 0);
    const r = await pptkit(["list", "--snapshot", snap]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /│ ppt0 +│ pci0:1:0:0: .*│ Running in: vm1 │/);
    assert.match(r.stdout, /│ ppt1 +│ pci0:1:0:1: .*│ Available +│/);
    const doc = JSON.parse((await pptkit(["list", "--json", "--snapshot", snap])).stdout);
    assert.deepEqual(doc.devices[0].usedBy, [{
      vm: "vm1",
      source: "lock",
      running: true,
      file: null,
    }]);
    // Below the table: who holds what, and since when.
    assert.match(
      r.stdout,
      /\nLocks:\n {2}1\/0\/0 locked by VM vm1 since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+ s ago\): running \(bhyve pid 4242\)\n$/,
    );
    assert.equal(doc.locks.length, 1);
    assert.equal(doc.locks[0].device, "1/0/0");
    assert.equal(doc.locks[0].vm, "vm1");
    assert.equal(doc.locks[0].state, "live");
    assert.equal(doc.locks[0].bhyvePid, 4242);
    assert.ok(Math.abs(Date.parse(doc.locks[0].since) - Date.now()) < 60_000);
    const show = await pptkit(["show", "1/0/0", "--snapshot", snap]);
    assert.match(
      show.stdout,
      /\nlock +held by VM vm1 since .*: running \(bhyve pid 4242\)\n/,
    );
    const showJson = JSON.parse(
      (await pptkit(["show", "1/0/0", "--json", "--snapshot", snap])).stdout,
    );
    assert.equal(showJson.lock.vm, "vm1");
    // Once vm1 is gone from ps, the lock alone says nothing.
    await Deno.writeTextFile(`${snap}/ps.txt`, "  PID COMMAND\n");
    const after = await pptkit(["list", "--snapshot", snap]);
    assert.match(after.stdout, /│ ppt0 +│ pci0:1:0:0: .*│ Available +│/);
    assert.match(after.stdout, /: not running, may be starting \(stale after 120 s\)\n$/);
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart --wrapper native reads the VM's devices from its config", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      ...NO_VMS,
      "root/usr/local/etc/pptkit/vms/vm1.jsonc": '{ "passthru": ["1/0/0", "1/0/1"] }\n',
    });
    const r = await pptkit([
      "hook",
      "prestart",
      "--wrapper",
      "native",
      "--json",
      "--snapshot",
      snap,
      "vm1",
      "/some/dataset",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.schema, "pptkit.hook/1");
    assert.equal(doc.source, "native");
    assert.deepEqual(doc.locked, ["1/0/0", "1/0/1"]);
    // Without --wrapper the configured sources are searched.
    assert.equal((await hook(snap, "poststop", "vm1")).code, 0);
    assert.equal((await hook(snap, "prestart", "vm1")).code, 0);
    assert.deepEqual(lockNames(snap), ["0:1:0:0.lock", "0:1:0:1.lock"]);
  } finally {
    await cleanup();
  }
});

Deno.test("hook: unknown VM 66, bad wrapper 64, bad options 64, each one line", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    assertOneLine(
      await hook(snap, "prestart", "--wrapper", "native", "nosuch"),
      66,
      /^pptkit: VM nosuch not found in native/,
    );
    assertOneLine(
      await hook(snap, "prestart", "--wrapper", "vmbhyve", "vm1"),
      64,
      /^pptkit: unknown wrapper "vmbhyve": expected native, hoster, vm-bhyve or cbsd$/,
    );
    assertOneLine(
      await hook(snap, "prestart", "--stale-after", "2m", "--devices", "1/0/0", "vm1"),
      64,
      /^pptkit: bad --stale-after "2m"/,
    );
    assertOneLine(
      await hook(snap, "restart", "vm1"),
      64,
      /^pptkit: unknown hook "restart": expected prestart or poststop$/,
    );
    assertOneLine(await hook(snap, "prestart"), 64, /^pptkit: hook: missing argument$/);
    assertOneLine(
      await hook(snap, "prestart", "--devices", "1/0/0", "--wrapper", "native", "vm1"),
      64,
      /exclude each other/,
    );
    assertOneLine(
      await hook(snap, "prestart", "--devices", "1:0:0", "vm1"),
      65,
      /^pptkit: bad PCI address "1:0:0"/,
    );
    assertOneLine(
      await hook(snap, "prestart", "--devices", "1/0/0", "../vm1"),
      64,
      /^pptkit: bad VM name/,
    );
    assert.deepEqual(lockNames(snap), []);
  } finally {
    await cleanup();
  }
});

Deno.test("hook prestart: a run dir that cannot be written is one line (73)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, { ...NO_VMS, "root/var/run/pptkit": "not a directory\n" });
    const r = await hook(snap, "prestart", "--devices", "1/0/0", "vm1");
    assertOneLine(r, 73, /^pptkit: cannot write \/var\/run\/pptkit/);
  } finally {
    await cleanup();
  }
});

Deno.test("hook --log FILE appends syslog-style lines for a go and a veto", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    const log = `${dir}/hook.log`;
    assert.equal((await hook(snap, "prestart", "--log", log, "--devices", "1/0/0", "vm1")).code, 0);
    assert.equal((await hook(snap, "prestart", "--log", log, "--devices", "3/0/1", "vm2")).code, 1);
    assert.equal((await hook(snap, "poststop", "--log", log, "vm1")).code, 0);
    const lines = (await Deno.readTextFile(log)).trimEnd().split("\n");
    assert.equal(lines.length, 5);
    const syslog = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ pptkit\[\d+\]: /;
    for (const l of lines) assert.match(l, syslog);
    // The go's warnings are logged too, one line each, as stderr shows them.
    assert.ok(lines[0].endsWith(`: warning: VM vm1: 1/0/0 ${NO_FLR}`), lines[0]);
    assert.match(lines[1], /: warning: VM vm1: vm1 passes 1\/0\/0 but not 1\/0\/1/);
    assert.match(lines[2], /: prestart VM vm1 may start: holds 1\/0\/0$/);
    assert.match(
      lines[3],
      /: VM vm2 cannot start: 3\/0\/1 is not on ppt\(4\): igb1 \(igb\) has it$/,
    );
    assert.match(lines[4], /: poststop VM vm1 stopped: released 1\/0\/0$/);
  } finally {
    await cleanup();
  }
});

Deno.test("check --vm runs the prestart checks without taking locks", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      ...NO_VMS,
      "root/usr/local/etc/pptkit/vms/gpu.jsonc": '{ "passthru": ["1/0/0", "1/0/1"] }\n',
      "root/usr/local/etc/pptkit/vms/nic.jsonc": '{ "passthru": ["3/0/1"] }\n',
    });
    const ok = await pptkit(["check", "--vm", "gpu", "--snapshot", snap]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /^VM gpu \(native \/usr\/local\/etc\/pptkit\/vms\/gpu\.jsonc\): 1\/0\/0 1\/0\/1\n/,
    );
    assert.match(ok.stdout, /\nVM gpu can start: 0 errors, \d+ warnings?\n$/);
    assert.deepEqual(lockNames(snap), [], "check takes no locks");

    const bad = await pptkit(["check", "--vm", "nic", "--snapshot", snap]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stdout,
      /3\/0\/1 igb1 \(Not on ppt: nic\): cannot be used now\n {2}error {2}not-on-ppt: /,
    );
    assertOneLine(
      { ...bad, stdout: "" },
      1,
      /^pptkit: VM nic cannot start: 3\/0\/1 is not on ppt\(4\)/,
    );

    const json = JSON.parse(
      (await pptkit(["check", "--vm", "nic", "--json", "--snapshot", snap])).stdout,
    );
    assert.equal(json.schema, "pptkit.check/1");
    assert.equal(json.ok, false);
    assert.equal(json.vm.name, "nic");
    assert.deepEqual(json.vm.devices, ["3/0/1"]);
    assert.equal(json.vm.canStart, false);
    assert.ok(json.vm.findings.some((f: { code: string }) => f.code === "not-on-ppt"));

    assertOneLine(
      await pptkit(["check", "--vm", "nosuch", "--snapshot", snap]),
      66,
      /^pptkit: VM nosuch not found/,
    );
    assertOneLine(
      await pptkit(["check", "1/0/0", "--vm", "gpu", "--snapshot", snap]),
      64,
      /either ADDR\.\.\. or --vm VM/,
    );
    // Plain check looks at every VM config: nic's device not on ppt is an error there too.
    const plain = await pptkit(["check", "--snapshot", snap]);
    assert.equal(plain.code, 1, plain.stderr);
    assert.match(plain.stdout, /^host: snapshot /);
    assert.match(
      plain.stdout,
      /error {2}not-on-ppt: 3\/0\/1 is not on ppt\(4\): igb1 \(igb\) has it/,
    );
  } finally {
    await cleanup();
  }
});
