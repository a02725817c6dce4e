/**
 * The VM config readers accept what the wrappers accept: rc.conf as sh reads it, vm-bhyve's
 * spellings (tabs, blanks, `pptN`, `pci0:B:S:F`) and forks, ZFS mountpoints, Hoster's JSON as
 * Go's decoder reads it (case-insensitive keys, last duplicate, type errors, rescued strings),
 * Hoster's config directory and replicas, CBSD's workdir; and every finding names its file and
 * line.
 */

import assert from "node:assert/strict";
import { defaultConfig, type PptkitConfig } from "../core/config.ts";
import { withLocation } from "../core/findings.ts";
import { parsePciconf } from "../core/pciconf.ts";
import { readCbsdVms } from "../core/vms/cbsd.ts";
import type { HosterGuest, VmBhyveGuest } from "../core/vms/guest.ts";
import { parseHosterVmConfig, readHosterVms } from "../core/vms/hoster.ts";
import { loadVmConfigs } from "../core/vms/index.ts";
import { readShAssignments } from "../core/vms/sh.ts";
import { resolveMountpoint, resolveNamed, type VmConfig } from "../core/vms/types.ts";
import { computeUsage } from "../core/vms/usage.ts";
import { parseRcConfVmDir, parseVmBhyveConfig, vmBhyveDirs } from "../core/vms/vm_bhyve.ts";
import { vmBhyveLayout, vmBhyvePassthru } from "../core/slots/wrappers/vm_bhyve.ts";

/** A host of in-memory files and captures. */
function memHost(files: Record<string, string>, captures: Record<string, string> = {}) {
  return {
    kind: "snapshot" as const,
    readText: (p: string) => Promise.resolve(files[p] ?? null),
    readDir: (p: string) => {
      const prefix = p.endsWith("/") ? p : p + "/";
      const names = new Set(
        Object.keys(files).filter((k) => k.startsWith(prefix)).map((k) =>
          k.slice(prefix.length).split("/")[0]
        ),
      );
      return Promise.resolve(names.size === 0 ? null : [...names].sort());
    },
    capture: (name: string) => Promise.resolve(captures[name] ?? null),
  };
}

function config(overrides: Partial<PptkitConfig> = {}): PptkitConfig {
  return { ...defaultConfig(), ...overrides };
}

function texts(vm: VmConfig): string[] {
  return vm.passthru.map((e) => e.token.text);
}

// ---------------------------------------------------------------------------------------------
// sh

Deno.test("readShAssignments() reads rc.conf as sh does", () => {
  const text = [
    'vm_enable="YES" vm_dir="zfs:zroot/vm"',
    "hostname=h1; export cbsd_workdir='/usr/jails'",
    "# vm_dir=/not",
    'ifconfig_em0="inet 10.0.0.2 # not a comment" # a comment',
    'long="a\\',
    'b"',
    "echo vm_dir=/nor_this",
    'vm_list="a b" vm_delay=5 sleep 1',
    'dir="${HOME}/vm"',
    "escaped=\\$x",
  ].join("\n");
  assert.deepEqual(
    readShAssignments(text).map((a) => [a.name, a.value, a.line, a.expands]),
    [
      ["vm_enable", "YES", 1, false],
      ["vm_dir", "zfs:zroot/vm", 1, false],
      ["hostname", "h1", 2, false],
      ["cbsd_workdir", "/usr/jails", 2, false],
      ["ifconfig_em0", "inet 10.0.0.2 # not a comment", 4, false],
      ["long", "ab", 5, false],
      ["dir", "${HOME}/vm", 9, true],
      ["escaped", "$x", 10, false],
    ],
  );
  assert.deepEqual(parseRcConfVmDir('vm_enable="YES" vm_dir="zfs:zroot/vm"\n'), {
    value: "zfs:zroot/vm",
    line: 1,
  });
});

// ---------------------------------------------------------------------------------------------
// vm-bhyve

const PLACE = {
  dsPath: "/zroot/vm",
  dsDataset: "zroot/vm",
  vmDir: "/zroot/vm",
  fork: null,
  mountpoint: null,
};

Deno.test("vm-bhyve: a tab before a comment and blanks inside the quotes are what bhyve gets", () => {
  const vm = parseVmBhyveConfig(
    'passthru0="1/0/0"\t# the GPU\npassthru1="1/0/1 "\n',
    "/zroot/vm/a/a.conf",
    "a",
    PLACE,
  );
  assert.deepEqual(texts(vm), ["1/0/0", "1/0/1"]);
  assert.deepEqual(vm.findings, []);
  const guest = vm.guest as VmBhyveGuest;
  const lines = vmBhyveLayout(guest, vmBhyvePassthru(guest, vm.passthru)).layout.lines;
  assert.deepEqual(lines.map((l) => l.arg).slice(-2), [
    "0:4:0,passthru,1/0/0",
    "0:4:1,passthru,1/0/1",
  ]);
  // With options, freebsd/vm-bhyve appends ",rom=..." after the tab: the shell splits it off.
  const split = parseVmBhyveConfig(
    'passthru0="2/0/0"\t# gpu\npassthru0_options="rom=/r"\n',
    "/zroot/vm/b/b.conf",
    "b",
    PLACE,
  );
  const g = split.guest as VmBhyveGuest;
  const notes = vmBhyveLayout(g, vmBhyvePassthru(g, split.passthru), "freebsd").layout.notes;
  assert.match(
    notes[0].message,
    /^vm-bhyve splits "0:4:0,passthru,2\/0\/0\t,rom=\/r" at the blank/,
  );
});

Deno.test("vm-bhyve: pptN and pci0:B:S:F spellings, a domain bhyve cannot read, single quotes", () => {
  const file = "/zroot/vm/s/s.conf";
  const vm = parseVmBhyveConfig(
    [
      'passthru0="pci0:4:0:0"',
      'passthru1="ppt1=9:0"',
      'passthru2="pci1:2:0:0"',
      "passthru3='5/0/0'",
      'passthru4="4/0/1"',
    ].join("\n"),
    file,
    "s",
    PLACE,
  );
  assert.deepEqual(texts(vm), ["pci0:4:0:0", "4/0/1"]);
  assert.deepEqual(vm.named?.map((n) => [n.token.name, n.token.pin, n.order]), [
    ["ppt1", { slot: 9, function: 0 }, 1],
  ]);
  const messages = vm.findings.map(withLocation);
  assert.deepEqual(messages, [
    `${file}:3: bhyve reads "pci1:2:0:0" as bus 1, slot 2, function 0: its passthru takes no ` +
    "PCI domain, and only domain 0 works",
    `${file}:4: vm-bhyve keeps single quotes: bhyve gets "'5/0/0'", which is no device`,
  ]);
  // The name resolves against the host's devices, in vm-bhyve's order.
  const devices = parsePciconf(
    "ppt0@pci0:4:0:0:\tclass=0x020000 rev=0x00 hdr=0x80 vendor=0x8086 device=0x1521 " +
      "subvendor=0x8086 subdevice=0x0001\n" +
      "ppt1@pci0:4:0:1:\tclass=0x020000 rev=0x00 hdr=0x00 vendor=0x8086 device=0x1521 " +
      "subvendor=0x8086 subdevice=0x0001\n",
  ).devices;
  const resolved = resolveNamed(vm, devices, "this host");
  // 4/0/1 is named twice (ppt1 and 4/0/1): the second is a duplicate.
  assert.deepEqual(texts(resolved), ["pci0:4:0:0", "ppt1=9:0"]);
  assert.match(resolved.findings.at(-1)!.message, /4\/0\/1 is listed twice/);
  const missing = resolveNamed(
    parseVmBhyveConfig('passthru0="ppt7"\n', file, "s", PLACE),
    devices,
    "this host",
  );
  assert.equal(
    withLocation(missing.findings[0]),
    `${file}:1: this host has no device named ppt7: bhyve fails with "Passthru device ppt7 ` +
      'not found"',
  );
});

Deno.test("vm-bhyve: the fork from lib/vm-run, and ZFS mountpoints other than /pool/ds", async () => {
  const files: Record<string, string> = {
    "/etc/rc.conf": 'vm_enable="YES"; vm_dir="zfs:tank/vm"\n',
    "/data/vm/g/g.conf": 'loader="bhyveload"\npassthru0="1/0/0"\npassthru0_options="rom=/r"\n',
    "/usr/local/lib/vm-bhyve/vm-run": 'config::get "_dev" "passthru${_num}"\n',
  };
  const host = memHost(files);
  // tank/vm inherits from tank's entry.
  const c = config({ sources: ["vm-bhyve"], zfsMountpoints: { tank: "/data" } });
  const scan = await loadVmConfigs(host, c);
  assert.equal(scan.vms[0].file, "/data/vm/g/g.conf");
  const guest = scan.vms[0].guest as VmBhyveGuest;
  assert.equal(guest.fork, "churchers");
  assert.equal(guest.dsDataset, "tank/vm");
  const run = vmBhyveLayout(guest, vmBhyvePassthru(guest, scan.vms[0].passthru));
  assert.deepEqual(run.layout.notes.map((n) => n.message), [
    "VM g is on datastore zfs:tank/vm is /data/vm (inherited from tank (zfsMountpoints in " +
    "pptkit.jsonc))",
    "churchers/vm-bhyve ignores passthru0_options: bhyve gets 1/0/0 without rom=/r",
  ]);
  files["/usr/local/lib/vm-bhyve/vm-run"] = 'config::get "_options" "passthru${_num}_options"\n';
  assert.equal(((await loadVmConfigs(host, c)).vms[0].guest as VmBhyveGuest).fork, "freebsd");
  // Where pptkit cannot see the dataset, it says how it looked.
  const lost = await loadVmConfigs(host, config({ sources: ["vm-bhyve"] }));
  assert.match(
    lost.findings[0].message,
    /^vm-bhyve directory \/tank\/vm does not exist \(vm_dir from \/etc\/rc.conf:1\): zfs:tank\/vm is \/tank\/vm \(ZFS's default mountpoint; pptkit runs no zfs\(8\)\)$/,
  );
  assert.deepEqual(resolveMountpoint("zroot/vm", { "zroot/vm": "/vm" }).path, "/vm");
  assert.deepEqual((await vmBhyveDirs(host, c)).stores[0].dataset, "tank/vm");
});

// ---------------------------------------------------------------------------------------------
// Hoster

const HOSTER_VM = "/usr/local/etc/hoster/host_config.json";

Deno.test("Hoster: keys as Go's decoder matches them, the last duplicate, unknown keys", () => {
  const vm = parseHosterVmConfig(
    `{
  "PassThru": ["9/0/0"],
  "NETWORKS": [{"Network_Adaptor_Type": "e1000", "network_mac": "58:9c:fc:00:00:01"}],
  "disKs": [{"DISK_TYPE": "nvme", "disk_location": "internal", "Disk_Image": "d.img"}],
  "\u212aeep": 1,
  "pa\u017fsthru": ["1/0/0", "1/0/1"],
  "vnc_port": 5901,
  "loader": "uefi"
}`,
    "/zroot/vm/h/vm_config.json",
    "h",
  );
  assert.deepEqual(texts(vm), ["1/0/0", "1/0/1"]);
  assert.equal(vm.passthru[0].line, 6);
  assert.deepEqual(vm.findings, []);
  const guest = vm.guest as HosterGuest;
  assert.deepEqual(guest.networks.map((n) => n.type), ["e1000"]);
  assert.deepEqual(guest.disks.map((d) => `${d.type} ${d.location} ${d.image}`), [
    "nvme internal d.img",
  ]);
});

Deno.test("Hoster: a type error hides the VM from Hoster; FixVmConfig's strings are rescued", () => {
  const file = "/zroot/vm/t/vm_config.json";
  const bad = parseHosterVmConfig(
    '{\n"passthru": ["1/0/0"],\n"production": "yes"\n}',
    file,
    "t",
  );
  assert.equal(bad.guest, undefined);
  assert.equal(
    withLocation(bad.findings[0]),
    `${file}:3: Hoster cannot read this config: "production" must be true or false, not a ` +
      'string "yes"',
  );
  const legacy = parseHosterVmConfig(
    '{"cpu_sockets": "1", "cpu_cores": 2.0, "vnc_port": "5905", "passthru": ["1/0/0"]}',
    file,
    "t",
  );
  assert.deepEqual(legacy.findings, []);
  assert.equal((legacy.guest as HosterGuest).vncPort, 5905);
  // Only the exact lower-case key is converted.
  const upper = parseHosterVmConfig('{"CPU_CORES": "2"}', file, "t");
  assert.match(upper.findings[0].message, /"CPU_CORES" must be a number/);
});

Deno.test("Hoster: /usr/local/etc/hoster, and a replica is no user of its devices here", async () => {
  const vm = (parent: string) =>
    JSON.stringify({ parent_host: parent, loader: "uefi", passthru: ["1/0/0"] });
  const host = memHost({
    [HOSTER_VM]: '{"active_datasets": ["zroot/vm-encrypted"]}',
    "/etc/rc.conf": 'hostname="node1"\n',
    "/zroot/vm-encrypted/here/vm_config.json": vm("node1"),
    "/zroot/vm-encrypted/copy/vm_config.json": vm("node2"),
  });
  const scan = await readHosterVms(host, config());
  assert.deepEqual(scan.vms.map((v) => [v.vm, v.inactive ?? "active"]), [
    [
      "copy",
      'a replica: its parent_host is "node2", this host is "node1", and Hoster starts it on its ' +
      "parent only",
    ],
    ["here", "active"],
  ]);
  const devices = parsePciconf(
    "ppt0@pci0:1:0:0:\tclass=0x030000 rev=0x00 hdr=0x80 vendor=0x10de device=0x1cb2 " +
      "subvendor=0x10de subdevice=0x11bd\n",
  ).devices;
  const usage = computeUsage(devices, scan.vms, new Set());
  assert.equal(usage.byDevice.get("0:1:0:0")!.statusText, "In use by: here");
});

// ---------------------------------------------------------------------------------------------
// CBSD

Deno.test("CBSD: the table is preferred to the listing; the workdir comes from rc.conf", async () => {
  const table = '[{"ppt":"1/0/0","jname":"win10"},\n{"ppt":"3/0/0","jname":"0"}]\n';
  const listing = "1/0/0 :  GPU :  NVIDIA : other\n";
  const both = await readCbsdVms(
    memHost({ "/etc/rc.conf": 'cbsd_workdir="/jails"\n' }, {
      "cbsd-bhyveppt": table,
      cbsd: listing,
    }),
  );
  assert.deepEqual(both.vms.map((v) => [v.vm, v.file]), [
    ["win10", "CBSD bhyveppt table of /jails/var/db/local.sqlite"],
  ]);
  assert.deepEqual(both.findings, []);
  const fallback = await readCbsdVms(memHost({}, { cbsd: listing }));
  assert.deepEqual(fallback.vms.map((v) => v.vm), ["other"]);
  assert.match(
    fallback.findings[0].message,
    /cbsd_workdir is not set in \/etc\/rc\.conf: pptkit takes \/usr\/jails/,
  );
  assert.equal((await readCbsdVms(memHost({}))).found, false);
});

Deno.test("CBSD: a VM name that is no path component reads no bhyve.conf", async () => {
  const read: string[] = [];
  const host = {
    kind: "snapshot" as const,
    readText: (p: string) => {
      read.push(p);
      return Promise.resolve(null);
    },
    capture: (name: string) =>
      Promise.resolve(name === "cbsd-bhyveppt" ? '[{"ppt":"1/0/0","jname":"../../etc"}]\n' : null),
  };
  const scan = await readCbsdVms(host);
  assert.deepEqual(scan.vms.map((v) => v.vm), ["../../etc"]);
  assert.ok(read.every((p) => !p.includes("..")), read.join(" "));
  // cbsd_workdir must be an absolute path: it becomes sqlite3's argument.
  const asked: (string | undefined)[] = [];
  const odd = {
    kind: "live" as const,
    readText: (p: string) =>
      Promise.resolve(p === "/etc/rc.conf" ? 'cbsd_workdir="-init x"\n' : null),
    capture: (_name: string, path?: string) => {
      asked.push(path);
      return Promise.resolve(null);
    },
  };
  assert.equal((await readCbsdVms(odd)).found, false);
  // Not set as an absolute path: on a live host CBSD is not set up, sqlite3 is not asked.
  assert.deepEqual(asked, [undefined]);
});
