/**
 * Guest slot allocation (DESIGN §9): the guide's two examples verbatim, one test per rule, the
 * saved slot map, the output formats, the time budget and a seeded property test.
 */

import assert from "node:assert/strict";
import { ExitCode, PptkitError } from "../core/errors.ts";
import { withLocation } from "../core/findings.ts";
import { prng, verdictsFor } from "./helpers.ts";
import { parsePciconf, type PciDevice } from "../core/pciconf.ts";
import { builtinPlugins } from "../app/plugins.ts";
import { createRegistry, type PluginRegistry } from "../core/plugins/registry.ts";
import { allocateGuestSlots, type SlotRequest } from "../core/slots/allocate.ts";
import {
  checkCardSwaps,
  parseSlotMap,
  renderSlotMap,
  type SlotMap,
  slotMapChanged,
} from "../core/slots/slot_map.ts";
import { formatPlan, planArgs, planJson } from "../core/slots/formats.ts";
import { type Plan, planVm } from "../core/slots/plan.ts";
import { parseHosterVmConfig } from "../core/vms/hoster.ts";
import { parseNativeConfig } from "../core/vms/native.ts";
import type { VmConfig } from "../core/vms/types.ts";

/** The bhyve arguments the guide shows for its two Hoster configs. */
const GUIDE_GROUPED = "-s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1";
const GUIDE_SPLIT = "-s 6:0,passthru,1/0/0 -s 7:0,passthru,1/0/1";

/** `"B/S/F vendor class [device]"` -> a pciconf line; all on ppt. */
function host(...specs: string[]): PciDevice[] {
  const lines = specs.map((spec, i) => {
    const [bsf, vendor = "1af4", cls = "020000", device = "1000"] = spec.split(" ");
    const [b, s, f] = bsf.split("/");
    return `ppt${i}@pci0:${b}:${s}:${f}:\tclass=0x${cls} rev=0x00 hdr=0x00 vendor=0x${vendor} ` +
      `device=0x${device} subvendor=0x${vendor} subdevice=0x0001`;
  });
  return parsePciconf(lines.join("\n")).devices;
}

/** Every B/S/F a list names, as plain devices. */
function hostFor(list: readonly string[]): PciDevice[] {
  const bare = list.map((t) => t.replace(/^-/, "").split("=")[0]);
  return bare.length === 0 ? [] : host(...new Set(bare));
}

function native(list: readonly string[], vm = "vm1", extra = ""): VmConfig {
  return parseNativeConfig(`{"passthru": ${JSON.stringify(list)}${extra}}`, `/vms/${vm}.jsonc`, vm);
}

function plan(list: readonly string[], options: Parameters<typeof planVm>[2] = {}): Plan {
  return planVm(native(list), hostFor(list), options);
}

function at(p: Plan): string[] {
  return p.placements.map((x) => `${x.bsf}@${x.slot}:${x.function}`);
}

function assertPlanError(fn: () => unknown, message: RegExp, code: number = ExitCode.Config) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PptkitError, String(e));
    assert.match(e.message, message);
    assert.equal(e.exitCode, code);
    return true;
  });
}

let registry: PluginRegistry | null = null;
async function plugins(): Promise<PluginRegistry> {
  if (registry === null) {
    const b = await builtinPlugins();
    registry = createRegistry(b.plugins, b.rules);
  }
  return registry;
}

const GUIDE_HOST = parsePciconf(
  [
    "ppt0@pci0:1:0:0:\tclass=0x030000 rev=0xa1 hdr=0x80 vendor=0x10de device=0x1cb2 " +
    "subvendor=0x10de subdevice=0x11bd",
    "    vendor     = 'NVIDIA Corporation'",
    "    device     = 'GP107GL [Quadro P600]'",
    "ppt1@pci0:1:0:1:\tclass=0x040300 rev=0xa1 hdr=0x00 vendor=0x10de device=0x0fb9 " +
    "subvendor=0x10de subdevice=0x11bd",
    "    vendor     = 'NVIDIA Corporation'",
    "    device     = 'GP107GL High Definition Audio Controller'",
  ].join("\n"),
).devices;

/**
 * A Hoster vm_config.json holding the guide's line verbatim, in a VM as `hoster vm deploy`
 * makes it (one NIC, disk0.img and the cloud-init seed.iso): Hoster puts its NIC, disks and
 * VNC framebuffer at 2 to 5, so passthru starts at 6, as the guide shows.
 */
function guideVm(line: string): VmConfig {
  const text = `{
    "memory": "8G",
    "loader": "uefi",
    "networks": [{ "network_adaptor_type": "virtio-net", "network_bridge": "internal",
      "network_mac": "58:9c:fc:0b:1e:03" }],
    "disks": [
      { "disk_type": "nvme", "disk_location": "internal", "disk_image": "disk0.img" },
      { "disk_type": "ahci-cd", "disk_location": "internal", "disk_image": "seed.iso" }
    ],
    ${line}
    "vnc_port": 5901
}
`;
  return parseHosterVmConfig(text, "/zroot/vm/test-vm-1/vm_config.json", "test-vm-1");
}

// ---------------------------------------------------------------------------------------------
// The guide

Deno.test("the guide's grouped example: [1/0/0, 1/0/1] -> 6:0 and 6:1", async () => {
  const vm = guideVm('"passthru": [ "1/0/0", "1/0/1" ],');
  assert.deepEqual(vm.findings, []);
  const bare = planVm(vm, GUIDE_HOST);
  assert.equal(planArgs(bare), `-S ${GUIDE_GROUPED}`);
  assert.equal(formatPlan(bare, "args"), `-S ${GUIDE_GROUPED}\n`);
  const withPlugins = planVm(vm, GUIDE_HOST, { plugins: await plugins() });
  assert.equal(planArgs(withPlugins), `-S ${GUIDE_GROUPED}`);
  assert.deepEqual(withPlugins.findings, []);
});

Deno.test("the guide's split example: [-1/0/0, -1/0/1] -> 6:0 and 7:0", async () => {
  const vm = guideVm('"passthru": [ "-1/0/0", "-1/0/1" ],');
  assert.equal(planArgs(planVm(vm, GUIDE_HOST)), `-S ${GUIDE_SPLIT}`);
  // nvidia would keep them together, but the - prefix is the user's explicit choice.
  const withPlugins = planVm(vm, GUIDE_HOST, { plugins: await plugins() });
  assert.equal(planArgs(withPlugins), `-S ${GUIDE_SPLIT}`);
  assert.equal(withPlugins.findings.length, 1);
  assert.equal(withPlugins.findings[0].level, "warn");
  assert.match(
    withPlugins.findings[0].message,
    /^VM test-vm-1: -1\/0\/0 and -1\/0\/1 get guest slots of their own as the config asks, although nvidia:/,
  );
});

// ---------------------------------------------------------------------------------------------
// Rule 1: pins

Deno.test("rule 1: pinned entries take their place first", () => {
  const p = plan(["1/0/0", "2/0/0=6:0", "2/0/1=6:1"]);
  assert.deepEqual(at(p), ["1/0/0@7:0", "2/0/0@6:0", "2/0/1@6:1"]);
  assert.ok(p.placements[1].pinned && !p.placements[0].pinned);
});

Deno.test("rule 1: pins that collide with each other or with used slots are errors", () => {
  assertPlanError(
    () => plan(["1/0/0=6:0", "2/0/0=6:0"]),
    /^VM vm1: 1\/0\/0=6:0 and 2\/0\/0=6:0 are both pinned to 6:0$/,
  );
  assertPlanError(
    () => plan(["1/0/0=8:0"], { usedSlots: [8] }),
    /^VM vm1: 1\/0\/0=8:0 is pinned to guest slot 8, which --used-slots reserves$/,
  );
  assertPlanError(() => plan(["1/0/0=0:0"]), /pinned to guest slot 0, which the host bridge uses/);
  assertPlanError(() => plan(["1/0/0=31:0"]), /pinned to guest slot 31, which the LPC bridge uses/);
  assertPlanError(
    () => plan(["1/0/1=9:1", "1/0/2=9:2"]),
    /guest slot 9 has 1\/0\/1=9:1 and 1\/0\/2=9:2 pinned but no function 0/,
  );
});

// ---------------------------------------------------------------------------------------------
// Rule 2: grouping and slot order

Deno.test("rule 2: entries group by host slot, in the order of their first entry", () => {
  const p = plan(["1/0/0", "2/0/0", "1/0/1", "3/0/0"]);
  assert.deepEqual(at(p), ["1/0/0@6:0", "2/0/0@7:0", "1/0/1@6:1", "3/0/0@8:0"]);
  assert.equal(
    planArgs(p),
    "-S -s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1 -s 7:0,passthru,2/0/0 -s 8:0,passthru,3/0/0",
  );
});

Deno.test("rule 2: the host domain is part of the group key", () => {
  const request = (domain: number, fn: number): SlotRequest => ({
    text: `${domain}:1:0:${fn}`,
    address: { domain, bus: 1, slot: 0, function: fn },
    pin: null,
    split: false,
    userSplit: false,
    sameFunction: false,
    keepTogether: false,
    reason: null,
    options: {},
  });
  const a = allocateGuestSlots([request(0, 0), request(1, 0), request(0, 1)], { vm: "v" });
  assert.deepEqual(a.placements.map((p) => `${p.slot}:${p.function}`), ["6:0", "7:0", "6:1"]);
});

Deno.test("rule 2: split entries take a slot each, at function 0", () => {
  assert.deepEqual(at(plan(["1/0/0", "-1/0/1", "1/0/2"])), [
    "1/0/0@6:0",
    "1/0/1@7:0",
    "1/0/2@6:2",
  ]);
});

Deno.test("rule 2: first slot, used slots, and never 0 or 31", () => {
  assert.deepEqual(at(plan(["1/0/0", "2/0/0", "3/0/0"], { firstSlot: 10, usedSlots: [10, 12] })), [
    "1/0/0@11:0",
    "2/0/0@13:0",
    "3/0/0@14:0",
  ]);
  assert.deepEqual(at(plan(["1/0/0", "2/0/0"], { firstSlot: 1 })), ["1/0/0@1:0", "2/0/0@2:0"]);
  assertPlanError(
    () => plan(["1/0/0", "2/0/0", "3/0/0"], { firstSlot: 29 }),
    /^VM vm1: no free guest slot left for 3\/0\/0: slots 29-30 are taken$/,
  );
  for (const bad of [0, 31, 32, -1, 2.5]) {
    assertPlanError(() => plan(["1/0/0"], { firstSlot: bad }), /bad --first-slot/, ExitCode.Usage);
  }
  assertPlanError(() => plan(["1/0/0"], { usedSlots: [40] }), /bad --used-slots/, ExitCode.Usage);
});

// ---------------------------------------------------------------------------------------------
// Rule 3: functions inside a group

Deno.test("rule 3: a group with function 0 and functions <= 7 keeps host numbers", () => {
  const p = plan(["3/0/0", "3/0/5", "3/0/2"]);
  assert.deepEqual(at(p), ["3/0/0@6:0", "3/0/5@6:5", "3/0/2@6:2"]);
  assert.deepEqual(p.findings, []);
});

Deno.test("rule 3: a group without function 0 is renumbered, with an info finding", () => {
  const p = plan(["3/0/2", "3/0/1"]);
  assert.deepEqual(at(p), ["3/0/2@6:1", "3/0/1@6:0"]);
  assert.equal(p.findings.length, 1);
  assert.equal(p.findings[0].code, "guest-renumbered");
  assert.equal(p.findings[0].level, "info");
  assert.match(p.findings[0].message, /3\/0\/1 as function 0 and 3\/0\/2 as function 1/);
  assert.match(p.findings[0].message, /no host function 0/);
  assert.ok(p.placements.every((x) => x.renumbered));
});

Deno.test("rule 3: functions above 7 (ARI, SR-IOV) are renumbered", () => {
  const p = plan(["6/0/0", "6/0/130", "6/0/132"]);
  assert.deepEqual(at(p), ["6/0/0@6:0", "6/0/130@6:1", "6/0/132@6:2"]);
  assert.match(p.findings[0].message, /above 7 \(ARI \/ SR-IOV\)/);
});

// ---------------------------------------------------------------------------------------------
// Rule 4: limits

Deno.test("rule 4: more than 8 functions for one guest slot is an error naming the entries", () => {
  const list = Array.from({ length: 9 }, (_, i) => `6/0/${128 + i}`);
  assertPlanError(
    () => plan(list),
    /^VM vm1: 9 functions of one device \(6\/0\/128, .* and 6\/0\/136\) do not fit one guest slot/,
  );
  assert.equal(plan(list.slice(0, 8)).placements.length, 8);
});

Deno.test("rule 4: no free slot left is an error naming the VM and the entries", () => {
  assertPlanError(
    () => plan(["-1/0/0", "-1/0/1", "-1/0/2", "-1/0/3"], { firstSlot: 28 }),
    /^VM vm1: no free guest slot left for -1\/0\/3: slots 28-30 are taken$/,
  );
  // A wrapper's config (65): Hoster chooses its slots itself, but pptkit's groups must fit the
  // guest bus all the same: 26 devices of a slot each do not.
  const many = Array.from({ length: 26 }, (_, i) => `-${1 + (i >> 3)}/0/${i & 7}`);
  const wrapper = parseHosterVmConfig(JSON.stringify({ passthru: many }), "f", "h");
  assertPlanError(
    () => planVm(wrapper, host(...many.map((m) => m.slice(1)))),
    /no free guest slot left for -4\/0\/1/,
    ExitCode.DataError,
  );
});

Deno.test("a device listed twice is refused even when a config reader let it through", () => {
  const vm = native(["1/0/0"]);
  const twice = { ...vm, passthru: [vm.passthru[0], vm.passthru[0]] };
  assertPlanError(() => planVm(twice, host("1/0/0")), /1\/0\/0 and 1\/0\/0 name the same device/);
});

// ---------------------------------------------------------------------------------------------
// Rule 5 and the formats

Deno.test("rule 5: -S always when there is a device; nothing for none", () => {
  assert.ok(planArgs(plan(["-1/0/1"])).startsWith("-S -s 6:0,passthru,1/0/1"));
  assert.equal(planArgs(plan([])), "");
  assert.equal(formatPlan(plan([]), "bhyve-config"), "");
});

const GPU_WITH_ROM = `, "options": {"1/0/0": {"rom": "/roms/p600.rom", "bootindex": "1"}}`;

Deno.test("formatPlan(): args and bhyve-config with rom", () => {
  const p = planVm(native(["1/0/0", "1/0/1"], "gpu", GPU_WITH_ROM), GUIDE_HOST);
  assert.equal(
    formatPlan(p, "args"),
    "-S -s 6:0,passthru,1/0/0,rom=/roms/p600.rom,bootindex=1 -s 6:1,passthru,1/0/1\n",
  );
  assert.equal(
    formatPlan(p, "bhyve-config"),
    [
      "memory.wired=true",
      "pci.0.6.0.device=passthru",
      "pci.0.6.0.bus=1",
      "pci.0.6.0.slot=0",
      "pci.0.6.0.func=0",
      "pci.0.6.0.rom=/roms/p600.rom",
      "pci.0.6.0.bootindex=1",
      "pci.0.6.1.device=passthru",
      "pci.0.6.1.bus=1",
      "pci.0.6.1.slot=0",
      "pci.0.6.1.func=1",
      "",
    ].join("\n"),
  );
});

Deno.test("formatPlan(): vm-bhyve lines pin every device", () => {
  const p = planVm(native(["1/0/0", "1/0/1"], "gpu", GPU_WITH_ROM), GUIDE_HOST);
  assert.equal(
    formatPlan(p, "vm-bhyve"),
    'passthru0="1/0/0=6:0"\npassthru0_options="rom=/roms/p600.rom,bootindex=1"\n' +
      'passthru1="1/0/1=6:1"\n',
  );
});

Deno.test("formatPlan(): hoster keeps groups and splits what Hoster cannot renumber", () => {
  assert.equal(
    formatPlan(plan(["1/0/0", "1/0/1", "-2/0/0"]), "hoster"),
    '["1/0/0","1/0/1","-2/0/0"]\n',
  );
  const sriov = parseHosterVmConfig('{"passthru": ["6/0/130", "6/0/132"]}', "f", "h");
  const p = planVm(sriov, host("6/0/130", "6/0/132"));
  assert.equal(formatPlan(p, "hoster"), '["-6/0/130","-6/0/132"]\n');
  assert.ok(p.findings.some((f) => /Hoster cannot renumber or pin/.test(f.message)));
  assert.equal(formatPlan(plan(["4/0/1"]), "hoster"), '["-4/0/1"]\n');
});

Deno.test("formatPlan(): json is pptkit.plan/1", () => {
  const p = planVm(guideVm('"passthru": [ "1/0/0", "1/0/1" ],'), GUIDE_HOST);
  const json = JSON.parse(formatPlan(p, "json"));
  assert.equal(json.schema, "pptkit.plan/1");
  assert.equal(json.vm, "test-vm-1");
  assert.equal(json.source, "hoster");
  assert.equal(json.firstSlot, 6);
  assert.equal(json.wired, true);
  assert.equal(json.args, `-S ${GUIDE_GROUPED}`);
  assert.deepEqual(json.devices[1], {
    bsf: "1/0/1",
    selector: "pci0:1:0:1",
    entry: "1/0/1",
    slot: 6,
    function: 1,
    pinned: false,
    split: false,
    renumbered: false,
    options: {},
  });
  assert.deepEqual(planJson(p), json);
});

Deno.test("planVm() refuses a config with errors: 65 for a wrapper, 78 for native", () => {
  const broken = parseHosterVmConfig('{"passthru": "1/0/0"}', "/vm/a/vm_config.json", "a");
  assertPlanError(() => planVm(broken, []), /^VM a: \/vm\/a\/vm_config.json:1: "passthru"/, 65);
  assertPlanError(() => planVm(native([7] as unknown as string[]), []), /not a number 7/, 78);
});

Deno.test("planVm() places devices that are not on the host; the verdict calls them unknown", () => {
  const config = native(["1/0/0", "9/0/0"]);
  const p = planVm(config, GUIDE_HOST);
  assert.deepEqual(at(p), ["1/0/0@6:0", "9/0/0@7:0"]);
  assert.equal(p.slotMap.devices["0:9:0:0"].vendorId, null);
  const { verdict } = verdictsFor(GUIDE_HOST, [config]);
  const unknown = verdict.vmFindings.find((f) => f.code === "unknown-device")!;
  assert.equal(unknown.level, "error");
  assert.equal(unknown.line, 1);
});

// ---------------------------------------------------------------------------------------------
// The saved slot map

function rerun(list: string[], saved: SlotMap | null, options = {}): Plan {
  const devices = host("1/0/0", "1/0/1", "2/0/0", "3/0/1", "3/0/2", "3/0/3", "4/0/0", "5/0/0");
  return planVm(native(list), devices, { saved, ...options });
}

Deno.test("slot map: a second identical run changes nothing", () => {
  const first = rerun(["1/0/0", "1/0/1", "2/0/0"], null);
  const second = rerun(["1/0/0", "1/0/1", "2/0/0"], first.slotMap);
  assert.deepEqual(at(second), at(first));
  assert.equal(slotMapChanged(first.slotMap, second.slotMap), false);
  assert.equal(slotMapChanged(null, second.slotMap), true);
  assert.deepEqual(parseSlotMap(renderSlotMap(first.slotMap), "f"), first.slotMap);
  assert.deepEqual(first.slotMap.devices["0:1:0:1"], {
    slot: 6,
    function: 1,
    vendorId: "1af4",
    deviceId: "1000",
    subvendorId: "1af4",
    subdeviceId: "0001",
  });
});

Deno.test("slot map: guest addresses survive config edits", () => {
  const first = rerun(["1/0/0", "1/0/1", "2/0/0"], null);
  assert.deepEqual(at(first), ["1/0/0@6:0", "1/0/1@6:1", "2/0/0@7:0"]);
  // Without a saved map, 2/0/0 would move to slot 6 once the GPU is gone.
  const removed = rerun(["2/0/0"], first.slotMap);
  assert.deepEqual(at(removed), ["2/0/0@7:0"]);
  const added = rerun(["2/0/0", "4/0/0"], removed.slotMap);
  assert.deepEqual(at(added), ["2/0/0@7:0", "4/0/0@6:0"]);
  const back = rerun(["1/0/0", "1/0/1", "2/0/0", "4/0/0"], added.slotMap);
  assert.deepEqual(at(back), ["1/0/0@8:0", "1/0/1@8:1", "2/0/0@7:0", "4/0/0@6:0"]);
  const reordered = rerun(["4/0/0", "2/0/0", "1/0/1", "1/0/0"], back.slotMap);
  assert.deepEqual(at(reordered), ["4/0/0@6:0", "2/0/0@7:0", "1/0/1@8:1", "1/0/0@8:0"]);
  assert.deepEqual(reordered.findings, []);
});

Deno.test("slot map: renumbered functions stay when a function joins the group", () => {
  const first = rerun(["3/0/1", "3/0/2"], null);
  assert.deepEqual(at(first), ["3/0/1@6:0", "3/0/2@6:1"]);
  const grown = rerun(["3/0/1", "3/0/2", "3/0/3"], first.slotMap);
  assert.deepEqual(at(grown), ["3/0/1@6:0", "3/0/2@6:1", "3/0/3@6:3"]);
  // Function 0's holder leaves: the saved numbers no longer make a slot, rule 3 applies again.
  const shrunk = rerun(["3/0/2", "3/0/3"], grown.slotMap);
  assert.deepEqual(at(shrunk), ["3/0/2@6:0", "3/0/3@6:1"]);
  assert.ok(shrunk.findings.some((f) => f.code === "slot-moved"));
});

Deno.test("slot map: a saved slot that is now used elsewhere moves, with an info finding", () => {
  const first = rerun(["1/0/0", "2/0/0"], null);
  const moved = rerun(["1/0/0", "2/0/0"], first.slotMap, { usedSlots: [7] });
  assert.deepEqual(at(moved), ["1/0/0@6:0", "2/0/0@8:0"]);
  const f = moved.findings.find((x) => x.code === "slot-moved")!;
  assert.equal(f.level, "info");
  assert.match(f.message, /^VM vm1: 2\/0\/0 moves from guest 7:0 to 8:0/);
});

Deno.test("slot map: a swapped card is an error until --reset-slots", () => {
  const first = rerun(["1/0/0"], null);
  const swapped = host("1/0/0 10de 030000 1cb2");
  assertPlanError(
    () => planVm(native(["1/0/0"]), swapped, { saved: first.slotMap }),
    /^VM vm1: the device at 1\/0\/0 was 1af4:1000 \(subsystem 1af4:0001\) when it was given guest address 6:0, and is now 10de:1cb2 \(subsystem 10de:0001\): card swapped\?$/,
    ExitCode.DataError,
  );
  assert.throws(() => checkCardSwaps(first.slotMap, "vm1", swapped), /card swapped\?/);
  assert.deepEqual(at(planVm(native(["1/0/0"]), swapped, { saved: null })), ["1/0/0@6:0"]);
});

Deno.test("parseSlotMap() refuses what pptkit did not write, with a hint", () => {
  for (const text of ["{", '{"schema": "x"}', '{"schema": "pptkit.slots/1", "vm": "a"}']) {
    assert.throws(() => parseSlotMap(text, "/var/db/pptkit/slots/a.json"), (e: unknown) => {
      assert.ok(e instanceof PptkitError);
      assert.equal(e.exitCode, ExitCode.DataError);
      assert.match(
        withLocation(e),
        /^\/var\/db\/pptkit\/slots\/a.json:1: bad slot map/,
      );
      assert.match(e.hint!, /--reset-slots/);
      return true;
    });
  }
});

Deno.test("200 entries fill bus 0 to slot 30; 256 are refused (deno task bench times both)", () => {
  // 25 slots of 8 functions hold 200 devices from slot 6; 256 cannot fit, so the plan ends in
  // the "no free slot" error. The time budget of DESIGN §15 is measured by the bench, never
  // asserted here.
  const full: string[] = [];
  for (let b = 1; b <= 25; b++) for (let f = 0; f < 8; f++) full.push(`${b}/0/${f}`);
  const over = [...full];
  for (let b = 26; b <= 32; b++) for (let f = 0; f < 8; f++) over.push(`${b}/0/${f}`);
  assert.equal(over.length, 256);
  assert.equal(planVm(native(full), hostFor(full)).placements.at(-1)!.slot, 30);
  assert.throws(() => planVm(native(over), hostFor(over)), /no free guest slot/);
});

// ---------------------------------------------------------------------------------------------
// Property test

/** A random host: cards of several kinds on buses 1..n. */
function randomHost(rand: () => number): PciDevice[] {
  const int = (n: number) => Math.floor(rand() * n);
  const specs: string[] = [];
  const buses = 2 + int(10);
  for (let bus = 1; bus <= buses; bus++) {
    const slot = int(3);
    switch (int(6)) {
      case 0: // NVIDIA GPU, audio, xHCI, UCSI
        ["030000", "040300", "0c0330", "0c8000"].slice(0, 2 + int(3)).forEach((c, f) =>
          specs.push(`${bus}/${slot}/${f} 10de ${c}`)
        );
        break;
      case 1: // QLogic FC, 2 or 4 ports
        for (let f = 0; f < 2 + 2 * int(2); f++) specs.push(`${bus}/${slot}/${f} 1077 0c0400 2532`);
        break;
      case 2: // Intel NIC ports
        for (let f = 0; f < 1 + int(4); f++) specs.push(`${bus}/${slot}/${f} 8086 020000 1521`);
        break;
      case 3: // SR-IOV: PF and VFs above 7
        specs.push(`${bus}/${slot}/0 8086 020000 10fb`);
        for (let v = 0; v < 1 + int(10); v++) {
          specs.push(`${bus}/${slot}/${128 + 2 * v} 8086 020000 10ed`);
        }
        break;
      case 4: { // generic multi-function device with gaps
        for (let f = 0; f < 8; f++) if (rand() < 0.5) specs.push(`${bus}/${slot}/${f}`);
        break;
      }
      default:
        specs.push(`${bus}/${slot}/0 1002 030000 67df`, `${bus}/${slot}/1 1002 040300 aaf0`);
    }
  }
  return host(...specs);
}

function randomList(rand: () => number, devices: readonly PciDevice[]): string[] {
  const out: string[] = [];
  for (const d of devices) {
    if (rand() < 0.45) continue;
    const bsf = `${d.address.bus}/${d.address.slot}/${d.address.function}`;
    const r = rand();
    if (r < 0.15) out.push(`-${bsf}`);
    else if (r < 0.2) out.push(`${bsf}=${1 + Math.floor(rand() * 30)}:${Math.floor(rand() * 3)}`);
    else out.push(bsf);
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

Deno.test("property: every plan is a valid guest PCI layout (seeded)", async () => {
  const hooks = await plugins();
  const rand = prng(0x5eed);
  let planned = 0, refused = 0;
  for (let run = 0; run < 400; run++) {
    const devices = randomHost(rand);
    const list = randomList(rand, devices);
    const usedSlots = [2, 3, 7, 9, 12].filter(() => rand() < 0.3);
    const firstSlot = 1 + Math.floor(rand() * 10);
    const vm = native(list, `vm${run}`);
    let p: Plan;
    try {
      p = planVm(vm, devices, { plugins: rand() < 0.8 ? hooks : null, firstSlot, usedSlots });
    } catch (e) {
      assert.ok(e instanceof PptkitError, `run ${run}: ${e}`);
      assert.match(e.message, new RegExp(`^VM vm${run}: `));
      refused++;
      continue;
    }
    planned++;
    const seen = new Set<string>();
    const slots = new Map<number, Set<number>>();
    for (const x of p.placements) {
      const key = `${x.slot}:${x.function}`;
      assert.ok(!seen.has(key), `run ${run}: ${key} twice in ${list}`);
      seen.add(key);
      assert.ok(x.slot >= 1 && x.slot <= 30, `run ${run}: slot ${x.slot}`);
      assert.ok(x.function >= 0 && x.function <= 7, `run ${run}: function ${x.function}`);
      assert.ok(!usedSlots.includes(x.slot), `run ${run}: used slot ${x.slot}`);
      const fns = slots.get(x.slot) ?? new Set();
      fns.add(x.function);
      slots.set(x.slot, fns);
      const entry = vm.passthru[x.index];
      if (entry.token.pin !== null) {
        assert.deepEqual({ slot: x.slot, function: x.function }, entry.token.pin);
      }
    }
    for (const [slot, fns] of slots) {
      assert.ok(fns.has(0), `run ${run}: slot ${slot} has no function 0 (${list})`);
    }
    assert.equal(planArgs(p).split(" -s ").length - 1, p.placements.length);
    // Planning again with the saved map gives the same addresses.
    const again = planVm(vm, devices, { saved: p.slotMap, firstSlot, usedSlots });
    assert.deepEqual(
      again.placements.map((x) => [x.slot, x.function]),
      p.placements.map((x) => [x.slot, x.function]),
    );
  }
  assert.ok(planned > 100, `only ${planned} of 400 lists could be planned`);
  assert.ok(refused > 20, `only ${refused} of 400 lists were refused`);
});

Deno.test("property: QLogic functions equal host functions whenever plugins run (seeded)", async () => {
  const hooks = await plugins();
  const rand = prng(0xfc);
  let checked = 0;
  for (let run = 0; run < 300; run++) {
    const devices = randomHost(rand);
    const list = randomList(rand, devices);
    let p: Plan;
    try {
      p = planVm(native(list), devices, { plugins: hooks });
    } catch (e) {
      assert.ok(e instanceof PptkitError, String(e));
      continue;
    }
    for (const x of p.placements) {
      const d = devices.find((d) => addressEq(d, x.address))!;
      if (d.vendorId !== "1077") continue;
      assert.equal(
        x.function,
        x.address.function,
        `run ${run}: ${x.text} at ${x.slot}:${x.function}`,
      );
      checked++;
    }
  }
  assert.ok(checked > 50, `only ${checked} QLogic placements checked`);
});

function addressEq(d: PciDevice, a: { bus: number; slot: number; function: number }): boolean {
  return d.address.bus === a.bus && d.address.slot === a.slot && d.address.function === a.function;
}
