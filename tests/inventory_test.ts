import assert from "node:assert/strict";
import { detectIommu } from "../core/acpi.ts";
import { countHostDrivers, deviceFindings, sriovParents } from "../core/eligibility.ts";
import { type Finding } from "../core/findings.ts";
import {
  buildInventory,
  type InventoryInput,
  isPassthroughCandidate,
  type LoaderFacts,
  loaderFacts,
  machineOf,
  parseSysctl,
  resolveDevice,
  vmmInKldstat,
} from "../core/inventory.ts";
import { LOADER_CONF } from "../core/paths.ts";
import { loaderFileOrder } from "../core/loader/order.ts";
import { parseLoaderConf } from "../core/loader/lines.ts";
import { parsePciconf } from "../core/pciconf.ts";
import { PptkitError } from "../core/errors.ts";
import { defaultRouteInterfaces } from "../core/routes.ts";
import { DEMO, SAMPLES } from "./helpers.ts";

const demoText = Deno.readTextFileSync(`${DEMO}/pciconf.txt`);
const LOADER: LoaderFacts = {
  reserved: new Map([["1/0/0", "/boot/loader.conf:1 pptdevs"], [
    "1/0/1",
    "/boot/loader.conf:1 pptdevs",
  ]]),
  bootReserved: new Set(["1/0/0", "1/0/1"]),
  vmmLoad: true,
  amdviEnabled: false,
  rebootPending: false,
  findings: [],
};

function input(over: Partial<InventoryInput> = {}): InventoryInput {
  return {
    listing: parsePciconf(demoText),
    iommu: detectIommu(Deno.readTextFileSync(`${DEMO}/acpidump.txt`)),
    loader: LOADER,
    kldstat: Deno.readTextFileSync(`${DEMO}/kldstat.txt`),
    sysctl: parseSysctl(Deno.readTextFileSync(`${DEMO}/sysctl.txt`)),
    release: "14.1-RELEASE",
    snapshot: true,
    ...over,
  };
}

function codes(findings: readonly Finding[]): string[] {
  return findings.map((f) => f.code);
}

const acpiWith = (sig: string) => `  ${sig}: Length=100, Revision=1, Checksum=1,\n`;

Deno.test("buildInventory() on the demo host: ppt devices available, no host error", () => {
  const inv = buildInventory(input());
  assert.equal(inv.host.iommu, "vt-d");
  assert.equal(inv.host.vmmLoaded, true);
  assert.equal(inv.host.vmmFromLoader, true);
  assert.equal(inv.host.amdviEnabled, null, "no AMD-Vi on an Intel host");
  assert.equal(inv.host.rebootPending, false);
  assert.deepEqual(codes(inv.host.findings), []);
  const ppt0 = resolveDevice(inv, "ppt0");
  assert.equal(ppt0.bsf, "1/0/0");
  assert.equal(ppt0.status, "available");
  assert.equal(ppt0.statusText, "Available");
  assert.deepEqual(ppt0.reserved, {
    atBoot: true,
    inLoaderConf: true,
    where: "/boot/loader.conf:1 pptdevs",
  });
  assert.equal(ppt0.eligible, true);
  assert.deepEqual(inv.devices.filter(isPassthroughCandidate).map((d) => d.bsf), [
    "1/0/0",
    "1/0/1",
  ]);
});

Deno.test("no-iommu: acpidump without DMAR or IVRS is a host error with the firmware fix", () => {
  const inv = buildInventory(input({ iommu: detectIommu(acpiWith("FACP")) }));
  const f = inv.host.findings.find((x) => x.code === "no-iommu");
  assert.equal(f?.level, "error");
  assert.match(f?.fix ?? "", /VT-d/);
});

Deno.test("iommu-unknown: no acpidump capture is a warning, not an error", () => {
  const inv = buildInventory(input({ iommu: detectIommu(null) }));
  const f = inv.host.findings.find((x) => x.code === "iommu-unknown");
  assert.equal(f?.level, "warn");
  assert.match(f?.fix ?? "", /acpidump.txt/);
});

/** Loader facts from loader.conf text, the way loadInventory computes them. */
function factsFrom(text: string, amd = false, kenv: Map<string, string> | null = null) {
  const order = loaderFileOrder("14.1-RELEASE", []);
  const files = order.files.map((p) => parseLoaderConf(p === LOADER_CONF ? text : "", p));
  return loaderFacts({ order, files, present: 1 }, kenv, amd, parsePciconf(demoText).devices, true);
}

Deno.test("amdvi-disabled: an AMD host without hw.vmm.amdvi.enable=1", () => {
  const iommu = detectIommu(acpiWith("IVRS"));
  const off = buildInventory(input({ iommu, loader: factsFrom('vmm_load="YES"\n', true) }));
  assert.equal(off.host.amdviEnabled, false);
  const f = off.host.findings.find((x) => x.code === "amdvi-disabled");
  assert.equal(f?.level, "error");
  assert.match(f?.fix ?? "", /hw.vmm.amdvi.enable=1/);
  const on = buildInventory(
    input({ iommu, loader: factsFrom('vmm_load="YES"\nhw.vmm.amdvi.enable=1\n', true) }),
  );
  assert.equal(on.host.amdviEnabled, true);
  assert.ok(!codes(on.host.findings).includes("amdvi-disabled"));
});

Deno.test("vmm-not-from-loader: loader.conf without vmm_load=YES, and not yet rebooted", () => {
  const missing = buildInventory(input({ loader: factsFrom('pptdevs="1/0/0"\n') }));
  const f = missing.host.findings.find((x) => x.code === "vmm-not-from-loader");
  assert.equal(f?.level, "error", "pptdevs without vmm_load does nothing");
  assert.match(f?.message ?? "", /does not load vmm/);
  const pending = buildInventory(
    input({ loader: factsFrom('vmm_load="YES"\n'), kldstat: "Id Refs Name\n 1 1 kernel\n" }),
  );
  assert.equal(pending.host.vmmLoaded, false);
  assert.match(
    pending.host.findings.find((x) => x.code === "vmm-not-from-loader")?.message ?? "",
    /not loaded: the host has not been rebooted/,
  );
});

Deno.test("loaderFacts() reads reservations with file:line and the running kernel's kenv", () => {
  const kenv = new Map([["pptdevs", "1/0/0"], ["vmm_load", "YES"]]);
  const facts = factsFrom('pptdevs="1/0/0 3/0/1"\nvmm_load="YES"\n', false, kenv);
  assert.equal(facts.reserved.get("3/0/1"), "/boot/loader.conf:1 pptdevs");
  assert.deepEqual([...facts.bootReserved!], ["1/0/0"]);
  assert.equal(facts.vmmLoad, true);
  const inv = buildInventory(input({ loader: facts }));
  assert.equal(resolveDevice(inv, "3/0/1").status, "reboot-pending");
  assert.match(
    inv.host.findings.find((x) => x.code === "reboot-pending")?.message ?? "",
    /after a reboot 3\/0\/1 become ppt$/,
  );
});

Deno.test("loaderFacts() passes on pptdevs-syntax and pptdevs4-ignored with file and line", () => {
  const facts = factsFrom('vmm_load="YES"\npptdevs="1/0/0\t1/0/1"\npptdevs4="3/0/0"\n');
  const syntax = facts.findings.find((f) => f.code === "pptdevs-syntax");
  assert.equal(syntax?.file, "/boot/loader.conf");
  assert.equal(syntax?.line, 2);
  assert.match(syntax?.message ?? "", /tab/);
  assert.equal(facts.findings.find((f) => f.code === "pptdevs4-ignored")?.line, 3);
});

Deno.test("iommu-disabled: hw.vmm.iommu.enable=0", () => {
  const inv = buildInventory(input({ sysctl: new Map([["hw.vmm.iommu.enable", "0"]]) }));
  assert.equal(inv.host.findings.find((f) => f.code === "iommu-disabled")?.level, "error");
});

Deno.test("reboot-pending: loader.conf reserves a device the running kernel did not", () => {
  const loader: LoaderFacts = {
    ...LOADER,
    reserved: new Map([...LOADER.reserved, ["3/0/1", "/boot/loader.conf:1 pptdevs"]]),
  };
  const inv = buildInventory(input({ loader }));
  assert.equal(inv.host.rebootPending, true);
  const f = inv.host.findings.find((x) => x.code === "reboot-pending");
  assert.match(f?.message ?? "", /after a reboot 3\/0\/1 become ppt/);
  const igb1 = resolveDevice(inv, "3/0/1");
  assert.equal(igb1.status, "reboot-pending");
  assert.equal(igb1.statusText, "Reserved (reboot)");
  assert.ok(isPassthroughCandidate(igb1));
});

Deno.test("reboot-pending: a device the kernel reserved goes back after the reboot", () => {
  const loader: LoaderFacts = { ...LOADER, reserved: new Map([["1/0/0", "x"]]) };
  const inv = buildInventory(input({ loader }));
  assert.match(
    inv.host.findings.find((x) => x.code === "reboot-pending")?.message ?? "",
    /1\/0\/1 go back to their host drivers/,
  );
});

Deno.test("not-endpoint and host-critical: bridges and chipset devices are never eligible", () => {
  const inv = buildInventory(input());
  const bridge = resolveDevice(inv, "0/1/0");
  assert.ok(codes(bridge.findings).includes("not-endpoint"));
  assert.equal(bridge.eligible, false);
  const hostb = resolveDevice(inv, "hostb0");
  assert.deepEqual(
    hostb.findings.filter((f) => f.level === "error").map((f) => f.code),
    ["host-critical", "no-msi"],
  );
  assert.equal(resolveDevice(inv, "isab0").eligible, false);
});

Deno.test("no-msi: a device with neither MSI nor MSI-X", () => {
  const inv = buildInventory(input());
  const smbus = resolveDevice(inv, "0/31/2");
  const f = smbus.findings.find((x) => x.code === "no-msi");
  assert.equal(f?.level, "error");
  assert.equal(
    f?.message,
    "0/31/2 has neither MSI nor MSI-X: bhyve passthrough needs message-signalled interrupts",
  );
  assert.equal(f?.device, "pci0:0:31:2");
  assert.equal(smbus.eligible, false);
});

Deno.test("no-flr: a warning that does not make the device ineligible", () => {
  const inv = buildInventory(input());
  const gpu = resolveDevice(inv, "1/0/0");
  assert.deepEqual(codes(gpu.findings), ["no-flr"]);
  assert.equal(gpu.findings[0].level, "warn");
  assert.equal(gpu.eligible, true);
  assert.deepEqual(codes(resolveDevice(inv, "3/0/0").findings), [], "igb has FLR");
  assert.deepEqual(codes(resolveDevice(inv, "em0").findings), [], "AF FLR counts");
});

Deno.test("host-critical: the only display and the only storage controller with a host driver", () => {
  const inv = buildInventory(input());
  const igpu = resolveDevice(inv, "vgapci0");
  assert.match(
    igpu.findings.find((f) => f.code === "host-critical")?.message ?? "",
    /console display/,
  );
  const ahci = resolveDevice(inv, "ahci0");
  assert.match(ahci.findings.find((f) => f.code === "host-critical")?.message ?? "", /boot disk/);
  assert.equal(ahci.eligible, true, "a warning only");
});

Deno.test("domain-unsupported: devices outside PCI domain 0 have no B/S/F", () => {
  const text = Deno.readTextFileSync(
    `${SAMPLES}/pciconf-lvbc-arm64-ampere-8domains-mlx5-dualport-fbsd14.0current-bsdhw/pciconf.txt`,
  );
  const inv = buildInventory(input({ listing: parsePciconf(text) }));
  const igb = resolveDevice(inv, "pci2:1:0:0");
  assert.equal(igb.bsf, null);
  const f = igb.findings.find((x) => x.code === "domain-unsupported");
  assert.equal(f?.level, "error");
  assert.match(f?.message ?? "", /^pci2:1:0:0 is in PCI domain 2/);
  assert.equal(igb.eligible, false);
  assert.equal(resolveDevice(inv, "mlx5_core0").eligible, true);
});

Deno.test("eligible is null when the capture had no capability lines", () => {
  const text = Deno.readTextFileSync(
    `${SAMPLES}/pciconf-lv-excerpt-igc-i226v-4nic-cloudatlas/pciconf.txt`,
  );
  const inv = buildInventory(input({ listing: parsePciconf(text) }));
  assert.ok(inv.devices.every((d) => d.eligible === null));
  assert.ok(codes(inv.host.findings).includes("capabilities-unknown"));
  // A bridge is ruled out by its header alone.
  const bridge = parsePciconf(
    "pcib1@pci0:0:1:0:\tclass=0x060400 rev=0x0d hdr=0x01 vendor=0x8086 device=0x1901 " +
      "subvendor=0x1458 subdevice=0x5000\n",
  );
  assert.equal(buildInventory(input({ listing: bridge })).devices[0].eligible, false);
});

Deno.test("resolveDevice() finds by every spelling and refuses unknown devices (65)", () => {
  const inv = buildInventory(input());
  for (const t of ["1/0/1", "pci0:1:0:1", "ppt1@pci0:1:0:1:", "ppt1", "pci1:0:1"]) {
    assert.equal(resolveDevice(inv, t).device.name, "ppt1", t);
  }
  assert.throws(
    () => resolveDevice(inv, "9/9/9"),
    (e) =>
      e instanceof PptkitError && e.exitCode === 65 && /no PCI device at 9\/9\/9/.test(e.message),
  );
});

Deno.test("deviceFindings() names devices by B/S/F and carries the selector", () => {
  const [d] = parsePciconf(
    "none9@pci0:4:0:0:\tclass=0x028000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x2723 " +
      "subvendor=0x8086 subdevice=0x0084\n    cap 01[c8] = powerspec 3  supports D0 D3  current D0\n",
  ).devices;
  const [f] = deviceFindings(d, countHostDrivers([d]));
  assert.equal(f.code, "no-msi");
  assert.equal(f.device, "pci0:4:0:0");
  assert.ok(f.message.startsWith("4/0/0 "));
});

Deno.test("parseSysctl() and vmmInKldstat() read their captures", () => {
  assert.equal(parseSysctl("hw.vmm.amdvi.enable: 1\nnoise\n").get("hw.vmm.amdvi.enable"), "1");
  assert.equal(vmmInKldstat(" 3    1 0xffffffff82727000   3ab028 vmm.ko\n"), true);
  assert.equal(vmmInKldstat(" 1   73 0xffffffff80200000  1f41500 kernel\n"), false);
  assert.equal(vmmInKldstat(null), null);
});

Deno.test("unknown-device: a pptdevs token with no device on this host", () => {
  const facts = factsFrom('vmm_load="YES"\npptdevs="1/0/0 9/0/0"\n');
  const f = facts.findings.find((x) => x.code === "unknown-device");
  assert.equal(f?.level, "warn");
  assert.equal(
    f?.message,
    "/boot/loader.conf:2 pptdevs reserves 9/0/0, but this host has no device there",
  );
  assert.equal(f?.fix, "remove it: pptkit release 9/0/0");
  assert.equal(f?.line, 2);
  assert.equal(facts.findings.filter((x) => x.code === "unknown-device").length, 1);
});

Deno.test("#15.2 defaultRouteInterfaces() reads netstat -rn; that NIC is host-critical", () => {
  const netstat = "Routing tables\n\nInternet:\n" +
    "Destination        Gateway            Flags     Netif Expire\n" +
    "default            10.0.0.1           UGS        igb1\n" +
    "10.0.0.0/24        link#2             U          igb1\n\nInternet6:\n" +
    "Destination        Gateway            Flags     Netif Expire\n" +
    "default            fe80::1%em0        UG          em0\n";
  assert.deepEqual([...defaultRouteInterfaces(netstat)!].sort(), ["em0", "igb1"]);
  assert.equal(defaultRouteInterfaces(null), null);
  assert.deepEqual([...defaultRouteInterfaces("Routing tables\n")!], []);
  const inv = buildInventory(input({ defaultRoute: new Set(["igb1"]) }));
  const igb1 = inv.devices.find((d) => d.bsf === "3/0/1")!;
  assert.match(
    igb1.findings.find((f) => f.code === "host-critical")?.message ?? "",
    /^3\/0\/1 carries the default route \(igb1\)/,
  );
  assert.ok(!codes(inv.devices.find((d) => d.bsf === "3/0/0")!.findings).includes("host-critical"));
});

Deno.test("#15.2 sriovParents(): virtual functions and their physical function", () => {
  const dir = `${SAMPLES}/pciconf-lvbc-gigabyte-z370m-82599-sriov-vf-ppt-ari-fbsd13.1-bsdhw`;
  const listing = parsePciconf(Deno.readTextFileSync(`${dir}/pciconf.txt`));
  const parents = sriovParents(listing.devices);
  assert.deepEqual(
    [...parents].map(([vf, pf]) => `${vf.name}<-${pf.name}`),
    ["none3<-ix0", "ppt0<-ix0", "ppt1<-ix0", "ppt2<-ix0"],
  );
  const inv = buildInventory(input({ listing }));
  const ix0 = inv.devices.find((d) => d.device.name === "ix0")!;
  assert.deepEqual(codes(ix0.findings), ["sriov-pf"]);
  // ix1 has SR-IOV but no VF configured: nothing to say.
  assert.deepEqual(codes(inv.devices.find((d) => d.device.name === "ix1")!.findings), []);
});

Deno.test("#15.2 a host that is not amd64 has an arch-unsupported error; amd64 and unknown none", () => {
  const arm = buildInventory(input({ machine: "arm64" }));
  assert.deepEqual(
    codes(arm.host.findings).filter((c) => c === "arch-unsupported"),
    ["arch-unsupported"],
  );
  assert.equal(arm.host.machine, "arm64");
  for (const machine of ["amd64", null]) {
    const inv = buildInventory(input({ machine }));
    assert.ok(!codes(inv.host.findings).includes("arch-unsupported"), String(machine));
  }
  assert.equal(machineOf("14.0-CURRENT arm64\n"), "arm64");
  assert.equal(machineOf("14.1-RELEASE"), null);
});

Deno.test("#15.8 statuses: running first, then conflict, then not on ppt yet, then in use", () => {
  const users = (...list: [string, boolean][]) =>
    list.map(([vm, running]) => ({ vm, source: "native", running }));
  const text = (key: string, u: ReturnType<typeof users>) => {
    const inv = buildInventory(input({ usage: new Map([[key, u]]) }));
    const e = inv.byKey.get(key)!;
    return `${e.status} ${e.statusText}`;
  };
  assert.equal(
    text("0:1:0:0", users(["b", false], ["a", true])),
    "conflict Running in: a; conflict: b",
  );
  assert.equal(text("0:1:0:0", users(["a", true])), "running Running in: a");
  assert.equal(text("0:1:0:0", users(["b", false], ["a", false])), "conflict Conflict: a, b");
  assert.equal(text("0:1:0:0", users(["a", false])), "in-use In use by: a");
  // 3/0/0 is on igb: a VM names it, but it is not on ppt(4) yet.
  assert.equal(text("0:3:0:0", users(["a", false])), "not-reserved Not on ppt: a");
  const reserved = buildInventory(input({
    loader: { ...LOADER, reserved: new Map([["3/0/0", "/boot/loader.conf:1 pptdevs"]]) },
    usage: new Map([["0:3:0:0", users(["a", false])]]),
  }));
  assert.equal(reserved.byKey.get("0:3:0:0")!.statusText, "Reserved (reboot): a");
  assert.equal(buildInventory(input()).byKey.get("0:3:0:0")!.statusText, "Not reserved");
});
