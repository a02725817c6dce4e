/**
 * `pptkit explain` (core/explain.ts, cli/explain.ts): every known bhyve / kernel message, the
 * ordered checks behind "is not using the ppt(4) driver", and the command end to end.
 */
import assert from "node:assert/strict";
import { type ExplainFacts } from "../core/explain/types.ts";
import { explainText, KNOWN_IDS } from "../core/explain/explain.ts";
import { SnapshotHost } from "../core/host/snapshot.ts";
import { loadInventory } from "../app/host_state.ts";
import { formatLockRecord, readLocks } from "../core/ownership/locks.ts";
import { runningVmsFrom } from "../core/ownership/running.ts";
import { DEMO, errorLines, pptkit, scratch, snapshotWith } from "./helpers.ts";

/** One sample line per message, as bhyve, the kernel or a wrapper log prints it. */
const SAMPLES: readonly [string, string][] = [
  ["not-ppt", "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver"],
  ["assign-failed", "vm_assign_pptdev: Device busy"],
  ["memory-not-wired", "bhyve: passthru requires guest memory to be wired"],
  ["open-dev", "bhyve: failed to open /dev/pci: Permission denied"],
  ["invalid-options", 'passthru: invalid options "1:0:0"'],
  ["missing-setting", "passthru: missing required func setting"],
  ["bad-device-name", "Invalid passthru device name ppt"],
  ["device-not-found", "Passthru device ppt7 not found"],
  ["unsupported-domain", "Passthru device mlx5_core0 on unsupported domain"],
  ["pci-getconf", "ioctl(PCIOCGETCONF): Operation not permitted"],
  ["msi-init", "bhyve: failed to initialize MSI for PCI 1/0/0"],
  ["bars-init", "bhyve: failed to initialize BARs for PCI 1/0/0"],
  ["msix-init", "failed to initialize MSI-X table for PCI 3/0/0: 22"],
  ["romfile", 'passthru_init_rom: can\'t open romfile "/vm/roms/p600.rom"'],
  ["rom-segment", "passthru_init_rom: failed to alloc rom segment"],
  ["slot-syntax", 'Invalid PCI slot info field "6:8,passthru,1/0/0"'],
  ["unknown-emulation", 'pci slot 0:6:0: unknown device "passthrough"'],
  ["slot-occupied", "pci slot 0:6:0 already occupied!"],
  ["memory-setup", "Unable to setup memory (17)"],
  [
    "amdvi-disabled",
    "bhyve: Found 1 AMD-Vi/IOMMU device(s), use hw.vmm.amdvi.enable=1 to enable pass-through.",
  ],
  ["iommu-host-domain", "iommu_init: unable to create a host domain"],
  ["vtd-caching-mode", "panic: vtd_init: invalid caching mode"],
  [
    "vtd-not-in-scope",
    "panic: vtd_add_device: device 100 is not in scope for any DMA remapping unit",
  ],
  ["vtd-already-owned", "panic: vtd_add_device: device 108 is already owned by domain 2"],
  ["kenv-too-long", 'WARNING: too long kenv string, ignoring pptdevs="1/0/0 2/0/0 ..."'],
  ["kenv-other", "WARNING: malformed static env value, ignoring pptdevs"],
];

Deno.test("explainText() knows every message of the table, each from one sample line", () => {
  assert.deepEqual(SAMPLES.map(([id]) => id).sort(), [...KNOWN_IDS].sort(), "one sample per id");
  for (const [id, line] of SAMPLES) {
    const found = explainText(`Nov 27 02:36:02: ${line}\n`, null);
    assert.equal(found.length, 1, line);
    assert.equal(found[0].id, id, line);
    assert.ok(found[0].meaning.length > 20, `${id}: says what it means`);
    assert.ok(found[0].fixes.length > 0, `${id}: says what to do`);
    assert.ok(line.includes(found[0].text) || found[0].text.includes("passthru_init_rom"), id);
  }
});

/** The other spellings each message has had, and its siblings that share an id. */
const VARIANTS: readonly [string, string][] = [
  ["not-ppt", "PCI device at 6/0/130 is not using the ppt driver"],
  ["open-dev", "bhyve: failed to open /dev/io: Operation not permitted"],
  ["open-dev", "bhyve: failed to open /dev/mem: Operation not permitted"],
  ["invalid-options", "bhyve: invalid passthru options"],
  ["bad-device-name", "Passthru device name averyveryverylongdrivername0 is too long"],
  ["pci-getconf", "error returned from PCIOCGETCONF ioctl"],
  ["bars-init", "passthru device 1/0/0 BAR 1: base 0xa1000800 or size 0x800 not page aligned"],
  ["msix-init", "bhyve: Failed to map PBA page for MSI-X on 3/0/0: Invalid argument"],
  ["romfile", 'passthru_init_rom: can\'t fstat romfile "/vm/roms/p600.rom"'],
  ["romfile", 'passthru_init_rom: romfile "/vm/roms/p600.rom" is empty'],
  ["romfile", 'passthru_init_rom: unable to mmap romfile "/vm/roms/p600.rom" (12)'],
  ["kenv-other", "WARNING: too many kenv strings, ignoring pptdevs3"],
];

Deno.test("explainText() knows every spelling and sibling of the messages", () => {
  for (const [id, line] of VARIANTS) {
    const found = explainText(line, null);
    assert.deepEqual(found.map((x) => x.id), [id], line);
  }
});

Deno.test("explainText() reads the values: device, errno, options, requester id", () => {
  const [ppt] = explainText("PCI device at 3/0/1 is not using the ppt driver", null);
  assert.equal(ppt.device, "3/0/1");
  assert.deepEqual(ppt.checks.map((c) => c.result), ["check", "check", "check"]);
  assert.match(ppt.checks[0].text, /pciconf -l pci0:3:0:1/);

  const [mem] = explainText("Unable to setup memory (12)", null);
  assert.match(mem.meaning, /ENOMEM/);
  const [mem22] = explainText("Unable to setup memory (22)", null);
  assert.match(mem22.meaning, /EINVAL/);

  const [opts] = explainText('passthru: invalid options "pci0:1:0:0"', null);
  assert.deepEqual(opts.checks.map((c) => c.fix), ["write it as B/S/F: passthru,1/0/0"]);
  const [typo] = explainText('passthru: invalid options "1:0:0"', null);
  assert.match(typo.checks[0].text, /bad PCI address "1:0:0"/);
  assert.match(typo.checks[0].fix ?? "", /use \/ not :/);

  const [slot] = explainText('Invalid PCI slot info field "6:8,passthru,1/0/0"', null);
  assert.match(slot.checks[0].text, /guest function 8 is out of range 0-7/);
  const [comma] = explainText('Invalid PCI slot info field "6:0"', null);
  assert.match(comma.checks[0].text, /has no comma/);

  const [vtd] = explainText(
    "vtd_add_device: device 108 is not in scope for any DMA remapping unit",
    null,
  );
  assert.equal(vtd.device, "1/1/0");

  const [rom] = explainText('passthru_init_rom: unable to mmap romfile "/r.rom" (12)', null);
  assert.match(rom.meaning, /"\/r\.rom"/);

  const [emul] = explainText('pci slot 0:6:0: unknown device "passthrough"', null);
  assert.match(emul.fixes[0], /spelled passthru/);

  const [kenv] = explainText('WARNING: too long kenv string, ignoring pptdevs="1/0/0"', null);
  assert.match(kenv.meaning, /none of its devices became ppt/);
});

Deno.test("explainText() folds repeats and keeps the order of a whole log", () => {
  const log = [
    "Nov 27 02:36:01: booting",
    "Nov 27 02:36:02: bhyve: PCI device at 1/0/0 is not using the ppt(4) driver",
    "Nov 27 02:36:02: bhyve exited with status 4",
    "Nov 27 02:40:00: Unable to setup memory (17)",
    "Nov 27 02:41:02: bhyve: PCI device at 1/0/0 is not using the ppt(4) driver",
    "Nov 27 02:41:02: bhyve: PCI device at 1/0/1 is not using the ppt(4) driver",
  ].join("\r\n");
  const found = explainText(log, null);
  assert.deepEqual(found.map((x) => [x.id, x.lines]), [
    ["not-ppt", [2, 5]],
    ["memory-setup", [4]],
    ["not-ppt", [6]],
  ]);
  assert.equal(found[0].text, "PCI device at 1/0/0 is not using the ppt(4) driver");
  assert.deepEqual(explainText("nothing to see\nbhyve exited with status 4\n", null), []);
  assert.deepEqual(explainText("PCI device at 1/0/ is not using the ppt(4) driver", null), []);
});

/** A scratch snapshot of the demo host's captures plus `files`, and its facts. */
async function facts(dir: string, files: Record<string, string>): Promise<ExplainFacts> {
  const snap = `${dir}/demo`;
  await Deno.mkdir(`${snap}/root/boot`, { recursive: true });
  for (const name of ["pciconf.txt", "kenv.txt", "kldstat.txt", "sysctl.txt", "uname.txt"]) {
    await Deno.copyFile(`${DEMO}/${name}`, `${snap}/${name}`);
  }
  await Deno.copyFile(`${DEMO}/root/boot/loader.conf`, `${snap}/root/boot/loader.conf`);
  await snapshotWith(snap, files);
  const host = await SnapshotHost.open(snap);
  return {
    inventory: await loadInventory(host),
    locks: await readLocks(host, "/var/run/pptkit"),
    running: runningVmsFrom(await host.capture("ps"), await host.capture("vmm")),
    iommuInitialized: true,
    now: Date.now(),
    staleAfterMs: 120_000,
  };
}

const DMAR = await Deno.readTextFile(`${DEMO}/acpidump.txt`);

Deno.test("not using the ppt(4) driver: checked in order, ppt first", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const f = await facts(dir, { "acpidump.txt": DMAR, "ps.txt": "  PID COMMAND\n" });
    const [x] = explainText("PCI device at 3/0/1 is not using the ppt(4) driver", f);
    assert.deepEqual(x.checks.map((c) => c.result), ["cause", "ok", "ok"]);
    assert.equal(x.checks[0].text, "3/0/1 is not on ppt(4): igb1 (igb) has it");
    assert.match(x.checks[1].text, /^no running VM holds 3\/0\/1/);
    assert.equal(x.checks[2].text, "the host has an IOMMU (VT-d, DMAR table) that vmm can use");
    assert.match(x.fixes[0], /pptkit reserve 3\/0\/1/);
    const [missing] = explainText("PCI device at 9/0/0 is not using the ppt(4) driver", f);
    assert.match(missing.checks[0].text, /has no PCI device at 9\/0\/0/);
  } finally {
    await cleanup();
  }
});

Deno.test("not using the ppt(4) driver: a device another running VM locked", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const f = await facts(dir, {
      "acpidump.txt": DMAR,
      "ps.txt": "  PID COMMAND\n 4242 bhyve: vm2 (bhyve)\n",
      "root/var/run/pptkit/0:1:0:0.lock": formatLockRecord({
        vm: "vm2",
        pid: 1,
        ppid: null,
        time: new Date().toISOString(),
        device: "1/0/0",
        holder: null,
        renewed: null,
      }),
    });
    const [x] = explainText("PCI device at 1/0/0 is not using the ppt(4) driver", f);
    assert.deepEqual(x.checks.map((c) => c.result), ["ok", "cause", "ok"]);
    assert.equal(x.checks[0].text, "1/0/0 is ppt0: on ppt(4)");
    assert.match(x.checks[1].text, /^1\/0\/0 is held by running VM vm2 \(bhyve pid 4242/);
    assert.deepEqual(x.fixes, [
      "stop VM vm2 first (bhyve refuses a device another VM owns: EBUSY)",
    ]);
  } finally {
    await cleanup();
  }
});

Deno.test("not using the ppt(4) driver: on ppt, free, and no IOMMU", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const f = await facts(dir, { "acpidump.txt": "  FACP: Length=1\n", "vmm.txt": "" });
    const [x] = explainText("PCI device at 1/0/1 is not using the ppt(4) driver", f);
    assert.deepEqual(x.checks.map((c) => c.result), ["ok", "ok", "cause"]);
    assert.match(x.checks[2].text, /no DMAR or IVRS table/);
    assert.match(x.fixes[0], /enable VT-d/);
    const unknown = await facts(`${dir}/b`, {});
    const [y] = explainText("PCI device at 1/0/1 is not using the ppt(4) driver", unknown);
    assert.deepEqual(y.checks.map((c) => c.result), ["ok", "unknown", "unknown"]);
  } finally {
    await cleanup();
  }
});

Deno.test("pptkit explain TEXT on a snapshot prints the checks and what to do", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await facts(dir, { "acpidump.txt": DMAR, "ps.txt": "  PID COMMAND\n" });
    const r = await pptkit([
      "explain",
      "--snapshot",
      `${dir}/demo`,
      "bhyve: PCI device at 3/0/1 is not using the ppt(4) driver",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines[0], "line 1: PCI device at 3/0/1 is not using the ppt(4) driver");
    assert.match(lines[1], /^ {2}means: bhyve could not give the device to the VM/);
    assert.match(lines[2], /^ {2}checked on snapshot .*, in this order:$/);
    assert.match(lines[3], /^ {4}cause {4}3\/0\/1 is not on ppt\(4\): igb1 \(igb\) has it$/);
    assert.match(lines[4], /^ {4}ok {7}no running VM holds 3\/0\/1/);
    assert.match(lines[5], /^ {4}ok {7}the host has an IOMMU/);
    assert.match(lines[6], /^ {2}do: reserve it: pptkit reserve 3\/0\/1/);
  } finally {
    await cleanup();
  }
});

Deno.test("pptkit explain reads a log on stdin; --json carries the schema", async () => {
  const log = "x\nbhyve: passthru requires guest memory to be wired\nUnable to setup memory (22)\n";
  const r = await pptkit(["explain", "--json", "--snapshot", DEMO], { stdin: log });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schema, "pptkit.explain/1");
  assert.equal(doc.found, 2);
  assert.deepEqual(doc.messages.map((m: { id: string }) => m.id), [
    "memory-not-wired",
    "memory-setup",
  ]);
  assert.deepEqual(doc.messages[0].lines, [2]);
  assert.match(doc.messages[0].fixes[0], /add -S/);
  const text = await pptkit(["explain"], { stdin: log });
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    /^line 2: passthru requires guest memory to be wired\n {2}means: /,
  );
});

Deno.test("pptkit explain without host facts lists the checks to run by hand", async () => {
  const r = await pptkit(["explain", "PCI device at 1/0/0 is not using the ppt(4) driver"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    / {2}check, in this order \(host facts unavailable: .*\):\n {4}check {4}is 1\/0\/0 on ppt\(4\)\?/,
  );
});

Deno.test("pptkit explain on unknown text: exit 1 and one line saying nothing known was found", async () => {
  for (const stdin of ["hello world\n", ""]) {
    const r = await pptkit(["explain"], { stdin });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    const lines = errorLines(r.stderr);
    assert.equal(lines[0], "pptkit: nothing known found in the text: no bhyve passthru message");
    assert.ok(lines.length === 2 && lines[1].startsWith("hint: "));
  }
  const json = await pptkit(["explain", "--json", "nothing here"]);
  assert.equal(json.code, 1);
  assert.deepEqual(JSON.parse(json.stdout).messages, []);
});
