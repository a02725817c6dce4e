/**
 * The wrapper models against the wrappers' own output: every vm-bhyve fixture's whole `-s`
 * list and `-S` for both forks (fixtures/layouts/vm-bhyve, recorded from churchers/vm-bhyve
 * 6e91ff5 and freebsd/vm-bhyve 89c21d0 run with stub commands), every Hoster fixture's (recorded
 * from HosterCore's GenerateBhyveStartCmd), CBSD's bus map and listings; then the plans fed
 * back: what `plan --format vm-bhyve` / `hoster` / `bhyve-config` prints, read back through the
 * same model, gives exactly the planned slots.
 */

import assert from "node:assert/strict";
import { detectIommu } from "../core/acpi.ts";
import { addressKey, bsfAddress } from "../core/address.ts";
import { BY_ID } from "../core/explain/catalogue/index.ts";
import { parseCommand } from "../core/explain/cmdline.ts";
import { lintCommand } from "../core/explain/lint.ts";
import { buildInventory, type Inventory, runningKernelFacts } from "../core/inventory.ts";
import { parsePciconf } from "../core/pciconf.ts";
import { formatPlan } from "../core/slots/formats.ts";
import { entryAddresses, type GuestLayout, slotLine } from "../core/slots/layout.ts";
import { layoutLint, PPT_NAMES_SINCE } from "../core/slots/lint.ts";
import { type Plan, planVm } from "../core/slots/plan.ts";
import { bhyveCommandLayout, bhyveConfigLayout } from "../core/slots/wrappers/bhyve.ts";
import { cbsdLayout } from "../core/slots/wrappers/cbsd.ts";
import { hosterLayout, hosterPassthru } from "../core/slots/wrappers/hoster.ts";
import { vmBhyveLayout, vmBhyvePassthru } from "../core/slots/wrappers/vm_bhyve.ts";
import { parseBhyveppt, parseCbsdPptList, readLastStart } from "../core/vms/cbsd.ts";
import type { CbsdGuest, HosterGuest, VmBhyveFork, VmBhyveGuest } from "../core/vms/guest.ts";
import { parseHosterVmConfig } from "../core/vms/hoster.ts";
import { parseNativeConfig } from "../core/vms/native.ts";
import type { VmConfig } from "../core/vms/types.ts";
import { parseVmBhyveConfig, type VmBhyvePlace } from "../core/vms/vm_bhyve.ts";
import { judgeVm } from "../core/verdict.ts";
import { copyDir, DEMO, FIXTURES, LAUNCHER, pptkit, scratch } from "./helpers.ts";

const LAYOUTS = `${FIXTURES}/layouts`;
const DEVICES = parsePciconf(Deno.readTextFileSync(`${LAYOUTS}/pciconf.txt`)).devices;

function dirs(path: string): string[] {
  return [...Deno.readDirSync(path)].filter((e) => e.isDirectory).map((e) => e.name).sort();
}

/** The `-s` values of a recorded command line, and whether it has `-S`. */
function recorded(line: string): { slots: string[]; wired: boolean } {
  const words = line.trim().split(/\s+/);
  const slots: string[] = [];
  for (let i = 0; i < words.length; i++) if (words[i] === "-s") slots.push(words[++i]);
  return { slots, wired: words.includes("-S") };
}

/**
 * A `-s` as compared: everything, except what only the start itself decides (the tap a NIC
 * gets, the VNC port and password): NIC and framebuffer lines by slot field and model.
 */
function shape(arg: string): string {
  const m = /^([^,]*),(virtio-net|e1000|fbuf),/.exec(arg);
  return m === null ? arg : `${m[1]},${m[2]}`;
}

/** Asserts that a layout puts every device of the plan where the plan says. */
function assertPlaced(layout: GuestLayout, plan: Plan, what: string, bus0 = false): void {
  const at = entryAddresses(layout);
  for (const p of plan.placements) {
    assert.deepEqual(at.get(addressKey(p.address)), {
      bus: bus0 ? 0 : p.bus,
      slot: p.slot,
      function: p.function,
    }, `${what}: ${p.bsf}`);
  }
}

// ---------------------------------------------------------------------------------------------
// vm-bhyve

interface VmBhyveFixture {
  readonly name: string;
  readonly text: string;
  readonly place: VmBhyvePlace;
  /** `vm install NAME ISO` was run: the ISO's -s is not part of `vm start`. */
  readonly install: boolean;
}

function vmBhyveFixture(name: string, fork: VmBhyveFork | null = "freebsd"): VmBhyveFixture {
  const dir = `${LAYOUTS}/vm-bhyve/${name}`;
  let meta: { datastore?: string; install?: string } = {};
  try {
    meta = JSON.parse(Deno.readTextFileSync(`${dir}/fixture.json`));
  } catch {
    // the default datastore
  }
  const ds = meta.datastore ?? "/zroot/vm";
  // The recording host: vm_dir zfs:zroot/vm, datastores zfs:tank/vms and the directory /ssd/vms.
  const dataset = ds === "/zroot/vm" ? "zroot/vm" : ds === "/tank/vms" ? "tank/vms" : null;
  return {
    name,
    text: Deno.readTextFileSync(`${dir}/${name}.conf`),
    place: { dsPath: ds, dsDataset: dataset, vmDir: "/zroot/vm", fork, mountpoint: null },
    install: meta.install !== undefined,
  };
}

/** The place of a guest on the datastores of fixtures/vms (zfs:zroot/vm, the directory /fast/vm). */
function placeOf(ds: string): VmBhyvePlace {
  return {
    dsPath: ds,
    dsDataset: ds === "/zroot/vm" ? "zroot/vm" : null,
    vmDir: "/zroot/vm",
    fork: null,
    mountpoint: null,
  };
}

function vmBhyveVm(f: VmBhyveFixture, text = f.text): VmConfig {
  return parseVmBhyveConfig(text, `${f.place.dsPath}/${f.name}/${f.name}.conf`, f.name, f.place);
}

function vmBhyveRun(vm: VmConfig, fork?: VmBhyveFork): GuestLayout {
  const guest = vm.guest as VmBhyveGuest;
  return vmBhyveLayout(guest, vmBhyvePassthru(guest, vm.passthru), fork).layout;
}

Deno.test("vm-bhyve model: every fixture's whole -s list and -S, both forks", () => {
  let checked = 0;
  for (const name of dirs(`${LAYOUTS}/vm-bhyve`)) {
    for (const fork of ["churchers", "freebsd"] as const) {
      const f = vmBhyveFixture(name, fork);
      const file = fork === "churchers" ? "expected-bhyve.txt" : "expected-bhyve.freebsd.txt";
      // One line per bhyve run; the first is the start.
      const runs = Deno.readTextFileSync(`${LAYOUTS}/vm-bhyve/${name}/${file}`).split("\n");
      const want = recorded(runs[0]);
      // vm install adds the ISO at install_slot; pptkit predicts vm start.
      const slots = want.slots.filter((s) => !(f.install && /^\d+:0,ahci-cd,.*,ro/.test(s)));
      const layout = vmBhyveRun(vmBhyveVm(f), fork);
      assert.deepEqual(layout.lines.map((l) => shape(l.arg)), slots.map(shape), `${name} ${fork}`);
      assert.equal(layout.wired, want.wired, `${name} ${fork}: -S`);
      checked++;
    }
  }
  assert.equal(checked, 68);
});

Deno.test("vm-bhyve model: the lint says what vm-bhyve's own layout gets wrong", () => {
  const lint = (name: string) => {
    const f = vmBhyveFixture(name);
    const layout = vmBhyveRun(vmBhyveVm(f));
    return layoutLint(layout, { vm: name, file: "f.conf", fix: undefined })
      .map((x) => `${x.code}: ${x.message}`);
  };
  assert.deepEqual(lint("windows-uefi-gpu-audio"), []);
  assert.deepEqual(lint("pins-only-graphics"), [
    "slot-collision: vm-bhyve puts passthru0 2/0/0 and xhci (xhci_mouse) all at 0:8:0: bhyve " +
    'refuses the second ("pci slot 0:8:0 already occupied!")',
  ]);
  assert.match(
    lint("pin-collides")[0],
    /^slot-collision: vm-bhyve puts virtio-net \(network0\) and passthru0 2\/0\/0 all at 0:5:0/,
  );
  assert.deepEqual(lint("nine-functions-one-bus"), [
    "guest-function-range: vm-bhyve would give passthru8 5/1/0 guest function 8 (0:6:8), but " +
    "bhyve guest functions are 0-7",
  ]);
  // An empty start_slot puts the first disk on the host bridge's 0:0.
  assert.match(
    lint("empty-start-slot")[0],
    /^slot-collision: vm-bhyve puts hostbridge and virtio-blk \(disk0\) all at 0:0:0/,
  );
  // bhyve reads vm-bhyve's 0::0 as 0:0:0: a warning; neither is pptkit's to fix.
  const empty = layoutLint(vmBhyveRun(vmBhyveVm(vmBhyveFixture("empty-start-slot"))), {
    vm: "e",
    file: "f.conf",
    fix: "pptkit plan e --format vm-bhyve",
  });
  assert.deepEqual(empty.map((f) => [f.level, f.code, f.fix]), [
    ["error", "slot-collision", undefined],
    ["warn", "guest-slot-syntax", undefined],
  ]);
  assert.match(
    empty[1].message,
    /^vm-bhyve passes -s 0::0,virtio-blk,.*: bhyve reads "0::0" as 0:0:0 and ignores "::0"/,
  );
  assert.deepEqual(lint("overflow-bus1"), []);
});

Deno.test("vm-bhyve: plan --format vm-bhyve read back gives the planned slots, for every fixture", () => {
  let planned = 0, changed = 0, left = 0;
  for (const name of dirs(`${LAYOUTS}/vm-bhyve`)) {
    const f = vmBhyveFixture(name);
    const vm = vmBhyveVm(f);
    if (vm.findings.some((x) => x.level === "error")) continue;
    let plan: Plan;
    try {
      plan = planVm(vm, DEVICES);
    } catch {
      continue; // a device the host lacks, or a slot rule: no plan to write
    }
    if (vm.passthru.length === 0) continue;
    planned++;
    const lines = formatPlan(plan, "vm-bhyve");
    // Put the lines into the config in place of its passthru lines, as the finding says.
    const kept = f.text.split("\n").filter((l) => !l.startsWith("passthru")).join("\n");
    assertPlaced(vmBhyveRun(vmBhyveVm(f, `${kept}\n${lines}`)), plan, name);
    // The plan is what vm-bhyve runs: nothing pptkit plans is linted as wrong.
    assert.deepEqual(
      layoutLint(plan.layout, { vm: name, file: null, fix: undefined })
        .filter((x) => x.device !== undefined),
      [],
      name,
    );
    if (plan.change?.changed) changed++;
    else {
      left++;
      // Left alone: the lines are the config's own.
      for (const line of lines.trim().split("\n")) {
        assert.ok(f.text.includes(line), `${name}: ${line}`);
      }
    }
  }
  assert.ok(planned >= 28, `only ${planned} fixtures planned`);
  assert.ok(changed >= 4 && left >= 20, `${changed} changed, ${left} left alone`);
});

Deno.test("vm-bhyve: the guests of fixtures/vms and fixtures/verdict read back as planned too", () => {
  const devices = parsePciconf(Deno.readTextFileSync(`${FIXTURES}/vms/pciconf.txt`)).devices;
  const guests = [
    ["vms", "/zroot/vm", "win10"],
    ["vms", "/zroot/vm", "nic"],
    ["vms", "/fast/vm", "fbsd"],
    ["verdict", "/zroot/vm", "pinned"],
  ];
  const results: string[] = [];
  for (const [tree, ds, name] of guests) {
    const file = `${ds}/${name}/${name}.conf`;
    const text = Deno.readTextFileSync(`${FIXTURES}/${tree}/vm-bhyve/root${file}`);
    const place = { ...placeOf(ds), fork: "freebsd" as const };
    const vm = parseVmBhyveConfig(text, file, name, place);
    let plan: Plan;
    try {
      plan = planVm(vm, devices);
    } catch (e) {
      results.push(`${name}: ${(e as Error).message}`);
      continue;
    }
    const lines = formatPlan(plan, "vm-bhyve");
    const kept = text.split("\n").filter((l) => !l.startsWith("passthru")).join("\n");
    assertPlaced(
      vmBhyveRun(parseVmBhyveConfig(`${kept}\n${lines}`, file, name, place)),
      plan,
      name,
    );
    results.push(`${name}: ${lines.trim().replaceAll("\n", " ")}`);
  }
  assert.deepEqual(results, [
    // Pinned at 7, where vm-bhyve puts fbuf: re-pinned at 6, where its passthru starts.
    'win10: passthru0="2/0/0=6:0" passthru0_options="rom=/zroot/vm/.config/gp107.rom" ' +
    'passthru1="2/0/1=6:1"',
    'nic: passthru0="6/0/0" passthru1="6/0/1"',
    'fbsd: passthru0="4/0/0" passthru1="4/0/1" passthru1_options="rom=/fast/vm/.config/qla.rom,bootindex=1"',
    "pinned: VM pinned: guest slot 8 has 1/0/1=8:1 pinned but no function 0: the guest would " +
    "not see the slot",
  ]);
});

Deno.test("vm-bhyve: the smallest change: reorder a card's functions, re-pin a pin that collides", () => {
  const plan = (name: string) => planVm(vmBhyveVm(vmBhyveFixture(name)), DEVICES);
  // 2/0/0, 7/0/0, 2/0/1: vm-bhyve splits the card; the functions go next to each other.
  assert.equal(
    formatPlan(plan("linux-grub-nonconsecutive"), "vm-bhyve"),
    'passthru0="2/0/0"\npassthru1="2/0/1"\npassthru2="7/0/0"\n',
  );
  // Pins at 8 meet xhci at 8 (vm-bhyve moves its counter on by one for pins too).
  const pins = plan("pins-only-graphics");
  assert.equal(formatPlan(pins, "vm-bhyve"), 'passthru0="2/0/0=6:0"\npassthru1="2/0/1=6:1"\n');
  assert.match(formatPlan(pins, "layout"), /\* -s 0:6:0,passthru,2\/0\/0 +passthru0\n/);
  assert.match(formatPlan(pins, "layout"), / {2}-s 0:7:0,fbuf,tcp=0\.0\.0\.0:5910 +graphics\n/);
  // A ninth function on the same host bus gets a slot of its own by a pin.
  assert.match(formatPlan(plan("nine-functions-one-bus"), "vm-bhyve"), /passthru8="5\/1\/0=7:0"/);
  // Already right: the config's lines.
  assert.equal(
    formatPlan(plan("windows-uefi-gpu-audio"), "vm-bhyve"),
    'passthru0="1/0/0"\npassthru1="1/0/1"\n',
  );
});

// ---------------------------------------------------------------------------------------------
// Hoster

function hosterVm(name: string, text?: string): VmConfig {
  const file = `/zroot/vm-encrypted/${name}/vm_config.json`;
  const json = text ?? Deno.readTextFileSync(`${LAYOUTS}/hoster/${name}/vm_config.json`);
  return parseHosterVmConfig(json, file, name, "hoster-node-01");
}

function hosterRun(vm: VmConfig): GuestLayout {
  const guest = vm.guest as HosterGuest;
  return hosterLayout(guest, hosterPassthru(guest, vm.passthru));
}

Deno.test("Hoster model: every fixture's whole -s list and -S; a replica is not started", () => {
  let checked = 0;
  for (const name of dirs(`${LAYOUTS}/hoster`)) {
    const line = Deno.readTextFileSync(`${LAYOUTS}/hoster/${name}/expected-bhyve.txt`).trim();
    const vm = hosterVm(name);
    if (line === "") {
      assert.match(vm.inactive ?? "", /replica: its parent_host is "hoster-node-02"/, name);
      continue;
    }
    assert.equal(vm.inactive, undefined, name);
    const want = recorded(line);
    const layout = hosterRun(vm);
    assert.deepEqual(layout.lines.map((l) => shape(l.arg)), want.slots.map(shape), name);
    assert.equal(layout.wired, want.wired, `${name}: -S`);
    checked++;
  }
  assert.equal(checked, 16);
});

Deno.test("Hoster: plan --format hoster read back gives the planned slots", () => {
  let planned = 0;
  for (const name of dirs(`${LAYOUTS}/hoster`)) {
    const vm = hosterVm(name);
    if (vm.findings.some((f) => f.level === "error") || vm.passthru.length === 0) continue;
    const plan = planVm(vm, DEVICES);
    planned++;
    const config = JSON.parse(Deno.readTextFileSync(`${LAYOUTS}/hoster/${name}/vm_config.json`));
    for (const key of Object.keys(config)) if (key.toLowerCase() === "passthru") delete config[key];
    config.passthru = JSON.parse(formatPlan(plan, "hoster"));
    const layout = hosterRun(hosterVm(name, JSON.stringify(config)));
    assertPlaced(layout, plan, name);
    assert.deepEqual(layoutLint(layout, { vm: name, file: null, fix: undefined }), [], name);
  }
  assert.ok(planned >= 10, `only ${planned}`);
  // The GPU of a fresh deploy lands at 6, after NIC 2, disk0 3, seed.iso 4 and fbuf 5.
  const gpu = planVm(hosterVm("gpu-audio-vm"), DEVICES);
  assert.equal(formatPlan(gpu, "args"), "-S -s 6:0,passthru,3/0/0 -s 6:1,passthru,3/0/1\n");
  // -3/0/0 alone leaves 3/0/1 at function 1 of a slot without function 0: both get a -.
  const dash = planVm(hosterVm("dash-split-vm"), DEVICES);
  assert.equal(formatPlan(dash, "hoster"), '["-3/0/0","-3/0/1"]\n');
  assert.equal(formatPlan(dash, "args"), "-S -s 6:0,passthru,3/0/0 -s 7:0,passthru,3/0/1\n");
});

Deno.test("Hoster: the lint of Hoster's own layout names its quirks", () => {
  const lint = (name: string) =>
    layoutLint(hosterRun(hosterVm(name)), { vm: name, file: "f", fix: undefined }).map((f) =>
      `${f.code}: ${f.message}`
    );
  assert.deepEqual(lint("gpu-audio-vm"), []);
  assert.deepEqual(lint("dash-split-vm"), [
    "missing-function0: dash-split-vm passes 3/0/1 without function 0 of that device: Hoster " +
    "puts it at 0:7:1 and nothing at 0:7:0, so the guest will not see the slot",
  ]);
  assert.match(
    lint("sriov-vf-vm")[0],
    /Hoster would give 6\/0\/130 guest function 130 \(0:7:130\)/,
  );
});

// ---------------------------------------------------------------------------------------------
// CBSD

Deno.test("CBSD listings: all three generations, colour or not, and the rows 13.2.2 hides", () => {
  const vms = (file: string) => {
    const scan = parseCbsdPptList(Deno.readTextFileSync(`${LAYOUTS}/cbsd/${file}`));
    return {
      vms: scan.vms.map((v) => `${v.vm}: ${v.passthru.map((e) => e.token.text).join(" ")}`),
      findings: scan.findings.map((f) => f.message),
    };
  };
  const old = { vms: ["fbsd1: 3/0/1", "win10: 1/0/0 1/0/1"], findings: [] };
  assert.deepEqual(vms("list-gen1.txt"), old);
  // 13.0.19-13.2.1 print \- for no VM: not a VM named \-.
  assert.deepEqual(vms("list-gen2.txt"), old);
  for (const file of ["list-gen3.txt", "list-gen3-nocolor.txt"]) {
    const gen3 = vms(file);
    assert.deepEqual(gen3.vms, ["fbsd1: 3/0/1", "win10: 1/0/1"], file);
    assert.match(gen3.findings[0], /shows 3 of its 5 ppt devices .* the other 2$/);
  }
  const jname = vms("list-gen3-jname.txt");
  assert.deepEqual(jname.vms, []);
  assert.match(jname.findings[0], /no VM column/);
});

Deno.test("CBSD bhyveppt: every schema generation, stale rows, unassigned rows", () => {
  const scan = parseBhyveppt(Deno.readTextFileSync(`${LAYOUTS}/cbsd/bhyveppt.json`), "db")!;
  assert.deepEqual(scan.vms.map((v) => [v.vm, v.passthru.map((e) => e.token.text)]), [
    ["fbsd1", ["3/0/1"]],
    ["oldvm", ["7/0/0"]],
    ["win10", ["1/0/0", "1/0/1"]],
  ]);
  const win10 = scan.vms[2].guest as CbsdGuest;
  assert.deepEqual(win10.ppts.map((p) => [p.ppt, p.class, p.line]), [
    ["1/0/0", "0", 1],
    ["1/0/1", "multimedia", 2],
  ]);
  // CBSD 13.0.18 and older: four columns, no class; jname 0 means no VM.
  const old = parseBhyveppt(Deno.readTextFileSync(`${LAYOUTS}/cbsd/bhyveppt-13.0.json`), "db")!;
  assert.deepEqual(old.vms.map((v) => v.vm), ["router"]);
  assert.equal((old.vms[0].guest as CbsdGuest).ppts[0].class, null);
  // sqlite3 prints nothing at all for no rows; what is not JSON is not the table.
  assert.deepEqual(parseBhyveppt("", "db"), { vms: [], findings: [] });
  assert.equal(parseBhyveppt("Error: in prepare, no such table: bhyveppt", "db"), null);
});

Deno.test("CBSD model: the bus map of the last start, a new device's slot, no wired memory", async () => {
  const host = {
    readText: (path: string) => {
      try {
        return Promise.resolve(Deno.readTextFileSync(`${LAYOUTS}/cbsd/root${path}`));
      } catch {
        return Promise.resolve(null);
      }
    },
  };
  const scan = parseBhyveppt(Deno.readTextFileSync(`${LAYOUTS}/cbsd/bhyveppt.json`), "db")!;
  const guestOf = async (vm: string) => {
    const config = scan.vms.find((v) => v.vm === vm)!;
    const last = await readLastStart(host, "/usr/jails", vm, []);
    return { config, guest: { ...(config.guest as CbsdGuest), lastStart: last } };
  };
  const win10 = await guestOf("win10");
  const layout = cbsdLayout(win10.guest, win10.config.passthru, "win10");
  // Disk, NIC and passthru keep their slots; fbuf's old row (8) still blocks 8, so it takes 9.
  assert.deepEqual(layout.lines.map((l) => shape(l.arg)), [
    "0,hostbridge",
    "4,virtio-blk,/usr/jails/vm/win10/dsk1.vhd",
    "5,virtio-net",
    "6,passthru,1/0/0",
    "7,passthru,1/0/1",
    "9,fbuf",
    "30,xhci,tablet",
    "31,lpc",
  ]);
  assert.equal(layout.wired, true);
  assert.deepEqual(layoutLint(layout, { vm: "win10", file: null, fix: undefined }), []);
  // A device attached since the last start takes the first slot no device had: 9, and fbuf 10.
  const more = {
    ...win10.guest,
    ppts: [...win10.guest.ppts, { ppt: "3/0/0", class: "network", address: null, line: 3 }],
  };
  const grown = cbsdLayout(more, win10.config.passthru, "win10").lines.map((l) => shape(l.arg));
  assert.ok(grown.includes("9,passthru,3/0/0") && grown.includes("10,fbuf"), grown.join(" "));
  // A display-class device that never had a slot takes slot 2.
  const gpu = {
    ...win10.guest,
    ppts: [{ ppt: "2/0/0", class: "display", address: null, line: 1 }],
  };
  assert.ok(cbsdLayout(gpu, [], "win10").lines.some((l) => l.arg === "2,passthru,2/0/0"));
  // fbsd1 ran without wired memory: CBSD drops every passthru device.
  const fbsd1 = await guestOf("fbsd1");
  const dropped = cbsdLayout(fbsd1.guest, fbsd1.config.passthru, "fbsd1");
  assert.ok(dropped.lines.every((l) => l.passthru === null));
  assert.equal(dropped.notes[0].code, "not-wired");
  assert.match(dropped.notes[0].fix!, /cbsd bset jname=fbsd1 bhyve_wire_memory=1/);
  // oldvm never started: only the fixed slots are known, and the plan says so.
  const oldvm = await guestOf("oldvm");
  const first = cbsdLayout(oldvm.guest, oldvm.config.passthru, "oldvm");
  assert.deepEqual(first.lines.map((l) => l.arg), ["0,hostbridge", "4,passthru,7/0/0", "31,lpc"]);
  assert.match(first.notes[0].message, /no bhyve\.conf of an earlier start/);
});

// ---------------------------------------------------------------------------------------------
// bhyve config files and command lines

Deno.test("slotLine() reads -s and its passthru device as bhyve does", () => {
  const parseSlot = (arg: string) => slotLine(arg, "-s");
  assert.deepEqual([
    parseSlot("6,passthru,1/0/0").slot,
    parseSlot("6:1,x").function,
    parseSlot("1:6:2,x").bus,
  ], [6, 1, 1]);
  assert.match(parseSlot("6:0").problem ?? "", /no comma/);
  assert.equal(parseSlot("6:0").readable, false);
  assert.match(parseSlot("0x6,passthru,1/0/0").problem ?? "", /decimal/);
  // sscanf reads a prefix: 0x6 is slot 0, vm-bhyve's 0::0 is 0:0:0; bhyve runs with both.
  assert.deepEqual([parseSlot("0x6,x").readable, parseSlot("0x6,x").slot], [true, 0]);
  assert.deepEqual(
    [parseSlot("0::0,x").slot, parseSlot("0::0,x").function, parseSlot("0:6,x").problem],
    [0, 0, null],
  );
  assert.equal(parseSlot("x,hostbridge").readable, false);
  const dev = (conf: string) => parseSlot(`6:0,passthru,${conf}`).passthru!;
  assert.deepEqual([dev("1/0/0,rom=/r.rom").spelling, dev("1/0/0,rom=/r.rom").options], ["bsf", [
    "rom=/r.rom",
  ]]);
  assert.deepEqual([dev("pci0:1:0:0").spelling, dev("pci0:1:0:0").address?.bus], ["pci0", 1]);
  // pci1:2:0:0 fails "pci0:%d:%d:%d" and is read by "pci%d:%d:%d" as bus 1, slot 2, function 0
  assert.deepEqual(dev("pci1:2:0:0").address, { domain: 0, bus: 1, slot: 2, function: 0 });
  assert.deepEqual([dev("ppt3").spelling, dev("ppt3").device], ["ppt", "ppt3"]);
  assert.equal(dev("129:0:0").spelling, "invalid");
  // Trailing text is ignored, as sscanf does; the host address is the line's too.
  assert.deepEqual(parseSlot("6:0,passthru,3/0/0junk").address, bsfAddress(3, 0, 0));
  assert.equal(parseSlot("6:0,virtio-blk,/a.img").address, undefined);
});

Deno.test("bhyve-config: plan --format bhyve-config read back as bhyve reads it gives the slots", () => {
  const vm = parseNativeConfig(
    '{"passthru": ["1/0/0", "1/0/1", "6/0/0", "6/0/130", "-3/0/1"]}',
    "/vms/v.jsonc",
    "v",
  );
  const plan = planVm(vm, DEVICES);
  const layout = bhyveConfigLayout(formatPlan(plan, "bhyve-config"), vm.passthru);
  assert.equal(layout.wired, true);
  assertPlaced(layout, plan, "bhyve-config", true);
  assert.deepEqual(layoutLint(layout, { vm: "v", file: null, fix: undefined }), []);
});

Deno.test("bhyve command line: the plan takes the slots the -s and -k leave free", () => {
  const vm = parseNativeConfig('{"passthru": ["1/0/0", "1/0/1", "3/0/0"]}', "/vms/v.jsonc", "v");
  const files = new Map([[
    "/vm/v.conf",
    "# devices\npci.0.6.0.device=virtio-rnd\npci.0.07.0.device=x\n",
  ]]);
  const args = [
    "-c",
    "2",
    "-m",
    "4G",
    "-H",
    "-s",
    "0,hostbridge",
    "-s",
    "4,virtio-blk,/vm/v.img",
    "-k",
    "/vm/v.conf",
    "-s",
    "31,lpc",
  ];
  const plan = planVm(vm, DEVICES, { command: { args, files } });
  // From the first slot (6), past the file's virtio-rnd at 6.
  assert.equal(
    formatPlan(plan, "args"),
    "-S -s 7:0,passthru,1/0/0 -s 7:1,passthru,1/0/1 -s 8:0,passthru,3/0/0\n",
  );
  assert.deepEqual(plan.layout.lines.map((l) => l.arg), [
    "0,hostbridge",
    "4,virtio-blk,/vm/v.img",
    "31,lpc",
    "0:6:0,virtio-rnd",
    "7:0,passthru,1/0/0",
    "7:1,passthru,1/0/1",
    "8:0,passthru,3/0/0",
  ]);
  // pci.0.07.0 is a node bhyve never visits.
  assert.match(plan.layout.notes[0].message, /bhyve never reads pci\.0\.07\.0\.device/);
  assert.deepEqual(layoutLint(plan.layout, { vm: "v", file: null, fix: undefined }), []);
  // Two -s on one slot, and passthru given without -S: the lint says both.
  const bad = bhyveConfigLayout("pci.0.5.0.device=passthru\npci.0.5.0.pptdev=ppt0\n");
  const codes = layoutLint(
    { ...bad, lines: [...bad.lines, ...bad.lines] },
    { vm: "v", file: null, fix: undefined },
  ).map((f) => f.code);
  assert.deepEqual(codes, ["slot-collision", "not-wired"]);
});

/** The layout fixtures' host at a release, as the verdict engine gets it. */
function layoutsHost(release: string | null): Inventory {
  return buildInventory({
    listing: { devices: [...DEVICES], skipped: [], capabilitiesKnown: true },
    iommu: detectIommu(null),
    loader: runningKernelFacts(null),
    kldstat: null,
    sysctl: null,
    release,
    snapshot: false,
  });
}

Deno.test("one lint: plan's verdict and explain read and judge a bhyve command line alike", () => {
  const args = [
    "-s",
    "0,hostbridge",
    "-s",
    "0x4,virtio-blk,/vm/v.img",
    "-s",
    "5:0,passthru,ppt1",
    "-s",
    "31,lpc",
  ];
  const entry = parseNativeConfig('{"passthru": ["3/0/0"]}', "/vms/v.jsonc", "v").passthru;
  const judged = (release: string | null) =>
    judgeVm(
      {
        vm: "v",
        source: "native",
        file: null,
        entries: entry,
        findings: [],
        command: { args, files: new Map() },
      },
      { inventory: layoutsHost(release), plugins: null, ownership: null },
    ).findings.filter((f) =>
      f.code === "passthru-spelling" || f.code.startsWith("guest-slot") ||
      f.code === "slot-collision"
    );
  const old = judged("13.2-RELEASE");
  assert.deepEqual(old.map((f) => `${f.level} ${f.code}`), [
    "error slot-collision",
    "warn guest-slot-syntax",
    "error passthru-spelling",
  ]);
  // 0x4 is read as slot 0, where the host bridge is.
  assert.match(old[0].message, /^bhyve-run puts hostbridge and virtio-blk all at 0:0:0/);
  assert.match(old[1].message, /bhyve reads "0x4" as 0:0:0 and ignores "x4"/);
  // A command line written by hand (bhyve-run's) gets how to write it right; a wrapper's, not.
  assert.deepEqual([old[0].fix, old[1].fix], [
    "give each device its own slot:function",
    "write the slot field in decimal, e.g. -s 6:0,passthru,1/0/0",
  ]);
  assert.equal(
    old[2].message,
    '-s 5:0,passthru,ppt1: bhyve of 13.2-RELEASE reads only B/S/F here; "ppt1" needs ' +
      "FreeBSD 14.0 (UNVERIFIED boundary)",
  );
  assert.equal(old[2].fix, "write it as B/S/F: -s 5:0,passthru,1/0/1");
  assert.deepEqual(judged("14.1-RELEASE").map((f) => f.code), [
    "slot-collision",
    "guest-slot-syntax",
  ]);
  assert.equal(judged(null).find((f) => f.code === "passthru-spelling")?.level, "info");
  // explain reads the same list from a log line and says the same, "the command line" for who.
  const logged = parseCommand(`/usr/sbin/bhyve -S ${args.join(" ")} v`, [1], "command");
  const lint = lintCommand(logged, { inventory: layoutsHost("13.2-RELEASE"), plugins: null });
  assert.deepEqual(
    lint.filter((f) => f.code !== "not-on-ppt").map((f) =>
      f.message.replace("the command line", "bhyve-run")
    ),
    old.map((f) => f.message),
  );
});

Deno.test("the lint's pptN boundary is the explain catalogue's first release of the lookup", () => {
  const lookup = BY_ID.get("bad-device-name")!.formats[0];
  assert.deepEqual(PPT_NAMES_SINCE, { release: lookup.first, verified: lookup.verified });
});

Deno.test("the bhyve reader: getopt stops at the VM's name, -k files a log names are not read", () => {
  const c = parseCommand(
    "bhyve -S -s 0,hostbridge -s 31,passthru,1/0/0 -k /vm/x.conf -o pci.0.9.0.device=virtio-rnd vm1 -s 6,passthru,2/0/0",
    [1],
    "command",
  );
  assert.deepEqual(c.layout.lines.map((l) => l.arg), [
    "0,hostbridge",
    "31,passthru,1/0/0",
    "0:9:0,virtio-rnd",
  ]);
  assert.deepEqual([c.vm, c.passthru.length, c.layout.notes], ["vm1", 1, []]);
  // Passthru on the LPC bridge's slot: the lint explain shares with plan says it, with a fix.
  const lint = lintCommand(c, { inventory: null, plugins: null });
  assert.deepEqual(lint.map((f) => [f.code, f.message, f.fix]), [[
    "slot-reserved",
    "the command line puts 1/0/0 at 0:31:0, the LPC bridge's slot 31",
    "use a free guest slot 1-30 (pptkit plan vm1 finds one)",
  ]]);
  // plan's command line names the -k files it could not read.
  const unread = bhyveCommandLayout({
    args: ["-k", "/vm/x.conf"],
    files: new Map([["/vm/x.conf", null]]),
  });
  assert.match(unread.notes[0].message, /^cannot read the bhyve configuration file \/vm\/x\.conf/);
});

// ---------------------------------------------------------------------------------------------
// libvirt and bmd

Deno.test("formats libvirt and bmd: hostdev elements with guest addresses, bmd's passthru line", () => {
  const vm = parseNativeConfig(
    '{"passthru": ["1/0/0", "1/0/1", "6/0/130"], "options": {"1/0/0": {"rom": "/r/p600.rom"}}}',
    "/vms/gpu.jsonc",
    "gpu",
  );
  const plan = planVm(vm, DEVICES);
  const xml = formatPlan(plan, "libvirt");
  assert.match(xml, /<memoryBacking><locked\/><\/memoryBacking>/);
  assert.ok(xml.includes(
    "<hostdev mode='subsystem' type='pci' managed='no'>\n  <source>\n" +
      "    <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n  </source>\n" +
      "  <address type='pci' domain='0x0000' bus='0x00' slot='0x06' function='0x0' " +
      "multifunction='on'/>\n</hostdev>\n",
  ));
  assert.ok(xml.includes("slot='0x06' function='0x1'/>"));
  // An ARI function has no libvirt address; a ROM has no libvirt setting for bhyve.
  assert.match(xml, /<!-- 6\/0\/130: libvirt addresses host functions 0-7 only; left out -->/);
  assert.match(xml, /<!-- 1\/0\/0: libvirt cannot pass rom=\/r\/p600.rom -->/);
  assert.equal(
    formatPlan(plan, "bmd"),
    "# pptkit plan gpu: bmd puts each device in a guest slot of its own at function 0, after " +
      "its disks and NICs\npassthru = 1/0/0, 1/0/1, 6/0/130;\n# 1/0/0: bmd cannot pass rom=/r/p600.rom\n",
  );
});

// ---------------------------------------------------------------------------------------------
// plan on a terminal

const HAS_SCRIPT = await new Deno.Command("script", {
  args: ["-V"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "plan on a terminal shows the whole -s list the wrapper runs; a pipe gets the args alone",
  ignore: !HAS_SCRIPT,
  async fn() {
    const [dir, cleanup] = await scratch();
    try {
      await copyDir(DEMO, `${dir}/demo`);
      const args = `plan test-vm-1 --snapshot ${dir}/demo`;
      const tty = await new Deno.Command("script", {
        args: ["-qec", `stty cols 120 rows 50; exec ${LAUNCHER} ${args}`, "/dev/null"],
        env: { PPTKIT_DENO: Deno.execPath(), NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
      }).output();
      const text = new TextDecoder().decode(tty.stdout).replaceAll("\r\n", "\n");
      assert.match(text, /^-S -s 5:0,passthru,1\/0\/0 -s 5:1,passthru,1\/0\/1\n/);
      assert.match(text, /Hoster runs VM test-vm-1 with \(HosterCore GenerateBhyveStartCmd\):/);
      assert.match(
        text,
        /\n {2}-s 4:0,fbuf,tcp=0\.0\.0\.0:5901,w=800,h=600,password=<secret> +vnc_port\n/,
      );
      assert.match(text, /\n\* -s 5:1,passthru,1\/0\/1 +passthru\[1\]\n/);
      const piped = await pptkit(args.split(" "));
      assert.equal(piped.stdout, "-S -s 5:0,passthru,1/0/0 -s 5:1,passthru,1/0/1\n");
      assert.doesNotMatch(piped.stderr, /runs VM/);
    } finally {
      await cleanup();
    }
  },
});
