/**
 * The compatibility list's rule format (core/plugins/quirks.ts) and what each kind of rule does
 * about a device and about a VM (core/plugins/quirks_plugin.ts), in process.
 */

import assert from "node:assert/strict";
import { withLocation } from "../core/findings.ts";
import { parsePciconf, type PciDevice } from "../core/pciconf.ts";
import type { GroupEntry, PrestartVm, VmUser } from "../core/plugins/api.ts";
import { pluginContext } from "../core/plugins/context.ts";
import {
  parseQuirks,
  QUIRK_KINDS,
  quirkMatches,
  type QuirkRule,
  releaseAtLeast,
} from "../core/plugins/quirks.ts";
import { quirksPlugin } from "../core/plugins/quirks_plugin.ts";
import { parseNativeConfig } from "../core/vms/native.ts";

const FILE = "/usr/local/etc/pptkit/quirks.d/t.jsonc";

/** Parses rules written as objects, one per line of a quirks file, and fails on any finding. */
function rules(...list: Record<string, unknown>[]): QuirkRule[] {
  const text = '{"rules": [\n' + list.map((r) => JSON.stringify(r)).join(",\n") + "\n]}";
  const parsed = parseQuirks(text, FILE);
  assert.deepEqual(parsed.findings, []);
  return parsed.rules;
}

/** The first finding of a one-rule file, located. */
function problem(rule: string): string {
  const found = parseQuirks(`{"rules": [\n${rule}\n]}`, FILE).findings;
  assert.equal(found.length, 1, JSON.stringify(found));
  assert.equal(found[0].code, "plugin");
  return withLocation(found[0]);
}

const BASE = { vendor: "1002", class: "03", message: "m", source: "https://example.org/r" };

const DEVICES = parsePciconf(
  "ppt0@pci0:3:0:0:\tclass=0x030000 rev=0xc0 hdr=0x80 vendor=0x1002 device=0x7590 " +
    "subvendor=0x1eae subdevice=0x8601\n" +
    "ppt1@pci0:4:0:0:\tclass=0x028000 rev=0x01 hdr=0x00 vendor=0x14e4 device=0x43ba " +
    "subvendor=0x106b subdevice=0x0152\n" +
    "ppt2@pci0:5:0:0:\tclass=0x028000 rev=0x01 hdr=0x00 vendor=0x14e4 device=0x43ba " +
    "subvendor=0x17aa subdevice=0x0001\n",
).devices;
const [GPU, APPLE_WIFI, OTHER_WIFI] = DEVICES;

function codes(list: readonly { level: string; code: string }[]): string[] {
  return list.map((f) => `${f.level}:${f.code}`);
}

// ---------------------------------------------------------------------------------------------
// The format

Deno.test("parseQuirks() reads the new keys and leaves them null in old-style rules", () => {
  const [full, old] = rules(
    {
      vendor: "14e4",
      device: "43BA",
      subvendor: "106b",
      subdevice: "0x0152",
      class: "0280",
      rule: "host-hang",
      message: "it froze the host",
      source: "https://joshua.hu/x",
      observed: { freebsd: "13.3-RELEASE", guest: "Alpine Linux", bhyve: null, wrapper: " " },
      ids: "report",
      note: "device id from the report",
    },
    { vendor: "10de", class: "03", rule: "keep-together", message: "m", source: "s" },
  );
  assert.equal(full.device, "43ba");
  assert.equal(full.subdevice, "0152");
  assert.deepEqual(full.observed, {
    freebsd: "13.3-RELEASE",
    guest: "Alpine Linux",
    bhyve: null,
    wrapper: null,
  });
  assert.equal(full.ids, "report");
  assert.equal(full.note, "device id from the report");
  assert.equal(full.line, 2);
  assert.deepEqual(
    [old.subvendor, old.subdevice, old.observed, old.ids, old.note, old.minRelease, old.line],
    [null, null, null, null, null, null, 3],
  );
  const [release] = rules({ ...BASE, rule: "needs-release", minRelease: ["14.0", "13.2"] });
  assert.deepEqual(release.minRelease, ["14.0", "13.2"]);
  assert.equal(rules({ ...BASE, rule: "works", observed: { guest: "" } })[0].observed, null);
});

Deno.test("parseQuirks() refuses a bad new key with the line it is on", () => {
  const head = '{"vendor": "1002", "rule": "works", "message": "m", "source": "s",\n';
  assert.match(problem(head + '"observed": {"os": "x"}}'), /t.jsonc:3: unknown key "observed.os"/);
  assert.match(problem(head + '"observed": "14.1"}'), /:3: "observed" must be an object, not/);
  assert.match(problem(head + '"observed": {"guest": 5}}'), /"observed.guest" must be a string/);
  assert.match(problem(head + '"ids": "report"}'), /:2: "ids" says .* has no "device"/);
  assert.match(
    problem(head + '"device": "7590", "ids": "guess"}'),
    /bad "ids" "guess"/,
  );
  assert.match(problem(head + '"minRelease": ["13.2"]}'), /:2: "minRelease" goes with .*"works"/);
  assert.match(
    problem(
      '{"vendor": "1002", "rule": "needs-release", "message": "m", "source": "s",\n' +
        '"minRelease": ["13"]}',
    ),
    /:3: bad "minRelease" entry .*"13"/,
  );
  assert.match(
    problem(
      '{"vendor": "1002", "rule": "needs-release", "message": "m", "source": "s",\n' +
        '"minRelease": []}',
    ),
    /"minRelease" must be a non-empty array/,
  );
  assert.match(problem(head + '"subvendor": "apple"}'), /bad "subvendor" "apple"/);
  assert.match(problem(head + '"note": 3}'), /:3: "note" must be a string/);
  assert.match(problem(head + '"colour": "red"}'), /:3: unknown key "colour"/);
  const bad = parseQuirks('{"rules": [{"vendor": "1002", "rule": "resets"}]}', FILE).findings[0];
  assert.equal(bad.fix, `rules: ${QUIRK_KINDS.join(", ")}`);
});

Deno.test("quirkMatches() honours subsystem ids", () => {
  const [apple] = rules({
    vendor: "14e4",
    device: "43ba",
    subvendor: "106b",
    rule: "note",
    message: "m",
    source: "s",
  });
  assert.ok(quirkMatches(apple, APPLE_WIFI));
  assert.ok(!quirkMatches(apple, OTHER_WIFI));
  assert.ok(!quirkMatches(apple, GPU));
});

Deno.test("releaseAtLeast() compares uname -r with the first fixed release of each branch", () => {
  const fixed = ["13.2", "14.0"];
  const table: [string, boolean | null][] = [
    ["12.4-RELEASE", false],
    ["13.1-RELEASE-p9", false],
    ["13.2-RELEASE", true],
    ["13.5-STABLE", true],
    ["14.0-CURRENT", true],
    ["15.0-RELEASE-p5", true],
    ["garbage", null],
  ];
  for (const [release, want] of table) assert.equal(releaseAtLeast(release, fixed), want, release);
  assert.equal(releaseAtLeast("14.3-RELEASE", ["13.5", "15.1"]), false);
});

// ---------------------------------------------------------------------------------------------
// What each kind says about a device (list, show, check)

Deno.test("inspect: each kind's level, for the device itself", () => {
  const plugin = quirksPlugin(rules(
    { ...BASE, rule: "works", message: "it worked", observed: { freebsd: "15.0-RELEASE" } },
    { ...BASE, rule: "note" },
    { ...BASE, rule: "guest-driver" },
    { ...BASE, rule: "reset-bug" },
    { ...BASE, rule: "needs-rom" },
    { ...BASE, rule: "host-hang" },
    { ...BASE, device: "7590", ids: "product", rule: "host-hang" },
    { ...BASE, device: "7590", rule: "host-hang" },
    { ...BASE, rule: "needs-release" },
    { ...BASE, rule: "needs-release", minRelease: ["13.2", "14.0"] },
    { ...BASE, rule: "same-function" },
  ));
  const old = plugin.inspect!(
    GPU,
    pluginContext(DEVICES, null, undefined, undefined, {
      release: "13.1-RELEASE",
    }),
  );
  // Most specific rule first: the one by device id and report ids is an error.
  assert.deepEqual(codes(old), [
    "warn:host-hang",
    "error:host-hang",
    "info:works",
    "info:quirk",
    "info:guest-driver",
    "info:reset-bug",
    "info:needs-rom",
    "warn:host-hang",
    "info:needs-release",
    "warn:needs-release",
  ]);
  assert.match(old[2].message, /^it worked \(seen with FreeBSD 15.0-RELEASE\) \(source: https/);
  assert.equal(old[0].device, "pci0:3:0:0");
  assert.match(old[9].message, /this host runs 13.1-RELEASE, older than 13.2, 14.0/);
  assert.equal(old[9].fix, "upgrade the host: freebsd-update -r 13.2-RELEASE upgrade");
  assert.match(old[1].fix!, /pptkit release 3\/0\/0/);
  const ctx = (release: string | null) =>
    pluginContext(DEVICES, null, undefined, undefined, { release });
  const recent = plugin.inspect!(GPU, ctx("14.1-RELEASE"));
  assert.equal(recent[9].level, "info");
  assert.match(recent[9].message, /this host runs 14.1-RELEASE, which has it/);
  assert.match(plugin.inspect!(GPU, ctx(null))[9].message, /this host's release is unknown/);
});

// ---------------------------------------------------------------------------------------------
// What each kind says about a VM's use of a device (check --vm, plan, hook prestart)

function entry(device: PciDevice, options: Record<string, string> = {}, line = 3): GroupEntry {
  const bsf = `${device.address.bus}/${device.address.slot}/${device.address.function}`;
  const e = parseNativeConfig(JSON.stringify({ passthru: [bsf] }), "/x.jsonc", "x").passthru[0];
  return { index: 0, entry: { ...e, options, line }, device, grouping: "auto", reason: null };
}

function prestart(
  vm: Partial<PrestartVm> & { entries: GroupEntry[] },
  facts: { users?: string[]; lock?: string | null } = {},
) {
  const plugin = quirksPlugin(rules(
    { ...BASE, rule: "needs-rom", message: "the card needs its vbios" },
    { ...BASE, rule: "reset-bug", message: "it does not reset" },
    { ...BASE, rule: "works" },
    { ...BASE, rule: "host-hang" },
  ));
  const users: VmUser[] = (facts.users ?? []).map((v) => ({
    vm: v,
    source: "native",
    running: false,
  }));
  const ctx = pluginContext(DEVICES, "vm1", () => users, undefined, {
    lockedBy: () => facts.lock ?? null,
    release: "14.1-RELEASE",
  });
  return plugin.prestart!({ name: "vm1", source: "native", file: "/vms/vm1.jsonc", ...vm }, ctx);
}

Deno.test("prestart: needs-rom asks for a rom option in the spelling of the VM's wrapper", () => {
  const [native] = prestart({ entries: [entry(GPU)] });
  assert.equal(native.code, "needs-rom");
  assert.equal(native.level, "warn");
  assert.match(
    native.message,
    /^vm1 passes 3\/0\/0 without a rom option: the card needs its vbios/,
  );
  assert.equal(
    native.fix,
    'add "options": {"3/0/0": {"rom": "/path/to/rom"}} to /vms/vm1.jsonc',
  );
  const bhyve = prestart({
    source: "vm-bhyve",
    file: "/vm/vm1/vm1.conf",
    entries: [entry(GPU, {}, 7)],
  });
  assert.match(
    bhyve[0].fix!,
    /passthruN="3\/0\/0" line \(\/vm\/vm1\/vm1.conf:7\) add passthruN_options="rom=/,
  );
  const hoster = prestart({ source: "hoster", entries: [entry(GPU)] });
  assert.match(hoster[0].message, /Hoster's vm_config.json has no device options/);
  const cbsd = prestart({ source: "cbsd", entries: [entry(GPU)] });
  assert.match(cbsd[0].message, /pptkit cannot read CBSD's rom setting/);
  assert.match(cbsd[0].fix!, /cbsd bhyve-ppt mode=attach ppt=3\/0\/0 jname=vm1 rom=/);
  const devices = prestart({ source: "--devices", file: null, entries: [entry(GPU)] });
  assert.match(devices[0].message, /--devices carries no options/);
  assert.deepEqual(prestart({ entries: [entry(GPU, { rom: "/roms/gpu.rom" })] }), []);
});

Deno.test("prestart: reset-bug warns only when the device moves between guests", () => {
  assert.deepEqual(prestart({ entries: [entry(GPU, { rom: "/r" })] }), []);
  assert.deepEqual(
    prestart({ entries: [entry(GPU, { rom: "/r" })] }, { users: ["vm1"], lock: "vm1" }),
    [],
  );
  const shared = prestart({ entries: [entry(GPU, { rom: "/r" })] }, { users: ["vm1", "vm2"] });
  assert.deepEqual(codes(shared), ["warn:reset-bug"]);
  assert.match(shared[0].message, /^3\/0\/0 is also configured for VM vm2, so it moves between/);
  const locked = prestart({ entries: [entry(GPU, { rom: "/r" })] }, { lock: "old" });
  assert.match(
    locked[0].message,
    /^3\/0\/0 was last locked by VM old and goes to vm1 now: it does/,
  );
  assert.match(locked[0].fix!, /reboot the host before vm1 uses 3\/0\/0/);
});
