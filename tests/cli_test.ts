/**
 * End-to-end tests of the shipped CLI: dist/pptkit (launcher) running dist/pptkit.js (bundle)
 * on snapshot directories. `deno task test` builds the bundle first.
 */
import assert from "node:assert/strict";
import {
  copyDir,
  DEMO,
  errorLines,
  FIXTURES,
  LAUNCHER,
  pptkit,
  type RunResult,
  SAMPLES,
  scratch,
  snapshotWith,
} from "./helpers.ts";

const SAMPLE_DIRS = [...Deno.readDirSync(SAMPLES)].filter((e) => e.isDirectory).map((e) => e.name)
  .sort();

/** The documented error contract: one `pptkit:` line, maybe a `hint:`, no trace, the code. */
function assertError(r: RunResult, code: number, pattern: RegExp) {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = errorLines(r.stderr);
  assert.ok(lines.length >= 1 && lines.length <= 2, `one or two lines: ${r.stderr}`);
  assert.ok(lines[0].startsWith("pptkit: "), lines[0]);
  assert.match(lines[0], pattern);
  if (lines.length === 2) assert.ok(lines[1].startsWith("hint: "), lines[1]);
  assert.ok(!/\bat .*:\d+:\d+/.test(r.stderr), "no stack trace");
  assert.equal(r.stdout, "");
}

for (const name of SAMPLE_DIRS) {
  Deno.test(`list --all --json is exact on sample ${name}`, async () => {
    const r = await pptkit(["list", "--all", "--json", "--snapshot", `${SAMPLES}/${name}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const expected = JSON.parse(
      await Deno.readTextFile(`${SAMPLES}/${name}/expected-list-all.json`),
    );
    assert.deepEqual(JSON.parse(r.stdout), expected);
  });
}

Deno.test("list --all --json is exact on the demo host", async () => {
  const r = await pptkit(["list", "--all", "--json", "--snapshot", DEMO]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc, JSON.parse(await Deno.readTextFile(`${DEMO}/expected-list-all.json`)));
  assert.equal(doc.schema, "pptkit.inventory/1");
  assert.equal(doc.host.iommu, "vt-d");
  const gpu = doc.devices.find((d: { bsf: string }) => d.bsf === "1/0/0");
  assert.equal(gpu.name, "ppt0");
  assert.equal(gpu.vendorId, "10de");
  assert.equal(gpu.model, "GP107GL [Quadro P600]");
  assert.deepEqual(gpu.msi, { messages: 1, bits64: true, enabled: 0 });
  assert.equal(gpu.status, "in-use");
  assert.equal(gpu.statusText, "In use by: test-vm-1");
  assert.deepEqual(gpu.usedBy, [{
    vm: "test-vm-1",
    source: "hoster",
    running: false,
    file: "/zroot/vm-encrypted/test-vm-1/vm_config.json",
  }]);
  assert.equal(gpu.eligible, true);
});

Deno.test("list prints the guide's table for the demo host (Hoster VM test-vm-1)", async () => {
  const r = await pptkit(["list", "--snapshot", DEMO]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[1], /^│\s+Bhyve Passthru Devices\s+│$/);
  assert.match(
    lines[3],
    /│ PPT Device │ PCI ID Raw {2}│\s+Type\s+│ Bhyve PCI ID │\s+Vendor\s+│\s+Model\s+│\s+Status\s+│/,
  );
  assert.match(
    lines[5],
    /│ ppt0 +│ pci0:1:0:0: │ display\/VGA +│ 1\/0\/0 +│ NVIDIA Corporation │ GP107GL Quadro P600 +│ In use by: test-vm-1 │/,
  );
  assert.match(lines[7], /│ ppt1 +│ pci0:1:0:1: │ multimedia\/HDA │ 1\/0\/1 +│/);
  assert.equal(lines.length, 9);
  assert.ok(!r.stdout.includes("\x1b["), "no colour when stdout is not a terminal");
});

Deno.test("list --all adds every device and the Eligible column", async () => {
  const r = await pptkit(["--snapshot", DEMO, "list", "--all"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /│ Eligible │/);
  assert.match(r.stdout, /│ none0 +│ pci0:0:31:2: │ memory +│ 0\/31\/2 .*│ Not reserved +│ no +│/);
  assert.match(r.stdout, /│ pcib1 +│ pci0:0:1:0: +│ bridge\/PCI-PCI .*│ no +│/);
  assert.match(r.stdout, /│ igb1 +│ pci0:3:0:1: .*│ yes +│/);
});

Deno.test("list on a host without ppt devices says so on stderr and exits 0", async () => {
  const r = await pptkit([
    "list",
    "--snapshot",
    `${SAMPLES}/pciconf-lv-excerpt-igc-i226v-4nic-cloudatlas`,
  ]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^pptkit: no device is attached to ppt\(4\)/);
});

Deno.test("global options work before and after the command", async () => {
  const a = await pptkit(["--json", "--snapshot", DEMO, "list"]);
  const b = await pptkit(["list", "--snapshot", DEMO, "--json"]);
  const c = await pptkit(["--snapshot=" + DEMO, "list", "--json"]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.equal(a.stdout, c.stdout);
  assert.equal(JSON.parse(a.stdout).devices.length, 2);
});

Deno.test("show ADDR prints one device in any spelling", async () => {
  for (const addr of ["1/0/0", "pci0:1:0:0", "ppt0", "ppt0@pci0:1:0:0:"]) {
    const r = await pptkit(["show", addr, "--snapshot", DEMO]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^device\s+ppt0 at pci0:1:0:0: \(bhyve: 1\/0\/0\)$/m);
    assert.match(r.stdout, /^MSI\s+1 message, 64 bit$/m);
    assert.match(r.stdout, /^reserved\s+next boot \(\/boot\/loader.conf:1 pptdevs\)$/m);
    assert.match(r.stdout, /^same slot\s+1\/0\/1 ppt1 multimedia\/HDA$/m);
    assert.match(r.stdout, /no-flr: 1\/0\/0 has no function level reset/);
  }
  const j = await pptkit(["show", "1/0/1", "--json", "--snapshot", DEMO]);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.schema, "pptkit.device/1");
  assert.equal(doc.device.subclass, "HDA");
  assert.deepEqual(doc.siblings, [{ selector: "pci0:1:0:0", bsf: "1/0/0", name: "ppt0" }]);
});

Deno.test("check on the demo host passes (exit 0) and lists warnings with fixes", async () => {
  const r = await pptkit(["check", "--snapshot", DEMO]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /IOMMU vt-d, vmm from loader.conf yes/);
  assert.match(r.stdout, /^1\/0\/0 ppt0 \(In use by: test-vm-1\): ok$/m);
  assert.match(r.stdout, /fix: acceptable for one long-lived guest/);
  assert.match(r.stdout, /2 devices checked: 0 errors, 2 warnings/);
});

Deno.test("check exits 1 on an error-level finding, with its fix; --json says ok false", async () => {
  const r = await pptkit(["check", "0/31/2", "0/1/0", "--snapshot", DEMO]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /0\/31\/2 none0 \(Not reserved\): not eligible/);
  assert.match(r.stdout, /error {2}no-msi: 0\/31\/2 has neither MSI nor MSI-X/);
  assert.match(r.stdout, /error {2}not-endpoint: 0\/1\/0 is a PCI-PCI bridge/);
  const j = await pptkit(["check", "0/31/2", "--json", "--snapshot", DEMO]);
  assert.equal(j.code, 1);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.schema, "pptkit.check/1");
  assert.equal(doc.ok, false);
  assert.equal(doc.devices[0].findings[0].code, "no-msi");
});

Deno.test("check reports no-iommu and iommu-unknown from the snapshot's acpidump", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const pciconf = await Deno.readTextFile(`${DEMO}/pciconf.txt`);
    await snapshotWith(dir, {
      "pciconf.txt": pciconf,
      "acpidump.txt": "  FACP: Length=276, Revision=6, Checksum=174,\n",
    });
    const r = await pptkit(["check", "--snapshot", dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /error {2}no-iommu: no DMAR or IVRS table/);
    await Deno.remove(`${dir}/acpidump.txt`);
    const u = await pptkit(["check", "--snapshot", dir, "--json"]);
    const doc = JSON.parse(u.stdout);
    assert.ok(doc.host.findings.some((f: { code: string }) => f.code === "iommu-unknown"));
  } finally {
    await cleanup();
  }
});

Deno.test("parse converts every spelling (the guide's vgapci0@pci0:0:2:0: -> 0/2/0)", async () => {
  const r = await pptkit(["parse", "vgapci0@pci0:0:2:0:", "-1/0/1", "1/0/0=6:0", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schema, "pptkit.parse/1");
  assert.deepEqual(doc.addresses.map((a: { bsf: string }) => a.bsf), ["0/2/0", "1/0/1", "1/0/0"]);
  assert.equal(doc.addresses[1].split, true);
  assert.deepEqual(doc.addresses[2].pin, { slot: 6, function: 0 });
  const t = await pptkit(["parse"], { stdin: "pci0:3:0:1\nppt0@pci0:6:0:130:\n" });
  assert.match(t.stdout, /^pci0:3:0:1 +pci0:3:0:1 +3\/0\/1/m);
  assert.match(t.stdout, /^ppt0@pci0:6:0:130: +pci0:6:0:130 +6\/0\/130 +ppt0/m);
});

Deno.test("snapshot DIR captures a host that --snapshot reads back", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const r = await pptkit(["snapshot", `${dir}/copy`, "--snapshot", DEMO]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /written to .*copy: 6 captures, 3 host files/);
    assert.ok(
      (await Deno.stat(`${dir}/copy/root/zroot/vm-encrypted/test-vm-1/vm_config.json`)).isFile,
      "the Hoster VM config is in the snapshot",
    );
    assert.equal(
      await Deno.readTextFile(`${dir}/copy/pciconf.txt`),
      await Deno.readTextFile(`${DEMO}/pciconf.txt`),
    );
    assert.equal(
      await Deno.readTextFile(`${dir}/copy/root/boot/loader.conf`),
      await Deno.readTextFile(`${DEMO}/root/boot/loader.conf`),
    );
    const a = await pptkit(["list", "--all", "--json", "--snapshot", DEMO]);
    const b = await pptkit(["list", "--all", "--json", "--snapshot", `${dir}/copy`]);
    const strip = (s: string) => s.replaceAll(`${dir}/copy`, "X").replaceAll(DEMO, "X");
    assert.equal(strip(b.stdout), strip(a.stdout));
    const again = await pptkit(["snapshot", `${dir}/copy`, "--snapshot", DEMO]);
    assertError(again, 73, /snapshot directory .* already exists/);
  } finally {
    await cleanup();
  }
});

Deno.test("--help, help CMD and --version print to stdout and exit 0", async () => {
  const h = await pptkit(["--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^usage: pptkit \[global options\] command/);
  for (const cmd of ["list", "show", "check", "parse", "snapshot"]) {
    assert.match(h.stdout, new RegExp(`^  ${cmd} `, "m"));
  }
  const l = await pptkit(["help", "list"]);
  const m = await pptkit(["list", "--help"]);
  assert.equal(l.stdout, m.stdout);
  assert.match(l.stdout, /^usage: pptkit list \[--all\] \[--wide \| --plain\] \[--json\]/);
  assert.match(l.stdout, /--all +every PCI device/);
  const v = await pptkit(["--version"]);
  assert.match(v.stdout, /^pptkit \d+\.\d+\.\d+\n$/);
});

Deno.test("usage errors: unknown command, unknown option, missing value, extra argument (64)", async () => {
  assertError(await pptkit(["lsit"]), 64, /^pptkit: unknown command "lsit"$/);
  assert.match((await pptkit(["lsit"])).stderr, /hint: did you mean "list"\?/);
  assertError(await pptkit(["list", "--alll"]), 64, /unknown option --alll for list/);
  assert.match((await pptkit(["list", "--alll"])).stderr, /did you mean --all\?/);
  assertError(await pptkit(["list", "--snapshot"]), 64, /option --snapshot needs a value/);
  assertError(await pptkit(["show", "--snapshot", DEMO]), 64, /show: missing argument/);
  assertError(
    await pptkit(["list", "extra", "--snapshot", DEMO]),
    64,
    /unexpected argument "extra"/,
  );
  assertError(await pptkit([]), 64, /no command given/);
  assertError(
    await pptkit(["list", "--snapshot", DEMO, "--root", "/"]),
    64,
    /cannot be used together/,
  );
});

Deno.test("bad addresses: one line naming the token, with the hint (65)", async () => {
  const a = await pptkit(["show", "2/0//0", "--snapshot", DEMO]);
  assertError(a, 65, /^pptkit: bad PCI address "2\/0\/\/0": expected B\/S\/F like 2\/0\/0/);
  const b = await pptkit(["parse", "129:0:0"]);
  assertError(b, 65, /bad PCI address "129:0:0"/);
  assert.match(b.stderr, /hint: use \/ not :/);
  assertError(await pptkit(["show", "1/99/0", "--snapshot", DEMO]), 65, /slot 99 is out of range/);
  assertError(await pptkit(["show", "7/0/0", "--snapshot", DEMO]), 65, /no PCI device at 7\/0\/0/);
});

Deno.test("bad snapshots: missing dir (66), no pciconf.txt (66), empty, binary, junk (65)", async () => {
  assertError(await pptkit(["list", "--snapshot", "/nonexistent/x"]), 66, /not found/);
  const [dir, cleanup] = await scratch();
  try {
    assertError(await pptkit(["list", "--snapshot", dir]), 66, /has no pciconf.txt/);
    await snapshotWith(dir, { "pciconf.txt": "" });
    assertError(await pptkit(["list", "--snapshot", dir]), 65, /no PCI device found in snapshot/);
    await snapshotWith(dir, { "pciconf.txt": new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]) });
    assertError(await pptkit(["list", "--snapshot", dir]), 65, /is binary, not pciconf text/);
    await snapshotWith(dir, { "pciconf.txt": "x".repeat(200_000) + "\n" });
    assertError(await pptkit(["list", "--snapshot", dir]), 65, /no PCI device found/);
    await snapshotWith(dir, { "pciconf.txt": "ppt0@pci0:1:0:0:\n" });
    assertError(await pptkit(["list", "--snapshot", dir]), 65, /line 1: no fields after/);
    await snapshotWith(dir, {
      "pciconf.txt": "ppt0@pci0:999:0:0:\tclass=0x030000 rev=0xa1 hdr=0x00 vendor=0x10de " +
        "device=0x1cb2 subvendor=0x10de subdevice=0x11bd\n",
    });
    assertError(await pptkit(["list", "--snapshot", dir]), 65, /bus 999 is out of range/);
  } finally {
    await cleanup();
  }
});

Deno.test("a live run on a non-FreeBSD machine says pciconf is missing (69)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const r = await pptkit(["list", "--root", dir], { env: { PATH: dir } });
    assertError(r, 69, /^pptkit: pciconf not found: pptkit runs on FreeBSD hosts$/);
    assert.match(r.stderr, /hint: use --snapshot DIR elsewhere/);
  } finally {
    await cleanup();
  }
});

Deno.test("list shows In use by: and Conflict: from every VM config source", async () => {
  const [dir, cleanup] = await scratch();
  try {
    // fixtures/vms: a host with native, Hoster, vm-bhyve and CBSD configs of VMs.
    const vms = `${FIXTURES}/vms`;
    await copyDir(`${vms}/native/root`, `${dir}/root`);
    await copyDir(`${vms}/hoster/root`, `${dir}/root`);
    await copyDir(`${vms}/vm-bhyve/root`, `${dir}/root`);
    await Deno.copyFile(`${vms}/pciconf.txt`, `${dir}/pciconf.txt`);
    await Deno.copyFile(`${vms}/cbsd/cbsd-ppt.txt`, `${dir}/cbsd-ppt.txt`);
    await Deno.writeTextFile(
      `${dir}/root/usr/local/etc/pptkit/pptkit.jsonc`,
      '{ "zfsMountpoints": { "tank/vm-unencrypted": "/tank/vms" } }\n',
    );
    const r = await pptkit(["list", "--json", "--snapshot", dir]);
    assert.equal(r.code, 0, r.stderr);
    const by = (bsf: string) =>
      JSON.parse(r.stdout).devices.find((d: { bsf: string }) => d.bsf === bsf);
    const users = (bsf: string) =>
      by(bsf).usedBy.map((u: { vm: string; source: string }) => `${u.vm}/${u.source}`);
    assert.equal(by("2/0/1").statusText, "In use by: win10");
    assert.deepEqual(users("2/0/1"), ["win10/vm-bhyve"]);
    // A VM names it, but it is not on ppt(4) yet: the state that matters first.
    assert.equal(by("5/0/0").statusText, "Not on ppt: sriov");
    assert.equal(by("5/0/0").status, "not-reserved");
    assert.deepEqual(users("5/0/0"), ["sriov/native"]);
    assert.equal(by("6/0/0").statusText, "Conflict: fw1, nic, split-nic");
    assert.deepEqual(users("6/0/0"), ["fw1/cbsd", "nic/vm-bhyve", "split-nic/hoster"]);
    assert.equal(by("6/0/0").status, "conflict");
    assert.ok(
      by("6/0/0").findings.some((f: { code: string }) => f.code === "conflict"),
      "a conflict finding names the VMs",
    );
    assert.match(by("1/0/0").statusText, /^Conflict: gpu, test-vm-1, test-vm-2, win10$/);
    const table = await pptkit(["list", "--snapshot", dir]);
    assert.match(table.stdout, /│ ppt3 +│ pci0:2:0:1: .*│ In use by: win10 +│/);
  } finally {
    await cleanup();
  }
});

Deno.test("plugins lists the built-in plugins and the compatibility rules with their sources", async () => {
  const r = await pptkit(["plugins", "--json", "--snapshot", DEMO]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schema, "pptkit.plugins/1");
  const names = doc.plugins.map((p: { name: string }) => p.name);
  for (const name of ["amd_gpu", "intel_nic", "nvidia", "qlogic"]) assert.ok(names.includes(name));
  assert.ok(doc.rules.length > 0);
  assert.ok(doc.rules.every((rule: { source: string }) => rule.source.length > 0), "sources");
  const table = await pptkit(["plugins", "--snapshot", DEMO]);
  assert.match(table.stdout, /│ nvidia +│ /);
  assert.match(table.stdout, /Compatibility rules/);
});

Deno.test("a reader that goes away early (pptkit list --all --json | head -1) ends pptkit quietly", async () => {
  const [dir, cleanup] = await scratch();
  try {
    // Far more than a pipe holds, so pptkit is still writing when head has gone.
    const records = Array.from(
      { length: 3000 },
      (_, i) =>
        `none${i}@pci0:${i >> 5}:${i & 31}:0:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 ` +
        "device=0x10fb subvendor=0x8086 subdevice=0x0003",
    );
    await Deno.mkdir(`${dir}/big`);
    await Deno.writeTextFile(`${dir}/big/pciconf.txt`, records.join("\n") + "\n");
    const out = await new Deno.Command("sh", {
      args: ["-c", `"$0" list --all --json --snapshot "$1" | head -n 1`, LAUNCHER, `${dir}/big`],
      env: { PPTKIT_DENO: Deno.execPath(), NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(new TextDecoder().decode(out.stdout), "{\n");
    assert.doesNotMatch(stderr, /internal error|Broken pipe/);
    assert.equal(stderr, "");
  } finally {
    await cleanup();
  }
});

Deno.test("editDistance() counts a transposition as one edit; suggest() stays within two", async () => {
  const { editDistance, nearest } = await import("../core/text.ts");
  assert.equal(editDistance("vmm_laod", "vmm_load"), 1);
  assert.equal(editDistance("pasthru", "passthru"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(nearest("lsit", ["list", "show"]), "list");
  assert.equal(nearest("plugin", ["list", "show"]), undefined);
});
