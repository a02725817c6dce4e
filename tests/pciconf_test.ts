import assert from "node:assert/strict";
import { formatSelector } from "../core/address.ts";
import { ExitCode, PptkitError } from "../core/errors.ts";
import { classNames } from "../core/pciconf/classes.ts";
import { lines } from "../core/text.ts";
import { parsePciconf, type PciDevice } from "../core/pciconf.ts";
import { SAMPLES } from "./helpers.ts";

function sample(name: string): string {
  return Deno.readTextFileSync(`${SAMPLES}/${name}/pciconf.txt`);
}

function byName(devices: PciDevice[], name: string): PciDevice {
  const d = devices.find((x) => x.name === name);
  assert.ok(d, `device ${name} is parsed`);
  return d;
}

/** [name, selector, vendor, device, msi messages or null, msix messages or null] */
type Expect = [string, string, string, string, number | null, number | null];

function checkDevices(devices: PciDevice[], expected: Expect[]) {
  for (const [name, sel, vendor, device, msi, msix] of expected) {
    const d = byName(devices, name);
    assert.equal(formatSelector(d.address), sel, `${name} selector`);
    assert.equal(d.vendorId, vendor, `${name} vendor id`);
    assert.equal(d.deviceId, device, `${name} device id`);
    assert.equal(d.msi?.messages ?? null, msi, `${name} MSI messages`);
    assert.equal(d.msix?.messages ?? null, msix, `${name} MSI-X messages`);
  }
}

Deno.test("parsePciconf() reads the Hoster docs -lvc excerpt (spaces instead of the tab)", () => {
  const { devices, capabilitiesKnown, skipped } = parsePciconf(
    sample("pciconf-lvc-excerpt-fujitsu-hd530-xhci-hosterdocs"),
  );
  assert.equal(devices.length, 2);
  assert.equal(capabilitiesKnown, true);
  assert.deepEqual(skipped, []);
  checkDevices(devices, [
    ["vgapci0", "pci0:0:2:0", "8086", "1912", 1, null],
    ["xhci0", "pci0:0:20:0", "8086", "a12f", 8, null],
  ]);
  const vga = byName(devices, "vgapci0");
  assert.equal(vga.subvendorId, "1734");
  assert.equal(vga.subdeviceId, "121c");
  assert.equal(vga.revision, "06");
  assert.equal(vga.model, "HD Graphics 530");
  assert.equal(vga.class, "display");
  assert.equal(vga.subclass, "VGA");
  assert.deepEqual(vga.pcie, { type: "root endpoint", flr: true, ari: null });
  assert.equal(vga.msi?.enabled, 0);
  const xhci = byName(devices, "xhci0");
  assert.deepEqual(xhci.msi, { messages: 8, bits64: true, enabled: 1 });
  assert.equal(xhci.flr, false);
  assert.equal(xhci.bars, null, "no -b lines: BARs unknown");
});

Deno.test("parsePciconf() reads the Gigabyte Z370M -lbcv capture with SR-IOV VFs above function 7", () => {
  const { devices } = parsePciconf(
    sample("pciconf-lvbc-gigabyte-z370m-82599-sriov-vf-ppt-ari-fbsd13.1-bsdhw"),
  );
  assert.equal(devices.length, 23);
  checkDevices(devices, [
    ["hostb0", "pci0:0:0:0", "8086", "3ec2", null, null],
    ["vgapci0", "pci0:0:2:0", "8086", "3e92", 1, null],
    ["ahci0", "pci0:0:23:0", "8086", "a282", 1, null],
    ["em0", "pci0:0:31:6", "8086", "15b8", 1, null],
    ["ix0", "pci0:6:0:0", "8086", "10fb", 1, 64],
    ["ix1", "pci0:6:0:1", "8086", "10fb", 1, 64],
    ["none3", "pci0:6:0:128", "8086", "10ed", null, 3],
    ["ppt0", "pci0:6:0:130", "8086", "10ed", null, 3],
    ["ppt1", "pci0:6:0:132", "8086", "10ed", null, 3],
    ["ppt2", "pci0:6:0:134", "8086", "10ed", null, 3],
  ]);
  const ix0 = byName(devices, "ix0");
  assert.deepEqual(ix0.sriov, {
    totalVFs: 64,
    configuredVFs: 4,
    enabled: true,
    vfDeviceId: "10ed",
  });
  assert.deepEqual(ix0.msix, {
    messages: 64,
    table: "0x20[0x0]",
    pba: "0x20[0x2000]",
    enabled: true,
  });
  assert.equal(ix0.bars?.length, 3);
  assert.deepEqual(ix0.bars?.[0], {
    register: "10",
    type: "Prefetchable Memory",
    range: 64,
    base: "0x2fffe80000",
    size: 524288,
    enabled: true,
  });
  const none0 = byName(devices, "none0");
  assert.equal(none0.flr, true, "PCI Advanced Features: FLR TP");
  assert.equal(none0.pcie, null);
  assert.equal(none0.subclass, null, "-v printed no subclass line");
  assert.equal(byName(devices, "pcib6").pcie?.ari, true);
  assert.equal(byName(devices, "pcib1").headerType, 1);
  assert.equal(byName(devices, "ppt0").driver, "ppt");
  assert.equal(byName(devices, "ppt0").unit, 0);
});

Deno.test("parsePciconf() reads the FreeBSD 12 card=/chip= header", () => {
  const { devices } = parsePciconf(
    sample("pciconf-lvbc-hp-ml30g9-bcm5720-xhci-ppt-fbsd12.1-oldformat-bsdhw"),
  );
  assert.equal(devices.length, 22);
  checkDevices(devices, [
    ["hostb0", "pci0:0:0:0", "8086", "1918", null, null],
    ["ppt0", "pci0:0:20:0", "8086", "a12f", 8, null],
    ["ppt1", "pci0:3:0:0", "14e4", "165f", 8, 17],
    ["ppt2", "pci0:3:0:1", "14e4", "165f", 8, 17],
    ["vgapci0", "pci0:1:0:1", "102b", "0533", 1, null],
    ["bge3", "pci0:9:0:1", "14e4", "165f", 8, 17],
  ]);
  // card=0x1786103c: subdevice 1786, subvendor 103c.
  const ppt1 = byName(devices, "ppt1");
  assert.equal(ppt1.subvendorId, "103c");
  assert.equal(ppt1.subdeviceId, "1786");
  assert.equal(ppt1.msix?.enabled, false);
  assert.equal(byName(devices, "none3").pcie?.type, "legacy endpoint");
  assert.equal(byName(devices, "isab0").subclass, "PCI-ISA");
});

Deno.test("parsePciconf() reads eight PCI domains of the arm64 Ampere host", () => {
  const { devices } = parsePciconf(
    sample("pciconf-lvbc-arm64-ampere-8domains-mlx5-dualport-fbsd14.0current-bsdhw"),
  );
  assert.equal(devices.length, 12);
  assert.deepEqual([...new Set(devices.map((d) => d.address.domain))], [0, 2, 3, 4, 5, 6, 7]);
  checkDevices(devices, [
    ["mlx5_core0", "pci0:1:0:0", "15b3", "1015", null, 64],
    ["mlx5_core1", "pci0:1:0:1", "15b3", "1015", null, 64],
    ["igb0", "pci2:1:0:0", "8086", "1533", 1, 5],
    ["pcib14", "pci7:1:0:0", "1a03", "1150", 1, null],
    ["vgapci0", "pci7:2:0:0", "1a03", "2000", 2, null],
  ]);
  const mlx = byName(devices, "mlx5_core0");
  assert.equal(mlx.driver, "mlx5_core");
  assert.equal(mlx.sriov?.totalVFs, 8);
  assert.equal(mlx.sriov?.configuredVFs, 0);
  assert.equal(byName(devices, "pcib14").pcie?.type, "PCI bridge");
});

Deno.test("parsePciconf() reads the compact pciconf -ll columns and skips the prompt lines", () => {
  const { devices, capabilitiesKnown } = parsePciconf(
    sample("pciconf-ll-grep-ppt-chelsio-t6-func4-vm-passthru-fbsdjournal-devwf"),
  );
  assert.equal(devices.length, 2);
  assert.equal(capabilitiesKnown, false);
  checkDevices(devices, [
    ["ppt0", "pci0:136:0:4", "1425", "640d", null, null],
    ["ppt1", "pci0:137:0:4", "1425", "640d", null, null],
  ]);
  const d = byName(devices, "ppt0");
  assert.equal(d.classCode, "020000");
  assert.equal(d.class, "network", "class name derived from the class code");
  assert.equal(d.subclass, "ethernet");
  assert.equal(d.subvendorId, "1425");
  assert.equal(d.subdeviceId, "0000");
});

Deno.test("parsePciconf() reads the -lv excerpt with '...' elisions", () => {
  const { devices, capabilitiesKnown } = parsePciconf(
    sample("pciconf-lv-excerpt-igc-i226v-4nic-cloudatlas"),
  );
  assert.equal(capabilitiesKnown, false);
  assert.deepEqual(devices.map((d) => d.name), ["igc0", "igc1", "igc2", "igc3"]);
  checkDevices(devices, [["igc3", "pci0:5:0:0", "8086", "125c", null, null]]);
  assert.equal(devices[0].model, "Ethernet Controller I226-V");
});

Deno.test("parsePciconf() reads plain pciconf -l and CRLF line ends", () => {
  const text = "em0@pci0:0:25:0:\tclass=0x020000 rev=0x04 hdr=0x00 vendor=0x8086 device=0x1502 " +
    "subvendor=0x17aa subdevice=0x21f3\r\npcib1@pci0:0:28:0:\tclass=0x060400 rev=0xc4 " +
    "hdr=0x81 vendor=0x8086 device=0x1e10 subvendor=0x17aa subdevice=0x21f3\r\n";
  const { devices } = parsePciconf(text);
  assert.equal(devices.length, 2);
  assert.equal(devices[0].vendor, null);
  assert.equal(devices[0].class, "network");
  assert.equal(devices[1].headerType, 1);
  assert.equal(devices[1].multiFunction, true);
  assert.equal(devices[0].capabilitiesKnown, false);
});

Deno.test("parsePciconf() joins capability continuation lines and reads the old MSI-X wording", () => {
  const text = `mpr0@pci0:2:0:0:\tclass=0x010700 card=0x30e01000 chip=0x00971000 rev=0x02 hdr=0x00
    cap 11[c0] = MSI-X supports 96 messages in map 0x14 enabled
    cap 10[68] = PCI-Express 2 endpoint max data 256(1024) FLR
                 link x8(x8) speed 8.0(8.0)
`;
  const [d] = parsePciconf(text).devices;
  assert.deepEqual(d.msix, { messages: 96, table: "0x14", pba: "0x14", enabled: true });
  assert.equal(d.flr, true);
  assert.equal(d.subvendorId, "1000");
  assert.equal(d.deviceId, "0097");
});

Deno.test("parsePciconf() keys duplicate records from pasted boots on the selector, last wins", () => {
  const head = "class=0x030000 rev=0xa1 hdr=0x00 vendor=0x10de device=0x1cb2 subvendor=0x10de " +
    "subdevice=0x11bd";
  const text =
    `vgapci1@pci0:1:0:0:\t${head}\nppt0@pci0:1:0:0:\t${head}\nnone0@pci0:2:0:0:\t${head}\n`;
  const { devices } = parsePciconf(text);
  assert.deepEqual(devices.map((d) => d.name), ["ppt0", "none0"]);
});

Deno.test("parsePciconf() skips malformed header lines with a reason and keeps the rest", () => {
  const good = "em0@pci0:0:25:0:\tclass=0x020000 rev=0x04 hdr=0x00 vendor=0x8086 device=0x1502 " +
    "subvendor=0x17aa subdevice=0x21f3";
  const text = [
    "ppt0@pci0:1:0:0:", // truncated
    "ppt1@pci0:300:0:0:\tclass=0x030000 rev=0xa1 hdr=0x00 vendor=0x10de device=0x1cb2 " +
    "subvendor=0x10de subdevice=0x11bd", // bus out of range
    "ppt2@pci0:2:0:0:\tclass=0x0300 rev=0xa1 hdr=0x00 vendor=0x10de", // missing fields
    "ppt3@pci0:3:0:0:\tclass=0xzz0000 rev=0xa1 hdr=0x00 vendor=0x10de device=0x1cb2 " +
    "subvendor=0x10de subdevice=0x11bd", // not hex
    good,
    "    cap 05[50] = MSI supports 1 message",
  ].join("\n");
  const { devices, skipped } = parsePciconf(text);
  assert.equal(devices.length, 1);
  assert.equal(devices[0].msi?.messages, 1);
  assert.deepEqual(skipped.map((s) => s.line), [1, 2, 3, 4]);
  assert.match(skipped[0].reason, /truncated/);
  assert.match(skipped[1].reason, /bus 300 is out of range/);
  assert.match(skipped[2].reason, /subvendor|device/);
});

Deno.test("parsePciconf() rejects a text without any device (65)", () => {
  for (const text of ["", "\n\n", "hello world\n", "    cap 05[50] = MSI supports 1 message\n"]) {
    assert.throws(
      () => parsePciconf(text, "snapshot x/pciconf.txt"),
      (e) =>
        e instanceof PptkitError && e.exitCode === ExitCode.DataError &&
        e.message.startsWith("no PCI device found in snapshot x/pciconf.txt"),
    );
  }
});

Deno.test("parsePciconf() rejects binary input (65)", () => {
  assert.throws(
    () => parsePciconf("\x7fELF\x02\x01\x01\0\0\0"),
    (e) => e instanceof PptkitError && e.exitCode === 65 && /binary/.test(e.message),
  );
});

Deno.test("parsePciconf() stays linear on 200 KB lines", () => {
  const junk = "dev0" + "@pci".repeat(50_000);
  const colons = "x@pci0:" + "1:".repeat(100_000);
  const caps = "    cap 05[" + "[".repeat(200_000);
  const good = "em0@pci0:0:25:0:\tclass=0x020000 rev=0x04 hdr=0x00 vendor=0x8086 device=0x1502 " +
    "subvendor=0x17aa subdevice=0x21f3";
  const big = "a".repeat(200_000);
  const { devices, skipped } = parsePciconf(
    [junk, colons, good, caps, "    vendor     = '" + big, big].join("\n"),
  );
  assert.equal(devices.length, 1);
  assert.equal(skipped.length, 2);
});

Deno.test("lines() splits on \\n, \\r\\n and \\r and numbers from 1", () => {
  assert.deepEqual([...lines("a\nb\r\nc\rd")], [[1, "a"], [2, "b"], [3, "c"], [4, "d"]]);
  assert.deepEqual([...lines("a\n")], [[1, "a"]]);
});

Deno.test("classNames() follows pciconf's class table", () => {
  assert.deepEqual(classNames("030000"), ["display", "VGA"]);
  assert.deepEqual(classNames("040300"), ["multimedia", "HDA"]);
  assert.deepEqual(classNames("0c0330"), ["serial bus", "USB"]);
  assert.deepEqual(classNames("058000"), ["memory", null]);
  assert.deepEqual(classNames("ff0000"), [null, null]);
});

Deno.test("parsePciconf() with slots parses only those host slots, siblings included", () => {
  const text = sample("pciconf-lvbc-gigabyte-z370m-82599-sriov-vf-ppt-ari-fbsd13.1-bsdhw");
  const full = parsePciconf(text);
  const part = parsePciconf(text, "x", { slots: [{ domain: 0, bus: 6, slot: 0, function: 130 }] });
  assert.deepEqual(part.devices.map((d) => d.name), [
    "ix0",
    "ix1",
    "none3",
    "ppt0",
    "ppt1",
    "ppt2",
  ]);
  for (const d of part.devices) {
    assert.deepEqual(d, full.devices.find((f) => f.name === d.name), `${d.name} is the same`);
  }
  assert.equal(part.capabilitiesKnown, true);
  const none = parsePciconf(text, "x", { slots: [{ domain: 0, bus: 99, slot: 0, function: 0 }] });
  assert.deepEqual(none.devices, [], "a slot the host does not have: no device, no error");
});

Deno.test("parsePciconf() with slots still rejects a text with no valid device (65)", () => {
  for (const text of ["", "ppt0@pci0:1:0:0:\n", "ppt0@pci0:999:0:0:\tclass=0x030000 rev=0xa1\n"]) {
    assert.throws(
      () => parsePciconf(text, "x", { slots: [{ domain: 0, bus: 1, slot: 0, function: 0 }] }),
      (e) => e instanceof PptkitError && e.exitCode === 65,
    );
  }
});

/** A partial parse of `slots` must be the full parse's devices of those slots, lines included. */
function assertPartialIsFull(text: string, label: string) {
  const full = parsePciconf(text);
  const slots = new Map<string, PciDevice["address"]>();
  for (const d of full.devices) {
    slots.set(`${d.address.domain}:${d.address.bus}:${d.address.slot}`, d.address);
  }
  const key = (d: PciDevice) => `${d.address.domain}:${d.address.bus}:${d.address.slot}`;
  for (const [slot, address] of slots) {
    const part = parsePciconf(text, "x", { slots: [address] });
    assert.deepEqual(
      part.devices,
      full.devices.filter((d) => key(d) === slot),
      `${label}: slot ${slot}`,
    );
    assert.equal(part.capabilitiesKnown, full.capabilitiesKnown, `${label}: capabilities`);
  }
  // Two slots at once, the last one and the first one: the order of the listing is kept.
  const both = [...slots.values()].filter((_, i, all) => i === 0 || i === all.length - 1);
  const wantedKeys = new Set(both.map((a) => `${a.domain}:${a.bus}:${a.slot}`));
  assert.deepEqual(
    parsePciconf(text, "x", { slots: both.reverse() }).devices,
    full.devices.filter((d) => wantedKeys.has(key(d))),
    `${label}: first and last slot`,
  );
}

Deno.test("parsePciconf() with slots gives the full parse's records of every slot of every sample", () => {
  for (const entry of Deno.readDirSync(SAMPLES)) {
    if (entry.isDirectory) assertPartialIsFull(sample(entry.name), entry.name);
  }
});

Deno.test("parsePciconf() with slots: repeated records, indented and broken headers, CRLF", () => {
  const header = (name: string, sel: string, device: string) =>
    `${name}@pci0:${sel}:\tclass=0x030000 rev=0xa1 hdr=0x00 vendor=0x10de device=0x${device} ` +
    "subvendor=0x10de subdevice=0x11bd";
  const text = [
    "# pasted from two boots",
    header("vgapci0", "1:0:0", "1cb2"),
    "    vendor     = 'NVIDIA Corporation'",
    "    cap 05[68] = MSI supports 1 message, 64 bit",
    header("none0", "2:0:0", "1111"),
    "  " + header("ppt0", "1:0:1", "0fb9"),
    "ppt1@pci0:1:0:2: truncated",
    "text that names @pci0:1:0: in passing",
    "$ pciconf -lv",
    header("ppt0", "1:0:0", "1cb2"),
    "    device     = 'GP107GL [Quadro P600]'",
    header("none1", "10:0:0", "2222"),
  ].join("\n") + "\n";
  for (const t of [text, text.replaceAll("\n", "\r\n")]) {
    assertPartialIsFull(t, "synthetic");
    const part = parsePciconf(t, "x", { slots: [{ domain: 0, bus: 1, slot: 0, function: 0 }] });
    // The later record of 1/0/0 wins, in the place where it first appeared; line numbers count.
    assert.deepEqual(part.devices.map((d) => [d.name, d.line]), [["ppt0", 10], ["ppt0", 6]]);
    assert.deepEqual(part.skipped.map((s) => s.line), [7], "the broken header of a wanted slot");
  }
});
