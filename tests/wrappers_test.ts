/**
 * Each wrapper's shim, called the way the wrapper calls it (tests/wrappers.ts), with the real
 * pptkit on the demo host: a go, a veto and a busy device for vm-bhyve, CBSD (its
 * bhyverun_wrapper, master_prestart.d and master_poststop.d), bmd and libvirt; where the
 * wrapper honours the hook (CBSD's wrapper, bmd, libvirt) a veto stops the start. And the locks
 * through a guest reboot (kept) and after the guest stopped (free at once).
 */
import assert from "node:assert/strict";
import { scratch } from "./helpers.ts";
import { lockNames, lockOf } from "./locks.ts";
import { harness, HOOKS, livePs, runningPs } from "./wrappers.ts";

/** The demo GPU's warning: its functions have no FLR. */
const NO_FLR = /warning: VM \S+: 1\/0\/0 has no function level reset/;
const NOT_ON_PPT = "3/0/1 is not on ppt(4): igb1 (igb) has it";

/** The pid a harness script wrote into its directory. */
async function pidOf(dir: string, name: string): Promise<number> {
  return Number((await Deno.readTextFile(`${dir}/${name}.pid`)).trim());
}

Deno.test("vm-bhyve: prestart logs go, veto and busy to vm-bhyve.log in its format; a veto cannot stop the start", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const h = await harness(dir, {
      "root/etc/rc.conf": 'vm_dir="/vm"\n',
      "root/vm/gpu/gpu.conf": 'loader="uefi"\npassthru0="1/0/0"\npassthru1="1/0/1"\n',
      "root/vm/nic/nic.conf": 'passthru0="3/0/1"\n',
      "root/vm/gpu2/gpu2.conf": 'passthru0="1/0/0"\n',
    });
    const hook = `${HOOKS}/vm-bhyve-prestart`;
    const guest = (name: string) => `${h.snap}/root/vm/${name}`;
    // go: `vm start gpu` on a ZFS datastore (churchers' stamp), output to /dev/null.
    const go = await h.run("vm_run", ["gpu", guest("gpu"), "zroot/vm", hook]);
    assert.equal(go.code, 0);
    assert.equal(go.stdout + go.stderr, "", "vm start sends it all to /dev/null");
    const log = (await Deno.readTextFile(`${guest("gpu")}/vm-bhyve.log`)).trimEnd().split("\n");
    const stamp = /^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d: /;
    for (const line of log) assert.match(line, stamp);
    const at = log.findIndex((l) => l.includes("running prestart script"));
    assert.match(log[at], new RegExp(`: running prestart script ${hook} gpu zroot/vm/gpu$`));
    assert.match(log[at + 1], NO_FLR);
    assert.match(log[at + 1], /: pptkit: warning: VM gpu: /);
    assert.match(log[at + 2], /: pptkit: warning: VM gpu: 1\/0\/1 has no function level reset/);
    assert.match(log[at + 3], /: pptkit: VM gpu may start: holds 1\/0\/0 1\/0\/1$/);
    assert.match(log[at + 4], /: starting bhyve \(run 1\)$/);
    const vmRun = await pidOf(dir, "vm_run");
    assert.equal((await lockOf(h.snap, "0:1:0:0"))?.holder, vmRun, "the holder is vm _run");
    assert.deepEqual(lockNames(h.snap), ["0:1:0:0.lock", "0:1:0:1.lock"]);

    // veto: `vm start -f nic` on a directory datastore (freebsd's stamp): bhyve starts anyway.
    await h.reset();
    const veto = await h.run("vm_run", ["nic", guest("nic"), "", hook], {
      HARNESS_STAMP: "-Iseconds",
      HARNESS_FOREGROUND: "1",
    });
    assert.match(veto.stderr, new RegExp(`^pptkit: VM nic cannot start: ${esc(NOT_ON_PPT)}\n`));
    assert.ok((await h.calls()).some((c) => /^bhyve \d+ nic$/.test(c)), "vm-bhyve starts it");
    const nicLog = await Deno.readTextFile(`${guest("nic")}/vm-bhyve.log`);
    assert.match(nicLog, /: running prestart script \S+ nic \/nic\n/);
    assert.match(
      nicLog,
      new RegExp(
        `\n\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:?\\d\\d: pptkit: VM nic cannot ` +
          `start: ${esc(NOT_ON_PPT)}\n\\S+: hint: reserve it: pptkit reserve 3/0/1 `,
      ),
    );
    assert.deepEqual(lockNames(h.snap), ["0:1:0:0.lock", "0:1:0:1.lock"], "no lock for nic");

    // busy: gpu runs; gpu2 wants its GPU.
    await Deno.writeTextFile(`${h.snap}/ps.txt`, runningPs("gpu"));
    await h.run("vm_run", ["gpu2", guest("gpu2"), "zroot/vm", hook]);
    assert.match(
      await Deno.readTextFile(`${guest("gpu2")}/vm-bhyve.log`),
      /: pptkit: VM gpu2 cannot start: 1\/0\/0 is held by running VM gpu \(bhyve pid 7001, /,
    );
    assert.equal((await lockOf(h.snap, "0:1:0:0"))?.vm, "gpu");
  } finally {
    await cleanup();
  }
});

Deno.test("vm-bhyve: a guest reboot keeps the locks; a stopped guest's are free at once (no poststop)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const h = await harness(dir, {
      "root/etc/rc.conf": 'vm_dir="/vm"\n',
      "root/vm/gpu/gpu.conf": 'passthru0="1/0/0"\n',
      "root/vm/gpu2/gpu2.conf": 'passthru0="1/0/0"\n',
    });
    const hook = `${HOOKS}/vm-bhyve-prestart`;
    const guest = (name: string) => `${h.snap}/root/vm/${name}`;
    // Two boots of gpu: the second prestart keeps what the first took.
    await h.run("vm_run", ["gpu", guest("gpu"), "zroot/vm", hook], { HARNESS_RUNS: "2" });
    const log = await Deno.readTextFile(`${guest("gpu")}/vm-bhyve.log`);
    assert.match(log, /: pptkit: VM gpu may start: holds 1\/0\/0\n[^\n]*starting bhyve \(run 1\)/);
    assert.match(
      log,
      /: pptkit: VM gpu may start: holds 1\/0\/0 \(1\/0\/0 from an earlier prestart\)\n/,
    );
    const vmRun = await pidOf(dir, "vm_run");
    // Between two boots: no bhyve, but vm _run (the holder) runs. gpu2 must wait.
    await Deno.writeTextFile(
      `${h.snap}/ps.txt`,
      livePs([vmRun, 1, 0, 3600, "sh", "/bin/sh /usr/local/sbin/vm _run gpu"]),
    );
    await h.run("vm_run", ["gpu2", guest("gpu2"), "zroot/vm", hook]);
    assert.match(
      await Deno.readTextFile(`${guest("gpu2")}/vm-bhyve.log`),
      new RegExp(
        `: pptkit: VM gpu2 cannot start: 1/0/0 is held by VM gpu, which is starting or ` +
          `rebooting: it has no bhyve process, but its wrapper \\(pid ${vmRun}\\) runs`,
      ),
    );
    // gpu stopped: vm _run exited. gpu2 takes the GPU at once, not after 120 s.
    await Deno.writeTextFile(`${h.snap}/ps.txt`, livePs());
    await h.run("vm_run", ["gpu2", guest("gpu2"), "zroot/vm", hook]);
    assert.match(
      await Deno.readTextFile(`${guest("gpu2")}/vm-bhyve.log`),
      new RegExp(
        `: pptkit: VM gpu2: took over the lock of 1/0/0 from VM gpu \\(no bhyve process, and ` +
          `its wrapper, pid ${vmRun}, has exited; locked \\d+ s ago\\)\n`,
      ),
    );
    assert.equal((await lockOf(h.snap, "0:1:0:0"))?.vm, "gpu2");
  } finally {
    await cleanup();
  }
});

Deno.test("CBSD bhyverun_wrapper: go execs bhyverun.sh in place, a veto or a busy device stops the start", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const h = await harness(dir, {
      "cbsd-ppt.txt": "1/0/0 :  GP107GL [Quadro P600] :  NVIDIA Corporation : win10\n" +
        "1/0/1 :  GP107GL High Definition Audio :  NVIDIA Corporation : win10\n" +
        "3/0/1 :  I350 Gigabit Network Connection :  Intel Corporation : bad\n",
      "root/usr/local/etc/pptkit/vms/other.jsonc": '{ "passthru": ["1/0/0"] }\n',
    });
    const jailsys = `${dir}/jails-system`;
    for (const vm of ["win10", "bad"]) {
      await Deno.mkdir(`${jailsys}/${vm}/master_poststop.d`, { recursive: true });
      await Deno.writeTextFile(`${jailsys}/${vm}/bhyve.conf`, `jname='${vm}'\n`);
      await Deno.copyFile(
        `${HOOKS}/cbsd-master_poststop`,
        `${jailsys}/${vm}/master_poststop.d/pptkit`,
      );
      await Deno.chmod(`${jailsys}/${vm}/master_poststop.d/pptkit`, 0o755);
    }
    const wrapper = `${HOOKS}/cbsd-bhyverun`;
    const bstart = (vm: string) => h.run("bstart", [jailsys, wrapper], { jname: vm, workdir: dir });
    // go: bhyverun.sh runs with bstart's arguments, as the same process that ran prestart.
    const go = await bstart("win10");
    assert.equal(go.code, 0);
    const calls = await h.calls();
    const conf = `${jailsys}/win10/bhyve.conf`;
    const run = calls.find((c) => c.startsWith("bhyverun.sh "))!;
    assert.match(
      run,
      new RegExp(`^bhyverun.sh (\\d+) -c ${esc(conf)} -e 1 -l ${esc(jailsys)}/win10/bstart.log$`),
    );
    const holder = Number(run.split(" ")[1]);
    assert.equal(
      (await lockOf(h.snap, "0:1:0:0"))?.holder,
      holder,
      "exec: the holder is bhyverun.sh",
    );
    assert.match(go.stdout, /^PID: \d+\n$/);
    assert.ok(
      calls.some((c) => /^logger pptkit: warning: VM win10: 1\/0\/0 has no function level/.test(c)),
    );
    assert.match(await Deno.readTextFile(h.env.HARNESS_PANE), NO_FLR);
    // The VM stops: bstop's master_poststop.d releases its locks.
    await h.run("bstop", [jailsys], { jname: "win10", workdir: dir });
    assert.deepEqual(lockNames(h.snap), []);

    // veto: bhyve never starts; bstart shows the reason from bstart.log, and exits 0 anyway.
    await h.reset();
    const veto = await bstart("bad");
    assert.equal(veto.code, 0);
    assert.match(
      veto.stdout,
      new RegExp(`^PID: 0\n.*\npptkit: VM bad cannot start: ${esc(NOT_ON_PPT)}\nhint: `),
    );
    assert.deepEqual((await h.calls()).filter((c) => !c.startsWith("logger ")), [], "no bhyve");
    assert.ok((await h.calls()).includes(`logger pptkit: VM bad cannot start: ${NOT_ON_PPT}`));

    // busy: another VM runs with the GPU (a native VM, started with bhyve-run, say).
    await h.reset();
    await Deno.writeTextFile(`${h.snap}/ps.txt`, runningPs("other"));
    const busy = await bstart("win10");
    assert.match(
      busy.stdout,
      /^PID: 0\n[\s\S]*pptkit: VM win10 cannot start: 1\/0\/0 is held by running VM other/,
    );
    assert.deepEqual((await h.calls()).filter((c) => !c.startsWith("logger ")), []);
    assert.deepEqual(lockNames(h.snap), []);
  } finally {
    await cleanup();
  }
});

Deno.test("CBSD master_prestart.d is advisory: its veto is shown but the VM starts; with the wrapper the lock moves to it", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const h = await harness(dir, {
      "cbsd-ppt.txt": "1/0/0 :  GP107GL [Quadro P600] :  NVIDIA Corporation : win10\n" +
        "3/0/1 :  I350 Gigabit Network Connection :  Intel Corporation : bad\n",
    });
    const jailsys = `${dir}/jails-system`;
    for (const vm of ["win10", "bad"]) {
      await Deno.mkdir(`${jailsys}/${vm}/master_prestart.d`, { recursive: true });
      await Deno.copyFile(
        `${HOOKS}/cbsd-master_prestart`,
        `${jailsys}/${vm}/master_prestart.d/pptkit`,
      );
      await Deno.chmod(`${jailsys}/${vm}/master_prestart.d/pptkit`, 0o755);
    }
    // CBSD's own wrapper: nothing gates the start.
    const veto = await h.run("bstart", [jailsys, h.env.PPTKIT_CBSD_BHYVERUN], {
      jname: "bad",
      workdir: dir,
    });
    assert.match(veto.stdout, /^Execute master script: pptkit\n/);
    assert.match(veto.stderr, new RegExp(`^pptkit: VM bad cannot start: ${esc(NOT_ON_PPT)}\n`));
    assert.ok((await h.calls()).some((c) => /^bhyve \d+ bad$/.test(c)), "the VM starts anyway");
    // go, with only master_prestart.d: the holder is bstart.
    const go = await h.run("bstart", [jailsys, h.env.PPTKIT_CBSD_BHYVERUN], {
      jname: "win10",
      workdir: dir,
    });
    assert.match(go.stderr, NO_FLR);
    assert.equal((await lockOf(h.snap, "0:1:0:0"))?.holder, await pidOf(dir, "bstart"));
    // Both installed: the wrapper's prestart keeps the lock and becomes its holder.
    await h.reset();
    await h.run("bstart", [jailsys, `${HOOKS}/cbsd-bhyverun`], { jname: "win10", workdir: dir });
    const run = (await h.calls()).find((c) => c.startsWith("bhyverun.sh "))!;
    const lock = await lockOf(h.snap, "0:1:0:0");
    assert.equal(lock?.holder, Number(run.split(" ")[1]));
    assert.equal(typeof lock?.renewed, "string");
  } finally {
    await cleanup();
  }
});

Deno.test("bmd: PRESTART's veto or busy device prevents the boot; POSTSTOP releases; a reboot keeps the locks", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const h = await harness(dir, {});
    const hook = `${HOOKS}/bmd-hook`;
    const vmEnv = (name: string, ...devices: string[]) => ({
      VM_NAME: name,
      VM_NPASSTHRUES: String(devices.length),
      ...Object.fromEntries(devices.map((d, i) => [`VM_PASSTHRUES${i + 1}`, d])),
    });
    // go: the VM boots; its locks name bmd.
    await h.run("bmd", ["vm1", hook], vmEnv("vm1", "1/0/0", "ppt1"));
    assert.ok((await h.calls()).some((c) => /^bhyve \d+ vm1$/.test(c)));
    assert.ok(
      (await h.calls()).some((c) =>
        /^logger pptkit: warning: VM vm1: 1\/0\/0 has no function/.test(c)
      ),
    );
    const bmd = await pidOf(dir, "bmd");
    assert.equal((await lockOf(h.snap, "0:1:0:0"))?.holder, bmd);
    assert.equal((await lockOf(h.snap, "0:1:0:1"))?.vm, "vm1");
    // A guest reboot runs no hook: while bmd runs, vm1 keeps the GPU between two bhyves.
    await Deno.writeTextFile(
      `${h.snap}/ps.txt`,
      livePs([bmd, 1, 0, 86_400, "bmd", "/usr/local/sbin/bmd"]),
    );
    await h.reset();
    await h.run("bmd", ["vm2", hook], vmEnv("vm2", "1/0/0"));
    assert.deepEqual((await h.calls()).filter((c) => !c.startsWith("logger ")), [
      "bmd vm2: plugin 'hookcmd' prevents from starting VM",
    ]);
    assert.ok(
      (await h.calls()).some((c) =>
        c.includes("1/0/0 is held by VM vm1, which is starting or rebooting")
      ),
    );
    // busy: vm1 runs.
    await Deno.writeTextFile(`${h.snap}/ps.txt`, runningPs("vm1"));
    await h.reset();
    await h.run("bmd", ["vm2", hook], vmEnv("vm2", "1/0/0"));
    assert.ok((await h.calls()).includes("bmd vm2: plugin 'hookcmd' prevents from starting VM"));
    assert.ok(
      (await h.calls()).some((c) => c.includes("1/0/0 is held by running VM vm1 (bhyve pid 7001")),
    );
    // veto: no boot, no lock.
    await h.reset();
    await h.run("bmd", ["bad", hook], vmEnv("bad", "3/0/1"));
    assert.deepEqual((await h.calls()).filter((c) => !c.startsWith("logger ")), [
      "bmd bad: plugin 'hookcmd' prevents from starting VM",
    ]);
    assert.ok((await h.calls()).includes(`logger pptkit: VM bad cannot start: ${NOT_ON_PPT}`));
    // POSTSTOP when a VM stops for good: vm3 boots and stops, and leaves nothing.
    await Deno.writeTextFile(`${h.snap}/ps.txt`, livePs());
    await h.run("bmd", ["vm3", hook], { ...vmEnv("vm3", "3/0/0"), HARNESS_STOP: "1" });
    assert.deepEqual(lockNames(h.snap), ["0:1:0:0.lock", "0:1:0:1.lock"], "only vm1's are left");
  } finally {
    await cleanup();
  }
});

/** A libvirt domain with PCI hostdevs at these host B/S/F (hex in the XML, as libvirt writes). */
function domainXml(name: string, ...devices: [number, number, number][]): string {
  const hex = (n: number, w: number) => "0x" + n.toString(16).padStart(w, "0");
  const hostdevs = devices.map(([b, s, f]) =>
    "    <hostdev mode='subsystem' type='pci' managed='no'>\n      <source>\n" +
    `        <address domain='0x0000' bus='${hex(b, 2)}' slot='${hex(s, 2)}' function='${
      hex(f, 1)
    }'/>\n` +
    "      </source>\n    </hostdev>\n"
  ).join("");
  return `<domain type='bhyve'>\n  <name>${name}</name>\n  <memoryBacking>\n    <locked/>\n` +
    `  </memoryBacking>\n  <devices>\n${hostdevs}    <interface type='bridge'>\n` +
    "      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>\n" +
    "    </interface>\n  </devices>\n</domain>\n";
}

Deno.test("libvirt: prepare's veto or busy device fails the start; a reboot retakes, a stop releases", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const h = await harness(dir, {});
    const hook = `${HOOKS}/libvirt-bhyve`;
    const xml = async (name: string, ...devices: [number, number, number][]) => {
      const path = `${dir}/${name}.xml`;
      await Deno.writeTextFile(path, domainXml(name, ...devices));
      return { HARNESS_XML: path };
    };
    const vm1 = await xml("vm1", [1, 0, 0], [1, 0, 1]);
    // go: the XML on stdin names 1/0/0 and 1/0/1; the locks name libvirtd.
    const go = await h.run("libvirtd", ["start", "vm1", hook], vm1);
    assert.equal(go.code, 0, JSON.stringify(await h.calls()));
    assert.ok((await h.calls()).some((c) => /^bhyve \d+ vm1$/.test(c)));
    assert.equal((await lockOf(h.snap, "0:1:0:1"))?.holder, await pidOf(dir, "libvirtd"));
    assert.ok(
      (await h.calls()).some((c) => /^logger pptkit: warning: VM vm1: 1\/0\/0 has no/.test(c)),
    );
    // A guest reboot: stopped, release (the locks go), start (taken again), started.
    await h.reset();
    assert.equal((await h.run("libvirtd", ["reboot", "vm1", hook], vm1)).code, 0);
    assert.ok((await h.calls()).some((c) => /^bhyve \d+ vm1$/.test(c)));
    assert.deepEqual(lockNames(h.snap), ["0:1:0:0.lock", "0:1:0:1.lock"]);
    // busy: vm1 runs and vm2 wants its GPU: prepare fails, libvirt cleans up, no bhyve.
    await Deno.writeTextFile(`${h.snap}/ps.txt`, runningPs("vm1"));
    await h.reset();
    const busy = await h.run("libvirtd", ["start", "vm2", hook], await xml("vm2", [1, 0, 0]));
    assert.equal(busy.code, 1);
    const calls = await h.calls();
    assert.ok(
      calls.some((c) =>
        /^libvirtd vm2 prepare: hook failed with 75: pptkit: VM vm2 cannot start: 1\/0\/0 is held by running VM vm1/
          .test(c)
      ),
      calls.join("\n"),
    );
    assert.ok(!calls.some((c) => c.startsWith("bhyve ")));
    assert.equal(
      (await lockOf(h.snap, "0:1:0:0"))?.vm,
      "vm1",
      "vm2's release dropped nothing of vm1",
    );
    // veto, with no XML on stdin (older libvirt): the persistent definition is read.
    await h.reset();
    await xml("bad", [3, 0, 1]);
    const veto = await h.run("libvirtd", ["start", "bad", hook], { PPTKIT_LIBVIRT_DIR: dir });
    assert.equal(veto.code, 1);
    assert.ok(
      (await h.calls()).some((c) =>
        c.includes(`prepare: hook failed with 1: pptkit: VM bad cannot start: ${NOT_ON_PPT}`)
      ),
    );
    assert.ok(!(await h.calls()).some((c) => c.startsWith("bhyve ")));
    // stop: release drops vm1's locks.
    await Deno.writeTextFile(`${h.snap}/ps.txt`, livePs());
    await h.run("libvirtd", ["stop", "vm1", hook], vm1);
    assert.deepEqual(lockNames(h.snap), []);
  } finally {
    await cleanup();
  }
});

/** A string as a literal part of a RegExp. */
function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
