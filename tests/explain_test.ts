/**
 * `pptkit explain` (core/explain/, cli/explain.ts): the scanf-like reader, the log line frames,
 * errno, command lines and boot messages, the ordered checks behind "is not using the ppt(4)
 * driver" and how the errno and the rest of a log narrow them, and the command end to end.
 * The catalogue's own tests are in explain_catalogue_test.ts, whole logs in
 * explain_logs_test.ts.
 */
import assert from "node:assert/strict";
import { type ExplainFacts } from "../core/explain/types.ts";
import { explainText, foundAnything } from "../core/explain/explain.ts";
import { compile, findFormat } from "../core/explain/scanner.ts";
import { MAX_LINE, messageStarts, readLine } from "../core/explain/logline.ts";
import { errnoOf, splitStrerror } from "../core/explain/errno.ts";
import { commandInLine, parseCommand } from "../core/explain/cmdline.ts";
import { readAttach, readIommuUnit, readPptdevs } from "../core/explain/dmesg.ts";
import { SnapshotHost } from "../core/host/snapshot.ts";
import { loadInventory } from "../app/host_state.ts";
import { formatLockRecord, readLocks } from "../core/ownership/locks.ts";
import { runningVmsFrom } from "../core/ownership/running.ts";
import { DEMO, errorLines, FIXTURES, pptkit, scratch, snapshotWith } from "./helpers.ts";

Deno.test("findFormat() reads widths, flags, %b, a leading %s or number, and stops at word ends", () => {
  const f = (format: string, line: string, starts?: number[]) =>
    findFormat(compile(format), line, starts)?.values ?? null;
  assert.deepEqual(
    f(
      "BAR %d: base %#lx or size %#lx not page aligned",
      "x BAR 2: base 0xfb104000 or size 0x800 not page aligned",
    ),
    [
      "2",
      "0xfb104000",
      "0x800",
    ],
  );
  assert.deepEqual(
    f(
      "%s: mmap_memseg @ [%016lx - %016lx]  failed",
      "bhyve: passthru_addr_rom: mmap_memseg @ [00000000c1000000 - 00000000c1020000]  failed",
    ),
    [
      "passthru_addr_rom",
      "00000000c1000000",
      "00000000c1020000",
    ],
  );
  assert.deepEqual(f("%16lu bytes left", "bhyve:          1048576 bytes left"), ["1048576"]);
  assert.deepEqual(
    f(
      "invalid guest VBT address 0x%16lx (OpRegion",
      "invalid guest VBT address 0x        7a0c5000 (OpRegion",
    ),
    ["7a0c5000"],
  );
  assert.deepEqual(f("flags:%b", "AMD-Vi: IVRS Info flags:0x20<RW>"), ["0x20<RW>"]);
  assert.deepEqual(f("PID: 0", "PID: 0"), []);
  assert.equal(f("PID: 0", "PID: 01"), null);
  assert.equal(f("%d/%d/%d is", "at 1/0/ is"), null);
  // a strict format starts the message, or follows a program's prefix
  assert.deepEqual(f("vm_create", "vm_create", messageStarts("vm_create")), []);
  assert.equal(f("vm_create", "calling vm_create", messageStarts("calling vm_create")), null);
  assert.deepEqual(messageStarts("bhyve: ivhd0: PCI capability."), [0, 7, 14]);
});

Deno.test("readLine() takes off each wrapper's frame and keeps the carrier", () => {
  const cases: [string, string, string, string | null][] = [
    ["Apr 08 14:41:07:  [bhyve options: -c 4 -S]", "vm-bhyve", " [bhyve options: -c 4 -S]", null],
    [
      "2026-08-20T09:07:52+09:00: starting bhyve (run 1)",
      "vm-bhyve",
      "starting bhyve (run 1)",
      null,
    ],
    ["2026-04-05T14:32:03+0200 DEBUG [bhyve] bhyve: x", "wifibox", "bhyve: x", "bhyve"],
    ["Oct 24 23:35:21 node1 bhyverun.sh: [debug] env bhyve", "syslog", "[debug] env bhyve", null],
    [
      'time="2025-01-09T17:35:21+01:00" level=info msg="say \\"hi\\"" type=sys_stderr',
      "hoster",
      'say "hi"',
      "sys_stderr",
    ],
    ["2023-11-26 18:04:11 [sys_stderr] bhyve: x", "hoster", "bhyve: x", "sys_stderr"],
    ["2025/01/09 17:35:21 No devices were found!", "go-log", "No devices were found!", null],
    [
      " \u{1F537} DEBUG:   \u{1F554} 2025-01-09 17:35:21: \u{1F4C4} bhyve cmd: bhyve -S",
      "hoster",
      "bhyve cmd: bhyve -S",
      null,
    ],
    [
      "# bhyve: passthru requires guest memory to be wired",
      "plain",
      "bhyve: passthru requires guest memory to be wired",
      null,
    ],
    [
      "Apr  8 14:41:07 host kernel: ppt0 at device 0.0 on pci1",
      "syslog",
      "ppt0 at device 0.0 on pci1",
      null,
    ],
  ];
  for (const [raw, shape, message, carrier] of cases) {
    const l = readLine(1, raw + "\r");
    assert.deepEqual([l.shape, l.message, l.carrier], [shape, message, carrier], raw);
  }
  assert.equal(readLine(1, "Oct 24 23:35:21 node1 bhyverun.sh: x").tag, "bhyverun.sh");
});

Deno.test("errno: strerror suffixes and numbers, FreeBSD's texts only", () => {
  assert.deepEqual(
    splitStrerror("bhyve: failed to open /dev/pci: Permission denied")?.errno.name,
    "EACCES",
  );
  assert.equal(splitStrerror("bhyve: failed to open /dev/pci: no such thing"), null);
  assert.equal(errnoOf("12")?.name, "ENOMEM");
  assert.equal(errnoOf("Device not configured")?.name, "ENXIO");
  assert.equal(errnoOf("99")?.name, null);
});

Deno.test("parseCommand() reads bhyve's getopt: clusters, attached values, the program and the VM", () => {
  const c = parseCommand(
    "env LIB9P_LOGGING=/x /usr/bin/nice -n 0 /usr/sbin/bhyve -c4 -m 8G -AHPSuw -s 0,hostbridge -s 6:0,passthru,1/0/0 -l com1,/dev/nmdm-win.1A vm1",
    [3],
    "command",
  );
  assert.deepEqual([c.wired, c.vm, c.options.get("c"), c.passthru.length, c.layout.lines.length], [
    true,
    "vm1",
    ["4"],
    1,
    2,
  ]);
  const parts = parseCommand(
    "-c 2 -o memory.wired=true -s 4:0,virtio-blk,/zroot/vm/db/disk0.img -l com1,/dev/nmdm-db.1A",
    [1],
    "x",
  );
  assert.deepEqual([parts.wired, parts.vm, parts.vmDir], [true, "db", "/zroot/vm/db"]);
  assert.match(
    commandInLine(" 5148 sh -c bhyve -S -s 5:0,passthru,4/0/0 win11vm") ?? "",
    /^bhyve -S/,
  );
  assert.equal(commandInLine("bhyve: PCI device at 4/0/0 is not using the ppt(4) driver"), null);
  assert.equal(commandInLine("DEBUG bhyve -s help"), null);
});

Deno.test("dmesg: attach lines (ppt has no description), IOMMU units, pptdevs values", () => {
  assert.deepEqual(
    readAttach(4, "ppt0 mem 0xf6000000-0xf6ffffff irq 16 at device 0.1 numa-domain 0 on pci3"),
    { line: 4, name: "ppt0", driver: "ppt", slot: 0, function: 1, pciUnit: 3 },
  );
  assert.equal(
    readAttach(1, "igb0: <Intel(R) I350 (Copper)> port 0xe020-0xe03f at device 0.0 on pci3")?.name,
    "igb0",
  );
  assert.equal(readAttach(1, "pci3: <ACPI PCI bus> on pcib3"), null);
  assert.equal(
    readIommuUnit(1, "dmar0: <DMA remap> iomem 0xfed90000-0xfed90fff on acpi0")?.kind,
    "vt-d",
  );
  assert.equal(readIommuUnit(1, "ivhd0: <AMD-Vi/IOMMU ivhd with EFR> on acpi0")?.kind, "amd-vi");
  // the kernel splits pptdevs on single spaces: a tab hides the next device
  assert.deepEqual(readPptdevs('pptdevs="1/0/0 2/0/0\t3/0/0 4/0/1"')?.map((a) => a.bus), [1, 4]);
  assert.equal(readPptdevs("pptdevs4=1/0/0"), null);
});

Deno.test("explainText() folds repeats, keeps the order of a log, and finds nothing in other text", () => {
  const log = [
    "Nov 27 02:36:01: booting",
    "Nov 27 02:36:02: bhyve: PCI device at 1/0/0 is not using the ppt(4) driver",
    "Nov 27 02:36:02: bhyve exited with status 4",
    "Nov 27 02:40:00: Unable to setup memory (17)",
    "Nov 27 02:41:02: bhyve: PCI device at 1/0/0 is not using the ppt(4) driver",
    "Nov 27 02:41:02: bhyve: PCI device at 1/0/1 is not using the ppt(4) driver",
  ].join("\r\n");
  const found = explainText(log, null).messages;
  assert.deepEqual(found.map((x) => [x.id, x.lines]), [
    ["not-ppt", [2, 5]],
    ["vm-bhyve-bhyve-exited", [3]],
    ["memory-setup", [4]],
    ["not-ppt", [6]],
  ]);
  assert.equal(found[0].text, "PCI device at 1/0/0 is not using the ppt(4) driver");
  assert.equal(found[2].errno?.name, "EEXIST");
  const nothing = explainText(
    "nothing to see\nPCI device at 1/0/ is not using the ppt(4) driver\n",
    null,
  );
  assert.equal(foundAnything(nothing), false);
});

Deno.test("explainText() reads a line only up to MAX_LINE characters, and junk finds nothing", () => {
  const message = "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver";
  const after = explainText(message + " [".repeat(MAX_LINE), null);
  assert.deepEqual(after.messages.map((m) => m.id), ["not-ppt"]);
  const past = explainText("x".repeat(MAX_LINE) + message, null);
  assert.deepEqual(past.messages, []);
  const junk = explainText(("[".repeat(40) + ": \u0000\u00ff").repeat(500) + "\n", null);
  assert.equal(foundAnything(junk), false);
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
const NOT_PPT = (bsf: string) => `bhyve: PCI device at ${bsf} is not using the ppt(4) driver`;

Deno.test("not using the ppt(4) driver: checked in the catalogue's order, ppt first", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const f = await facts(dir, { "acpidump.txt": DMAR, "ps.txt": "  PID COMMAND\n" });
    const [x] = explainText(NOT_PPT("3/0/1"), f).messages;
    assert.deepEqual(x.checks.map((c) => [c.check, c.result]).slice(0, 3), [
      ["device-present", "ok"],
      ["device-on-ppt", "cause"],
      ["device-in-pptdevs", "ok"],
    ]);
    assert.equal(x.checks[1].text, "3/0/1 is not on ppt(4): igb1 (igb) has it");
    assert.ok(
      x.checks.some((c) =>
        c.check === "device-held-by-other-vm" && /^no running VM holds 3\/0\/1/.test(c.text)
      ),
    );
    assert.ok(x.checks.some((c) => c.check === "iommu-present" && c.result === "ok"));
    assert.match(x.fixes[0], /pptkit reserve 3\/0\/1/);
    const [missing] = explainText(NOT_PPT("9/0/0"), f).messages;
    assert.match(missing.checks[0].text, /has no PCI device at 9\/0\/0/);
  } finally {
    await cleanup();
  }
});

Deno.test("not using the ppt(4) driver: the errno of the next line narrows the causes", async () => {
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
    const busy = explainText(
      `${NOT_PPT("1/0/0")}\nDevice emulation initialization error: Device busy\n`,
      f,
    );
    const [x, devinit] = busy.messages;
    assert.deepEqual([x.errno?.name, x.errno?.line, x.holder], ["EBUSY", 2, "vm2"]);
    assert.deepEqual(x.checks.map((c) => c.check), ["device-held-by-other-vm", "manual"]);
    assert.match(x.checks[0].text, /^1\/0\/0 is held by running VM vm2 \(bhyve pid 4242/);
    assert.deepEqual(x.fixes, [
      "stop VM vm2 first (bhyve refuses a device another VM owns: EBUSY)",
    ]);
    assert.deepEqual(devinit.checks.map((c) => [c.check, c.result]), [["earlier-line", "cause"]]);
    // ENXIO: only the IOMMU causes; the 13.x perror wording is read the same way
    const nxio = explainText(
      `${NOT_PPT("1/0/0")}\ndevice emulation initialization error: Device not configured\n`,
      f,
    );
    assert.deepEqual(nxio.messages[0].checks.map((c) => c.check), [
      "iommu-present",
      "iommu-enabled",
      "amdvi-enabled",
      "manual",
    ]);
  } finally {
    await cleanup();
  }
});

Deno.test("not using the ppt(4) driver: a kernel line of the same log answers the IOMMU question", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const f = await facts(dir, { "acpidump.txt": "  FACP: Length=1\n", "vmm.txt": "" });
    const [x] = explainText(NOT_PPT("1/0/1"), f).messages;
    assert.equal(x.checks.find((c) => c.check === "iommu-present")?.result, "cause");
    const log =
      "bhyve: Found 2 AMD-Vi/IOMMU device(s), use hw.vmm.amdvi.enable=1 to enable pass-through.\n" +
      `${NOT_PPT("1/0/1")}\n`;
    const [, y] = explainText(log, null).messages;
    const amdvi = y.checks.find((c) => c.check === "amdvi-enabled")!;
    assert.equal(amdvi.result, "cause");
    assert.match(amdvi.text, /^line 1: the kernel found AMD-Vi units and left them off/);
    assert.ok(
      y.checks.some((c) =>
        c.check === "iommu-present" && c.result === "ok" && c.text.startsWith("line 1")
      ),
    );
  } finally {
    await cleanup();
  }
});

Deno.test("explain offers reserve --now only while vmm.ko is loaded, in every check and dmesg", async () => {
  const KLDSTAT = await Deno.readTextFile(`${DEMO}/kldstat.txt`);
  const noVmm = KLDSTAT.split("\n").filter((l) => !l.endsWith("vmm.ko")).join("\n");
  // 3/0/1 (igb1) in pptdevs at this boot and in loader.conf; igb took it first.
  const lost = {
    "kenv.txt": 'pptdevs="1/0/0 1/0/1 3/0/1"\n',
    "root/boot/loader.conf": 'pptdevs="1/0/0 1/0/1 3/0/1"\nvmm_load="YES"\n',
  };
  const cases = [
    { kldstat: KLDSTAT, files: {}, fixes: [/or bind it now with: pptkit reserve --now 3\/0\/1$/] },
    {
      kldstat: noVmm,
      files: {},
      fixes: [/^reserve it: pptkit reserve 3\/0\/1 \(takes effect at the next boot\)$/],
    },
    {
      kldstat: KLDSTAT,
      files: lost,
      fixes: [
        /^it is in pptdevs .*: reboot, or bind it now with: pptkit reserve --now 3\/0\/1$/,
        /^bind it now: pptkit reserve --now 3\/0\/1$/,
      ],
    },
    {
      kldstat: noVmm,
      files: lost,
      fixes: [
        /^it is in pptdevs \(\/boot\/loader\.conf:1 pptdevs\): reboot$/,
        /^load vmm\.ko and bind it now: kldload -n vmm && pptkit reserve --now 3\/0\/1$/,
      ],
    },
  ];
  const boot = "igb1: <Intel(R) I350 (Copper)> port 0xe020-0xe03f at device 0.1 on pci3\n";
  for (const [i, c] of cases.entries()) {
    const [dir, cleanup] = await scratch();
    try {
      const f = await facts(dir, { "acpidump.txt": DMAR, "kldstat.txt": c.kldstat, ...c.files });
      assert.equal(f.inventory.host.vmmLoaded, c.kldstat === KLDSTAT, `case ${i}`);
      const report = explainText(`${boot}${NOT_PPT("3/0/1")}\n`, f);
      const [x] = report.messages;
      const fixes = x.checks.flatMap((c) => c.fix === undefined ? [] : [c.fix]);
      const ppt = x.checks.filter((c) =>
        c.check === "device-on-ppt" || c.check === "device-in-pptdevs"
      );
      assert.deepEqual(
        ppt.map((c) => c.result),
        ["cause", c.files === lost ? "cause" : "ok"],
        `case ${i}`,
      );
      c.fixes.forEach((want, k) =>
        assert.match(ppt[k].fix ?? "", want, `case ${i}: ${ppt[k].check}`)
      );
      if (c.kldstat === noVmm) {
        assert.ok(
          fixes.every((fix) => !fix.startsWith("bind it now") && !/, or bind it now/.test(fix)),
          fixes.join("\n"),
        );
      }
      if (c.files === lost) {
        assert.equal(report.log.dmesg.pptdevs.find((p) => p.bsf === "3/0/1")?.fix, ppt[1].fix);
      }
    } finally {
      await cleanup();
    }
  }
  // Without the host's facts whether vmm.ko is loaded is unknown: no --now.
  const [alone] = explainText(`${boot}${NOT_PPT("3/0/1")}\n`, null).messages;
  const onPpt = alone.checks.find((c) => c.check === "device-on-ppt")!;
  assert.equal(onPpt.fix, "reserve it: pptkit reserve 3/0/1 (takes effect at the next boot)");
});

Deno.test("pptkit explain TEXT on a snapshot prints the checks and what to do", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await facts(dir, { "acpidump.txt": DMAR, "ps.txt": "  PID COMMAND\n" });
    const r = await pptkit(["explain", "--snapshot", `${dir}/demo`, NOT_PPT("3/0/1")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines[0], "line 1: PCI device at 3/0/1 is not using the ppt(4) driver");
    assert.match(
      lines[1],
      /^ {2}means: bhyve could not give the host device to the VM .*\[bhyve \(pci_passthru\.c\); this wording: FreeBSD 12\.0 and later\]$/,
    );
    assert.match(lines[2], /^ {2}checked on snapshot .*, in this order:$/);
    assert.match(lines[3], /^ {4}ok {7}3\/0\/1 is there: igb1/);
    assert.match(lines[4], /^ {4}cause {4}3\/0\/1 is not on ppt\(4\): igb1 \(igb\) has it$/);
    assert.ok(lines.some((l) => /^ {2}do: reserve it: pptkit reserve 3\/0\/1/.test(l)), r.stdout);
  } finally {
    await cleanup();
  }
});

Deno.test("pptkit explain < a vm-bhyve log: the wrapper, the command line's lint, the linked errno", async () => {
  const log = await Deno.readTextFile(`${FIXTURES}/explain/logs/vm-bhyve-debug-not-ppt.log`);
  const host = `${FIXTURES}/explain/hosts/intel-gpu`;
  const r = await pptkit(["explain", "--snapshot", host], { stdin: log });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^log: written by vm-bhyve \(line 3\)\n {2}bhyve's messages: debug mode: yes \(line 31\): vm-bhyve wrote bhyve's messages to \/zroot\/vm\/win10\/bhyve\.log\n/,
  );
  assert.match(
    r.stdout,
    /\nbhyve command line, lines 38, 39, 40 \(VM win10\): -c 4 .*\n {2}passthru: 2\/0\/0 at guest 0:6:0, 2\/0\/1 at guest 0:6:1; -S: yes\n {2}error {4}2\/0\/1 is not on ppt\(4\): hdac0 \(hdac\) has it\n/,
  );
  assert.match(
    r.stdout,
    /\nline 47: PCI device at 2\/0\/1 is not using the ppt\(4\) driver\n.*\n {2}errno: ENOENT \(No such file or directory\) from line 48: only the causes it allows are checked\n/,
  );
  assert.match(
    r.stdout,
    /\nalso in the text:\n(.*\n)* {2}line 21: bhyve exited with status 1: status 1: the guest powered off: nothing failed\n/,
  );

  const json = await pptkit(["explain", "--json", "--snapshot", host], { stdin: log });
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.schema, "pptkit.explain/1");
  assert.equal(doc.found, doc.messages.length);
  const notPpt = doc.messages.find((m: { id: string }) => m.id === "not-ppt");
  assert.deepEqual([
    notPpt.device,
    notPpt.errno.name,
    notPpt.errno.line,
    notPpt.role,
    notPpt.commandLine,
  ], ["2/0/1", "ENOENT", 48, "error", 1]);
  assert.deepEqual(notPpt.where.file, "usr.sbin/bhyve/pci_passthru.c");
  assert.equal(notPpt.checks[1].check, "device-on-ppt");
  assert.equal(doc.log.wrapper, "vm-bhyve");
  assert.deepEqual(doc.log.commandLines[1].findings.map((f: { code: string }) => f.code), [
    "not-on-ppt",
    "no-flr",
  ]);
});

Deno.test("pptkit explain without host facts lists the checks to run by hand; boot messages alone are enough", async () => {
  const r = await pptkit(["explain", NOT_PPT("1/0/0")]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    / {2}check, in this order \(host facts unavailable: .*\):\n {4}check {4}there is no PCI device at that address .*\(is there a device at 1\/0\/0\? pciconf -l pci0:1:0:0\)\n/,
  );
  const boot = "ppt0 mem 0xf6000000-0xf6ffffff irq 16 at device 0.0 on pci1\n" +
    "dmar0: <DMA remap> iomem 0xfed90000-0xfed90fff on acpi0\n";
  const b = await pptkit(["explain"], { stdin: boot });
  assert.equal(b.code, 0, b.stderr);
  assert.match(
    b.stdout,
    /^boot messages: IOMMU units dmar0 \(vt-d, line 2\)\nboot messages: ppt\(4\) took 1\/0\/0 as ppt0 \(line 1\) \(pciN read as bus N\)\n/,
  );
});

Deno.test("pptkit explain on unknown text: exit 1 and one line saying nothing known was found", async () => {
  for (const stdin of ["hello world\n", ""]) {
    const r = await pptkit(["explain"], { stdin });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    const lines = errorLines(r.stderr);
    assert.equal(
      lines[0],
      "pptkit: nothing known found in the text: no passthrough message, command line or boot message",
    );
    assert.ok(lines.length === 2 && lines[1].startsWith("hint: "));
  }
  const json = await pptkit(["explain", "--json", "nothing here"]);
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout);
  assert.deepEqual([doc.messages, doc.log.commandLines], [[], []]);
});
