/**
 * Issue #15, the admin's workflow end to end: each numbered point of the issue reproduced on a
 * snapshot host through the shipped CLI (reserve, release, list, check, hook, plan), plus the
 * two loader.conf points of issue #17 (7: two loader files disagree; 12: BOM and symlinks).
 */
import assert from "node:assert/strict";
import { DEMO, errorLines, pptkit, type RunResult, SAMPLES, scratch } from "./helpers.ts";

const LOADER = "root/boot/loader.conf";
const VMS = "root/usr/local/etc/pptkit/vms";
const CAPTURES = ["pciconf.txt", "acpidump.txt", "kenv.txt", "kldstat.txt", "uname.txt"];
const SRIOV = `${SAMPLES}/pciconf-lvbc-gigabyte-z370m-82599-sriov-vf-ppt-ari-fbsd13.1-bsdhw`;
const ARM64 = `${SAMPLES}/pciconf-lvbc-arm64-ampere-8domains-mlx5-dualport-fbsd14.0current-bsdhw`;

/**
 * A scratch copy of the demo host's captures and loader.conf, without its VM configs, nobody
 * running, plus `files` (path under the snapshot -> text; null removes a copied file).
 */
async function host(dir: string, files: Record<string, string | null> = {}): Promise<string> {
  const snap = `${dir}/host`;
  await Deno.mkdir(`${snap}/root/boot`, { recursive: true });
  for (const name of CAPTURES) await Deno.copyFile(`${DEMO}/${name}`, `${snap}/${name}`);
  await Deno.copyFile(`${DEMO}/${LOADER}`, `${snap}/${LOADER}`);
  const all: Record<string, string | null> = { "ps.txt": "  PID COMMAND\n", ...files };
  for (const [name, text] of Object.entries(all)) {
    const path = `${snap}/${name}`;
    if (text === null) {
      await Deno.remove(path);
      continue;
    }
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  return snap;
}

/** The demo host with the NVIDIA card on its host drivers (vgapci1, hdac0), nothing reserved. */
async function gpuOnHostDrivers(dir: string, files: Record<string, string | null> = {}) {
  const pciconf = (await Deno.readTextFile(`${DEMO}/pciconf.txt`))
    .replace("ppt0@pci0:1:0:0:", "vgapci1@pci0:1:0:0:")
    .replace("ppt1@pci0:1:0:1:", "hdac0@pci0:1:0:1:");
  return await host(dir, {
    "pciconf.txt": pciconf,
    [LOADER]: 'vmm_load="YES"\n',
    "kenv.txt": 'vmm_load="YES"\n',
    ...files,
  });
}

/** A test body run in a scratch directory, removed afterwards. */
function inScratch(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const [dir, cleanup] = await scratch();
    try {
      await fn(dir);
    } finally {
      await cleanup();
    }
  };
}

function assertOneLineError(r: RunResult, code: number, pattern: RegExp) {
  assert.equal(r.code, code, r.stderr);
  const lines = errorLines(r.stderr);
  assert.ok(lines[0].startsWith("pptkit: "), r.stderr);
  assert.match(lines[0], pattern);
  assert.ok(lines.length <= 2 && (lines.length === 1 || lines[1].startsWith("hint: ")), r.stderr);
}

function hintOf(r: RunResult): string {
  return errorLines(r.stderr).find((l) => l.startsWith("hint: "))?.slice(6) ?? "";
}

// 1. reserve reserves what a VM names; accepting one risk never accepts another.

Deno.test(
  "#15.1 reserve reserves a device a VM config names although it is not on ppt yet",
  inScratch(async (dir) => {
    const snap = await host(dir, { [`${VMS}/win10.jsonc`]: '{ "passthru": ["3/0/0"] }\n' });
    const check = await pptkit(["check", "--vm", "win10", "--snapshot", snap]);
    assert.equal(check.code, 1, "not on ppt: win10 cannot start yet");
    assert.match(hintOf(check), /pptkit reserve 3\/0\/0/);
    const r = await pptkit(["reserve", "3/0/0", "--snapshot", snap]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      await Deno.readTextFile(`${snap}/${LOADER}`),
      /^pptdevs="1\/0\/0 1\/0\/1 3\/0\/0"$/m,
    );
    const list = JSON.parse((await pptkit(["list", "--json", "--snapshot", snap])).stdout);
    const nic = list.devices.find((d: { bsf: string }) => d.bsf === "3/0/0");
    assert.equal(nic.statusText, "Reserved (reboot): win10");
  }),
);

Deno.test(
  "#15.1 --allow accepts only the risk it names",
  inScratch(async (dir) => {
    const snap = await host(dir);
    const before = await Deno.readTextFile(`${snap}/${LOADER}`);
    // 0/23/0 (the only storage controller) and 0/31/2 (no MSI): two risks, two names.
    const one = await pptkit([
      "reserve",
      "--allow",
      "no-msi",
      "0/23/0",
      "0/31/2",
      "--snapshot",
      snap,
    ]);
    assertOneLineError(one, 65, /cannot reserve: 0\/23\/0 probably holds the boot disk/);
    assert.equal(
      hintOf(one),
      "if the host can do without it: pptkit reserve --allow " +
        "host-critical,no-msi 0/23/0 0/31/2",
    );
    assert.equal(await Deno.readTextFile(`${snap}/${LOADER}`), before);
    const both = await pptkit([
      "reserve",
      "--allow",
      "host-critical,no-msi",
      "0/23/0",
      "0/31/2",
      "--snapshot",
      snap,
    ]);
    assert.equal(both.code, 0, both.stderr);
    assert.match(both.stderr, /warn +host-critical: 0\/23\/0 probably holds the boot disk/);
  }),
);

// 2. reserve is no longer silent about devices the host needs, or that can never work.

Deno.test(
  "#15.2 reserve refuses the boot disk controller and the console GPU, even in a dry run",
  inScratch(async (dir) => {
    const snap = await host(dir);
    const disk = await pptkit(["reserve", "--dry-run", "0/23/0", "--snapshot", snap]);
    assertOneLineError(disk, 65, /probably holds the boot disk \(ahci0, the only storage/);
    assert.equal(disk.stdout, "", "no clean diff");
    const gpu = await pptkit(["reserve", "0/2/0", "--snapshot", snap]);
    assertOneLineError(gpu, 65, /0\/2\/0 is probably the console display \(vgapci0/);
    assert.equal(
      hintOf(gpu),
      "if the host can do without it: pptkit reserve --allow host-critical 0/2/0",
    );
  }),
);

Deno.test(
  "#15.2 the NIC of the default route (netstat -rn) is host-critical",
  inScratch(async (dir) => {
    const netstat = "Routing tables\n\nInternet:\n" +
      "Destination        Gateway            Flags         Netif Expire\n" +
      "default            192.168.1.1        UGS             em0\n" +
      "127.0.0.1          link#3             UH              lo0\n\nInternet6:\n" +
      "Destination                       Gateway                       Flags     Netif Expire\n" +
      "::1                               link#3                        UHS         lo0\n";
    const snap = await host(dir, { "netstat.txt": netstat });
    const r = await pptkit(["reserve", "--dry-run", "0/31/6", "--snapshot", snap]);
    assertOneLineError(r, 65, /0\/31\/6 carries the default route \(em0\)/);
    assert.match(hintOf(r), /pptkit reserve --allow host-critical 0\/31\/6$/);
    // The other NICs are not the default route's.
    assert.equal((await pptkit(["reserve", "--dry-run", "3/0/0", "--snapshot", snap])).code, 0);
    // Without the capture, pptkit does not guess.
    await Deno.remove(`${snap}/netstat.txt`);
    assert.equal((await pptkit(["reserve", "--dry-run", "0/31/6", "--snapshot", snap])).code, 0);
  }),
);

Deno.test(
  "#15.2 reserve says when the host has no IOMMU, and still exits 0 once written",
  inScratch(async (dir) => {
    const snap = await host(dir, { "acpidump.txt": "  FACP: Length=276, Revision=6\n" });
    const r = await pptkit(["reserve", "3/0/0", "--snapshot", snap]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no-iommu: no DMAR or IVRS table/);
    assert.match(r.stdout, /^reserved 3\/0\/0 in \/boot\/loader.conf/m);
  }),
);

Deno.test(
  "#15.2 an SR-IOV PF with VFs configured is refused; a VF gets the iovctl note",
  inScratch(async (dir) => {
    const snap = `${dir}/sriov`;
    await Deno.mkdir(`${snap}/root/boot`, { recursive: true });
    await Deno.copyFile(`${SRIOV}/pciconf.txt`, `${snap}/pciconf.txt`);
    await Deno.writeTextFile(`${snap}/${LOADER}`, 'vmm_load="YES"\n');
    const pf = await pptkit(["reserve", "6/0/0", "--snapshot", snap]);
    assertOneLineError(pf, 65, /6\/0\/0 is an SR-IOV physical function with 4 virtual functions/);
    assert.match(hintOf(pf), /iovctl -D -d ix0, then: pptkit reserve --allow sriov-pf 6\/0\/0$/);
    const vf = await pptkit(["reserve", "6/0/128", "--snapshot", snap]);
    assert.equal(vf.code, 0, vf.stderr);
    assert.match(vf.stderr, /sriov-vf: 6\/0\/128 is an SR-IOV virtual function of 6\/0\/0 \(ix0\)/);
    assert.match(vf.stderr, /passthrough : true in its VF section of ix0's iovctl.conf\(5\)/);
    const allowed = await pptkit([
      "reserve",
      "--dry-run",
      "--allow",
      "sriov-pf",
      "6/0/0",
      "--snapshot",
      snap,
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
  }),
);

Deno.test(
  "#15.2 an arm64 host: check says why, reserve refuses, hook prestart vetoes",
  inScratch(async (dir) => {
    const snap = `${dir}/arm64`;
    await Deno.mkdir(`${snap}/root/boot`, { recursive: true });
    await Deno.copyFile(`${ARM64}/pciconf.txt`, `${snap}/pciconf.txt`);
    await Deno.writeTextFile(`${snap}/uname.txt`, "14.0-CURRENT arm64\n");
    await Deno.writeTextFile(`${snap}/${LOADER}`, "");
    const check = await pptkit(["check", "--snapshot", snap]);
    assert.equal(check.code, 1);
    assert.match(check.stdout, /error +arch-unsupported: this host is arm64: ppt\(4\) and bhyve/);
    const r = await pptkit(["reserve", "1/0/0", "--snapshot", snap]);
    assertOneLineError(r, 65, /cannot reserve: this host is arm64/);
    assert.match(hintOf(r), /pptkit reserve --allow arch-unsupported 1\/0\/0$/);
    const hook = await pptkit([
      "hook",
      "prestart",
      "--devices",
      "1/0/0",
      "vm1",
      "--snapshot",
      snap,
    ]);
    assertOneLineError(hook, 1, /VM vm1 cannot start: this host is arm64/);
  }),
);

// 3. No dead-end hints.

Deno.test(
  "#15.3 hook prestart for a bridge names the bridge first and hints no reserve",
  inScratch(async (dir) => {
    const snap = await host(dir, {
      [`${VMS}/bad.jsonc`]: '{ "passthru": ["0/1/0", "0/31/2", "3/0/0"] }\n',
    });
    const r = await pptkit(["hook", "prestart", "bad", "--snapshot", snap]);
    assertOneLineError(
      r,
      1,
      /^pptkit: VM bad cannot start: 0\/1\/0 is a PCI-PCI bridge: .* \(and 2 more: no-msi, not-on-ppt\)$/,
    );
    assert.equal(hintOf(r), "pass the devices behind the bridge instead");
    // plan still prints the arguments, never silently.
    const plan = await pptkit(["plan", "bad", "--snapshot", snap]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(
      plan.stderr,
      /^pptkit: warning: VM bad cannot start with these devices: 3 errors \(not-endpoint, no-msi, not-on-ppt\)$/m,
    );
    assert.match(plan.stderr, /^hint: see why with: pptkit check --vm bad$/m);
  }),
);

Deno.test(
  "#15.3 not-on-ppt hints carry the --allow reserve needs, and --now only with vmm.ko",
  inScratch(async (dir) => {
    const snap = await host(dir, { [`${VMS}/disk.jsonc`]: '{ "passthru": ["0/23/0"] }\n' });
    const r = await pptkit(["hook", "prestart", "disk", "--snapshot", snap]);
    assert.equal(r.code, 1);
    assert.equal(
      hintOf(r),
      "reserve it: pptkit reserve --allow host-critical 0/23/0 (takes effect at the next " +
        "boot), or bind it now with: pptkit reserve --now --allow host-critical 0/23/0",
    );
    // The hint works: reserve with it succeeds.
    const fix = await pptkit(["reserve", "--allow", "host-critical", "0/23/0", "--snapshot", snap]);
    assert.equal(fix.code, 0, fix.stderr);
    // Without vmm.ko, --now cannot bind: no hint offers it.
    await Deno.writeTextFile(
      `${snap}/kldstat.txt`,
      "Id Refs Address Size Name\n 1 1 0x0 1 kernel\n",
    );
    const noVmm = await pptkit(["reserve", "3/0/0", "--snapshot", snap]);
    assert.equal(noVmm.code, 0, noVmm.stderr);
    assert.match(noVmm.stdout, /\nreboot to apply\n$/);
    assert.doesNotMatch(noVmm.stdout + noVmm.stderr, /--now/);
  }),
);

// 4. A GPU without its audio.

Deno.test(
  "#15.4 reserve names the other functions of the card and offers them",
  inScratch(async (dir) => {
    const snap = await gpuOnHostDrivers(dir);
    const r = await pptkit(["reserve", "1/0/0", "--snapshot", snap]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /partial-device: 1\/0\/0 shares its card with 1\/0\/1 \(hdac0\), which is not reserved/,
    );
    assert.match(r.stderr, /fix: reserve it too: pptkit reserve 1\/0\/1\n/);
    const both = await pptkit(["reserve", "1/0/1", "--snapshot", snap]);
    assert.equal(both.code, 0, both.stderr);
    assert.doesNotMatch(both.stderr, /partial-device/, "nothing left to offer");
  }),
);

Deno.test(
  "#15.4 the host-wide check shows a GPU passed without its audio",
  inScratch(async (dir) => {
    const snap = await host(dir, { [`${VMS}/half.jsonc`]: '{ "passthru": ["1/0/0"] }\n' });
    const r = await pptkit(["check", "--snapshot", snap]);
    assert.match(r.stdout, /warn +partial-device: half passes 1\/0\/0 but not 1\/0\/1/);
  }),
);

Deno.test(
  "#15.4 two running VMs cannot each take one function of one GPU",
  inScratch(async (dir) => {
    const snap = await host(dir, {
      "ps.txt": "  PID COMMAND\n 977 bhyve: gpu (bhyve)\n",
      [`${VMS}/gpu.jsonc`]: '{ "passthru": ["1/0/0"] }\n',
    });
    const r = await pptkit(["hook", "prestart", "--devices", "1/0/1", "audio", "--snapshot", snap]);
    assertOneLineError(
      r,
      1,
      /VM audio cannot start: running VM gpu holds 1\/0\/0, a function of the same card as 1\/0\/1 \(nvidia: .*\): one card's functions belong to one VM$/,
    );
    // The two ports of a NIC may go to two VMs.
    const nic = await host(`${dir}/nic`, {
      "ps.txt": "  PID COMMAND\n 977 bhyve: fw (bhyve)\n",
      [`${VMS}/fw.jsonc`]: '{ "passthru": ["3/0/0"] }\n',
      "pciconf.txt": (await Deno.readTextFile(`${DEMO}/pciconf.txt`))
        .replace("igb1@pci0:3:0:1:", "ppt2@pci0:3:0:1:"),
    });
    const port = await pptkit(["hook", "prestart", "--devices", "3/0/1", "lan", "--snapshot", nic]);
    assert.equal(port.code, 0, port.stderr);
  }),
);

Deno.test(
  "#15.4 release names the VM config that still passes the device",
  inScratch(async (dir) => {
    const snap = await host(dir, { [`${VMS}/gpu.jsonc`]: '{ "passthru": ["1/0/0", "1/0/1"] }\n' });
    const r = await pptkit(["release", "1/0/0", "--snapshot", snap]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /warn +still-used: VM gpu still passes 1\/0\/0 \(native \/usr\/local\/etc\/pptkit\/vms\/gpu\.jsonc\)/,
    );
    const json = JSON.parse(
      (await pptkit(["release", "--json", "1/0/1", "--snapshot", snap])).stdout,
    );
    assert.deepEqual(json.findings.map((f: { code: string; vm: string }) => [f.code, f.vm]), [
      ["still-used", "gpu"],
    ]);
  }),
);

// 5. Suggestions only for the same device, with small edits; fixes that keep every device.

Deno.test(
  "#15.5 a VM config's pci2:1:0:0 gets no did-you-mean for a device of domain 0",
  inScratch(async (dir) => {
    const snap = await host(dir, { [`${VMS}/far.jsonc`]: '{ "passthru": ["pci2:1:0:0"] }\n' });
    const r = await pptkit(["check", "--json", "--snapshot", snap]);
    const f = JSON.parse(r.stdout).host.findings.find((x: { code: string }) =>
      x.code === "vm-config"
    );
    assert.match(f.message, /bad PCI address "pci2:1:0:0"/);
    assert.doesNotMatch(f.fix, /did you mean/);
    assert.match(f.fix, /PCI domain 2/);
    // The same device spelled as a selector still gets its B/S/F.
    await Deno.writeTextFile(`${snap}/${VMS}/far.jsonc`, '{ "passthru": ["pci0:1:0:0"] }\n');
    const same = JSON.parse((await pptkit(["check", "--json", "--snapshot", snap])).stdout);
    const g = same.host.findings.find((x: { code: string }) => x.code === "vm-config");
    assert.match(g.fix, /did you mean 1\/0\/0\?/);
  }),
);

Deno.test(
  '#15.5 pptdevs="1/0/0,1/0/1": the fix keeps both devices',
  inScratch(async (dir) => {
    const snap = await host(dir, { [LOADER]: 'pptdevs="1/0/0,1/0/1"\nvmm_load="YES"\n' });
    const r = await pptkit(["check", "--snapshot", snap]);
    assert.match(
      r.stdout,
      /pptdevs-syntax: .*a comma is not a separator: the kernel reserves 1\/0\/0 and never sees 1\/0\/1/,
    );
    assert.match(r.stdout, /fix: separate devices with single spaces: "1\/0\/0 1\/0\/1"/);
  }),
);

Deno.test(
  "#15.5 after release, the reboot-pending fix is release --now with the real address",
  inScratch(async (dir) => {
    const snap = await host(dir);
    assert.equal((await pptkit(["release", "1/0/1", "--snapshot", snap])).code, 0);
    const r = await pptkit(["check", "--snapshot", snap]);
    assert.match(
      r.stdout,
      /reboot-pending: .*after a reboot 1\/0\/1 go back to their host drivers/,
    );
    assert.match(r.stdout, /fix: reboot to apply, or apply it now: pptkit release --now 1\/0\/1\n/);
    assert.doesNotMatch(r.stdout, /ADDR/);
  }),
);

Deno.test(
  "#15.5 vmm_laod, PPTDEVS= and ppt_devs= get a did-you-mean",
  inScratch(async (dir) => {
    const snap = await host(dir, {
      [LOADER]: 'vmm_laod="YES"\nPPTDEVS="3/0/0"\nppt_devs="3/0/1"\n',
    });
    const r = await pptkit(["check", "--snapshot", snap]);
    assert.match(
      r.stdout,
      /loader-conf-typo: \/boot\/loader.conf:1: vmm_laod is not a variable .*\(did you mean vmm_load\?\)/,
    );
    assert.match(
      r.stdout,
      /loader-conf-typo: \/boot\/loader.conf:2: PPTDEVS .*\(did you mean pptdevs\?\)/,
    );
    assert.match(
      r.stdout,
      /fix: remove the line and reserve the devices: pptkit reserve 3\/0\/0\n/,
    );
    assert.match(
      r.stdout,
      /loader-conf-typo: \/boot\/loader.conf:3: ppt_devs .*\(did you mean pptdevs\?\)/,
    );
  }),
);

Deno.test(
  '#15.5 a misspelled "pasthru" vetoes the start instead of a VM without devices',
  inScratch(async (dir) => {
    const snap = await host(dir, { [`${VMS}/typo.jsonc`]: '{ "pasthru": ["1/0/0"] }\n' });
    const r = await pptkit(["hook", "prestart", "typo", "--snapshot", snap]);
    assertOneLineError(
      r,
      78,
      /unknown key "pasthru" \(did you mean "passthru"\?\): the VM would start without its devices/,
    );
    assert.equal(hintOf(r), 'rename it to "passthru"');
  }),
);

Deno.test(
  "#15.5 a misspelled passthru key of Hoster or vm-bhyve vetoes the start too (65)",
  inScratch(async (dir) => {
    const snap = await host(dir, {
      "root/opt/hoster-core/config_files/host_config.json":
        '{ "active_datasets": ["zroot/vm-encrypted"] }\n',
      "root/zroot/vm-encrypted/typo/vm_config.json": '{\n  "pasthru": ["1/0/0"]\n}\n',
      "root/etc/rc.conf": 'vm_enable="YES"\nvm_dir="/vm"\n',
      "root/vm/vtypo/vtypo.conf": 'loader="uefi"\npasthru0="1/0/0"\n',
    });
    const cases = [
      ["typo", 'vm_config\\.json:2: unknown key "pasthru" \\(did you mean "passthru"', "passthru"],
      ["vtypo", 'vtypo\\.conf:2: unknown key "pasthru0" \\(did you mean "passthru0"', "passthru0"],
    ];
    for (const [vm, says, meant] of cases) {
      const r = await pptkit(["hook", "prestart", vm, "--snapshot", snap]);
      assertOneLineError(
        r,
        65,
        new RegExp(`${says}\\?\\): the VM would start without its devices`),
      );
      assert.equal(hintOf(r), `rename it to "${meant}"`);
    }
  }),
);

// 6. loader.conf edge cases.

Deno.test(
  '#15.6 release removes an emptied pptdevs with its duplicate lines, never pptdevs=""',
  inScratch(async (dir) => {
    const snap = await host(dir, {
      [LOADER]: 'pptdevs="1/0/0"\nvmm_load="YES"\npptdevs="1/0/1"\n',
    });
    const r = await pptkit(["release", "1/0/1", "--snapshot", snap]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await Deno.readTextFile(`${snap}/${LOADER}`), 'vmm_load="YES"\n');
  }),
);

Deno.test(
  "#15.6 a reserve that wrote the file exits 0 despite an unrelated broken line",
  inScratch(async (dir) => {
    const snap = await host(dir, {
      [LOADER]: 'pptdevs="1/0/0 1/0/1"\npptdevs3="0x10/0/0"\nvmm_load="YES"\n',
    });
    const r = await pptkit(["reserve", "3/0/0", "--snapshot", snap]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /error +pptdevs-syntax: .*pptdevs3 token "0x10\/0\/0" is hexadecimal/);
    assert.match(
      await Deno.readTextFile(`${snap}/${LOADER}`),
      /^pptdevs="1\/0\/0 1\/0\/1 3\/0\/0"$/m,
    );
  }),
);

Deno.test(
  "#15.6 backups keep the original: .bak is the previous file, the history every one",
  inScratch(async (dir) => {
    const snap = await host(dir);
    const original = await Deno.readTextFile(`${snap}/${LOADER}`);
    const first = await pptkit(["reserve", "3/0/0", "--snapshot", snap]);
    const second = await pptkit(["reserve", "3/0/1", "--snapshot", snap]);
    assert.equal(second.code, 0, second.stderr);
    const afterFirst = original.replace('"1/0/0 1/0/1"', '"1/0/0 1/0/1 3/0/0"');
    assert.equal(await Deno.readTextFile(`${snap}/${LOADER}.bak`), afterFirst);
    const dirOf = `${snap}/root/var/db/pptkit/backups/boot`;
    const copies = [...Deno.readDirSync(dirOf)].map((e) => e.name).sort();
    assert.equal(copies.length, 2, copies.join(" "));
    assert.equal(await Deno.readTextFile(`${dirOf}/${copies[0]}`), original, "the original");
    assert.equal(await Deno.readTextFile(`${dirOf}/${copies[1]}`), afterFirst);
    assert.match(
      first.stdout,
      /previous file kept as \/boot\/loader.conf.bak and \/var\/db\/pptkit\/backups\/boot\/loader\.conf\.pptkit-\d{8}-\d{6}(-\d+)?\n/,
    );
  }),
);

Deno.test(
  "#15.6 a new drop-in claims no backup",
  inScratch(async (dir) => {
    const snap = await host(dir, { "root/boot/loader.conf.d/.keep": "" });
    const r = await pptkit([
      "reserve",
      "3/0/0",
      "--loader-conf",
      "/boot/loader.conf.d/ppt.conf",
      "--snapshot",
      snap,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^reserved 3\/0\/0 in \/boot\/loader.conf.d\/ppt.conf\n/m);
    assert.doesNotMatch(r.stdout, /kept/);
  }),
);

// 8. Status and JSON.

Deno.test(
  "#15.8 Status leads with the state that matters: running before conflict",
  inScratch(async (dir) => {
    const snap = await host(dir, {
      "ps.txt": "  PID COMMAND\n 977 bhyve: gpu (bhyve)\n",
      [`${VMS}/gpu.jsonc`]: '{ "passthru": ["1/0/0", "1/0/1"] }\n',
      [`${VMS}/spare.jsonc`]: '{ "passthru": ["1/0/0"] }\n',
    });
    const doc = JSON.parse((await pptkit(["list", "--json", "--snapshot", snap])).stdout);
    const gpu = doc.devices.find((d: { bsf: string }) => d.bsf === "1/0/0");
    assert.equal(gpu.statusText, "Running in: gpu; conflict: spare");
    assert.equal(gpu.status, "conflict");
    const show = await pptkit(["show", "1/0/0", "--snapshot", snap]);
    assert.match(show.stdout, /^status +Running in: gpu; conflict: spare$/m);
    // show and the JSON name the config file the device comes from.
    assert.match(
      show.stdout,
      /^used by +gpu \(native \/usr\/local\/etc\/pptkit\/vms\/gpu\.jsonc, running\), spare /m,
    );
    assert.deepEqual(gpu.usedBy[0], {
      vm: "gpu",
      source: "native",
      running: true,
      file: "/usr/local/etc/pptkit/vms/gpu.jsonc",
    });
  }),
);

Deno.test(
  "#15.8 -q prints no diff; --version --json is JSON; parse resolves a name in a snapshot",
  inScratch(async (dir) => {
    const snap = await host(dir);
    const q = await pptkit(["reserve", "-q", "3/0/0", "--snapshot", snap]);
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stdout, "");
    assert.match(await Deno.readTextFile(`${snap}/${LOADER}`), /3\/0\/0/);
    const v = JSON.parse((await pptkit(["--version", "--json"])).stdout);
    assert.equal(v.schema, "pptkit.version/1");
    assert.match(v.version, /^\d+\.\d+\.\d+$/);
    const p = JSON.parse((await pptkit(["parse", "ppt0", "--json", "--snapshot", snap])).stdout);
    assert.equal(p.addresses[0].bsf, "1/0/0");
    assert.equal(p.addresses[0].selector, "pci0:1:0:0");
  }),
);

Deno.test(
  "#15.8 a refusal with --json is a pptkit.error/1 document with the risks",
  inScratch(async (dir) => {
    const snap = await host(dir);
    const r = await pptkit(["reserve", "--json", "0/31/2", "--snapshot", snap]);
    assert.equal(r.code, 65);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.schema, "pptkit.error/1");
    assert.match(doc.hint, /--allow no-msi 0\/31\/2$/);
    assert.deepEqual(doc.findings.map((f: { code: string }) => f.code), ["no-msi"]);
  }),
);

// Issue #17, point 7: two loader files disagree.

Deno.test(
  "#17.7 reserve writes where pptdevs lives, so reserve, show and a rerun agree",
  inScratch(async (dir) => {
    const snap = await host(dir, { "root/boot/loader.conf.d/.keep": "" });
    const dropIn = "/boot/loader.conf.d/ppt.conf";
    assert.equal(
      (await pptkit(["reserve", "--loader-conf", dropIn, "3/0/1", "--snapshot", snap])).code,
      0,
    );
    const r = await pptkit(["reserve", "3/0/0", "--snapshot", snap]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^reserved 3\/0\/0 in \/boot\/loader.conf.d\/ppt.conf/m);
    const show = await pptkit(["show", "3/0/0", "--snapshot", snap]);
    assert.match(
      show.stdout,
      /^reserved +next boot \(\/boot\/loader.conf.d\/ppt.conf:1 pptdevs\)$/m,
    );
    const again = await pptkit(["reserve", "3/0/0", "--snapshot", snap]);
    assert.match(
      again.stdout,
      /^nothing to do: 3\/0\/0 already reserved in \/boot\/loader.conf.d\/ppt.conf$/m,
    );
    // Naming the file the drop-in overrides is refused, with the file that wins.
    const before = await Deno.readTextFile(`${snap}/${LOADER}`);
    const wrong = await pptkit([
      "reserve",
      "--loader-conf",
      "/boot/loader.conf",
      "0/20/0",
      "--snapshot",
      snap,
    ]);
    assertOneLineError(
      wrong,
      65,
      /cannot reserve in \/boot\/loader.conf: \/boot\/loader.conf.d\/ppt.conf sets pptdevs \(line 1\) and the loader reads it later/,
    );
    assert.equal(
      hintOf(wrong),
      `edit that file instead: pptkit reserve --loader-conf ${dropIn} 0/20/0`,
    );
    assert.equal(await Deno.readTextFile(`${snap}/${LOADER}`), before, "nothing written");
  }),
);

Deno.test(
  "#17.7 the load order decides: loader.conf.local is read last on 14.1, before the drop-ins on 14.0",
  inScratch(async (dir) => {
    for (
      const [release, home] of [["14.1-RELEASE", "/boot/loader.conf.local"], [
        "14.0-RELEASE",
        "/boot/loader.conf.d/ppt.conf",
      ]]
    ) {
      const snap = await host(`${dir}/${release}`, {
        "uname.txt": `${release} amd64\n`,
        "root/boot/loader.conf.local": 'pptdevs="1/0/0"\n',
        "root/boot/loader.conf.d/ppt.conf": 'pptdevs="1/0/1"\n',
      });
      const r = await pptkit(["reserve", "3/0/0", "--snapshot", snap]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^reserved 3/0/0 in ${home}`, "m"), release);
      const list = JSON.parse((await pptkit(["list", "--json", "--snapshot", snap])).stdout);
      const nic = list.devices.find((d: { bsf: string }) => d.bsf === "3/0/0");
      assert.equal(nic.reserved.inLoaderConf, true, release);
      assert.equal(nic.reserved.where, `${home}:1 pptdevs`, release);
    }
  }),
);

// Issue #17, point 12: a BOM is kept; a symlinked loader.conf names its target.

Deno.test(
  "#17.12 a UTF-8 BOM is kept byte for byte, in the file and its copies",
  inScratch(async (dir) => {
    const snap = await host(dir);
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    const body = new TextEncoder().encode('# pptkit\nvmm_load="YES"\n');
    await Deno.writeFile(`${snap}/${LOADER}`, new Uint8Array([...bom, ...body]));
    const r = await pptkit(["reserve", "3/0/0", "--snapshot", snap]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /^-(?!--)/m, "the diff removes nothing");
    const bytes = await Deno.readFile(`${snap}/${LOADER}`);
    assert.deepEqual([...bytes.slice(0, 3)], [...bom], "the BOM stays first");
    assert.equal(
      new TextDecoder().decode(bytes.slice(3)),
      '# pptkit\npptdevs="3/0/0"\nvmm_load="YES"\n',
    );
    assert.deepEqual(
      await Deno.readFile(`${snap}/${LOADER}.bak`),
      new Uint8Array([...bom, ...body]),
    );
    // A snapshot of this host copies it byte for byte too.
    assert.equal((await pptkit(["snapshot", `${dir}/copy`, "--snapshot", snap])).code, 0);
    assert.deepEqual(await Deno.readFile(`${dir}/copy/${LOADER}`), bytes);
    // A BOM in front of an assignment: the loader rejects that line, and pptkit says so.
    await Deno.writeFile(
      `${snap}/${LOADER}`,
      new Uint8Array([...bom, ...new TextEncoder().encode('pptdevs="1/0/0"\nvmm_load="YES"\n')]),
    );
    const check = await pptkit(["check", "--snapshot", snap]);
    assert.match(
      check.stdout,
      /pptdevs-syntax: \/boot\/loader.conf:1: the loader rejects this pptdevs line \(a UTF-8 byte order mark starts the line\)/,
    );
    assert.match(check.stdout, /fix: save the file without the byte order mark/);
  }),
);

Deno.test(
  "#17.12 a symlinked loader.conf is refused (73) with a hint naming its target",
  inScratch(async (dir) => {
    const snap = await host(dir);
    await Deno.rename(`${snap}/${LOADER}`, `${snap}/root/boot/loader.conf.real`);
    await Deno.symlink("loader.conf.real", `${snap}/${LOADER}`);
    const before = await Deno.readTextFile(`${snap}/root/boot/loader.conf.real`);
    const r = await pptkit(["reserve", "3/0/0", "--snapshot", snap]);
    assertOneLineError(
      r,
      73,
      /cannot write \/boot\/loader.conf: it is a symbolic link to loader.conf.real/,
    );
    const hint = hintOf(r);
    assert.equal(
      hint,
      "edit the file it points to: pptkit reserve --loader-conf /boot/loader.conf.real 3/0/0",
    );
    assert.equal(await Deno.readTextFile(`${snap}/root/boot/loader.conf.real`), before);
    assert.ok((await Deno.lstat(`${snap}/${LOADER}`)).isSymlink, "the link stays a link");
    // The hint works, and the loader reads that file through the link: no "not read" warning.
    const fix = await pptkit([
      ...hint.slice(hint.indexOf("pptkit ") + 7).split(" "),
      "--snapshot",
      snap,
    ]);
    assert.equal(fix.code, 0, fix.stderr);
    assert.doesNotMatch(fix.stderr, /does not read/);
    assert.match(await Deno.readTextFile(`${snap}/root/boot/loader.conf.real`), /3\/0\/0/);
  }),
);
