/**
 * The compatibility list end to end, through the bundle: each rule kind's effect in every
 * command that uses it (show, check, check --vm, plan, hook prestart), the built-in list's
 * sources in `plugins --json`, and a community quirks.d file with the new keys.
 *
 * fixtures/compat is a host on 13.1-RELEASE with a Radeon RX 9060 XT and its audio (3/0/0,
 * 3/0/1: works, reset-bug, needs-rom, a family host-hang report, needs-release with 13.2 /
 * 14.0), an Apple BCM43602 (4/0/0: host-hang by the report's own ids) and an RTL8821CE (5/0/0:
 * guest-driver, works, and a community needs-release rule); native VMs gpu and gpu2 (with a rom
 * option) share the GPU, wifi has the BCM43602, rtw the RTL8821CE.
 */

import assert from "node:assert/strict";
import { parseQuirks } from "../core/plugins/quirks.ts";
import { copyDir, FIXTURES, pptkit, ROOT, scratch } from "./helpers.ts";

const HOST = `${FIXTURES}/compat`;

interface F {
  level: string;
  code: string;
  message: string;
  fix?: string;
  vm?: string;
}

function codes(findings: readonly F[]): string[] {
  return findings.map((f) => `${f.level}:${f.code}${f.vm === undefined ? "" : `@${f.vm}`}`);
}

async function json(args: string[], code = 0): Promise<Record<string, unknown>> {
  const r = await pptkit([...args, "--json", "--snapshot", HOST]);
  assert.equal(r.code, code, r.stderr);
  return JSON.parse(r.stdout);
}

const KINDS = /^(works|reset-bug|host-hang|guest-driver|needs-rom|needs-release)$/;
const rulesOnly = (fs: readonly F[]) => fs.filter((f) => KINDS.test(f.code));

Deno.test("show: every kind about the device itself, and each VM's use of it", async () => {
  const gpu = (await json(["show", "3/0/0"])).device as { findings: F[] };
  assert.deepEqual(codes(rulesOnly(gpu.findings)), [
    "warn:host-hang",
    "warn:needs-release",
    "warn:reset-bug@gpu",
    "warn:needs-rom@gpu",
    "warn:reset-bug@gpu2",
    "info:works",
    "info:needs-release",
    "info:reset-bug",
    "info:needs-rom",
  ]);
  const [hang, release] = gpu.findings.filter((f) => /host-hang|needs-release/.test(f.code));
  assert.match(hang.message, /locked up the host hard .*\(source: https:\/\/github.com\/chyves/);
  assert.match(release.message, /this host runs 13.1-RELEASE, older than 13.2, 14.0/);
  // The AMD plugin's reset note is given by inspect and by each VM's prestart: printed once.
  assert.equal(gpu.findings.filter((f) => /AMD GPUs may not reset/.test(f.message)).length, 1);
  const wifi = (await json(["show", "4/0/0"])).device as { findings: F[] };
  assert.deepEqual(codes(rulesOnly(wifi.findings)), [
    "error:host-hang",
    "info:reset-bug",
    "info:works",
  ]);
  const rtw = (await json(["show", "5/0/0"])).device as { findings: F[] };
  assert.deepEqual(codes(rulesOnly(rtw.findings)), [
    "warn:needs-release",
    "info:works",
    "info:guest-driver",
    "info:works",
    "info:works",
  ]);
  assert.match(
    rtw.findings.find((f) => f.code === "needs-release")!.message,
    /^lab: .* older than 13.2/,
  );
});

Deno.test("check: a host-hang report about this very device fails it; info only with -v", async () => {
  const doc = await json(["check"], 1);
  const devices = doc.devices as { bsf: string; findings: F[] }[];
  const wifi = devices.find((d) => d.bsf === "4/0/0")!;
  assert.ok(codes(wifi.findings).includes("error:host-hang"));
  const gpu = devices.find((d) => d.bsf === "3/0/0")!;
  assert.ok(codes(gpu.findings).includes("warn:needs-rom@gpu"));
  const text = await pptkit(["check", "--snapshot", HOST]);
  assert.equal(text.code, 1);
  assert.match(
    text.stdout,
    /4\/0\/0 ppt2 \(In use by: wifi\): has errors\n {2}error {2}host-hang: /,
  );
  assert.doesNotMatch(text.stdout, /guest-driver|works:/);
  const verbose = await pptkit(["check", "-v", "--snapshot", HOST]);
  assert.match(verbose.stdout, /info {3}guest-driver: rtl8821ce on 14.0-current/);
  assert.match(verbose.stdout, /info {3}works: radeon rx 9060 xt/);
});

Deno.test("check --vm: VM-level warnings, and a report never vetoes a start", async () => {
  const gpu = (await json(["check", "--vm", "gpu"])).vm as { canStart: boolean; findings: F[] };
  assert.equal(gpu.canStart, true);
  assert.deepEqual(codes(rulesOnly(gpu.findings)), [
    "warn:host-hang",
    "warn:needs-release",
    "warn:reset-bug@gpu",
    "warn:needs-rom@gpu",
  ]);
  const rom = gpu.findings.find((f) => f.code === "needs-rom")!;
  assert.equal(
    rom.fix,
    'add "options": {"3/0/0": {"rom": "/path/to/rom"}} to /usr/local/etc/pptkit/vms/gpu.jsonc',
  );
  assert.match(
    gpu.findings.find((f) => f.code === "reset-bug")!.message,
    /also configured for VM gpu2/,
  );
  // gpu2 has its rom option: no needs-rom.
  const gpu2 = (await json(["check", "--vm", "gpu2"])).vm as { findings: F[] };
  assert.ok(!codes(gpu2.findings).includes("warn:needs-rom@gpu2"), codes(gpu2.findings).join());
  // The BCM43602's host-hang error of check is a warning for the VM that starts with it.
  const wifi = await json(["check", "--vm", "wifi"]);
  assert.deepEqual(codes(rulesOnly((wifi.vm as { findings: F[] }).findings)), ["warn:host-hang"]);
  assert.equal((wifi.vm as { canStart: boolean }).canStart, true);
  const rtw = (await json(["check", "--vm", "rtw"])).vm as { findings: F[] };
  assert.deepEqual(
    codes(rulesOnly(rtw.findings)),
    ["warn:needs-release"],
    "no works, no guest-driver",
  );
});

Deno.test("plan: needs-rom, host-hang and needs-release warn; reset-bug needs another holder", async () => {
  const [dir, done] = await scratch();
  try {
    await copyDir(HOST, dir);
    const run = async () => {
      const r = await pptkit(["plan", "gpu", "--json", "--snapshot", dir]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).findings as F[];
    };
    assert.deepEqual(codes(rulesOnly(await run())), [
      "warn:host-hang",
      "warn:needs-release",
      "warn:needs-rom@gpu",
    ]);
    await Deno.mkdir(`${dir}/root/var/run/pptkit`, { recursive: true });
    await Deno.writeTextFile(`${dir}/root/var/run/pptkit/0:3:0:0.lock`, LOCK_OF_GPU2);
    assert.ok(codes(await run()).includes("warn:reset-bug@gpu"));
    const rtw = await pptkit(["plan", "rtw", "--json", "--snapshot", dir]);
    assert.deepEqual(
      codes(rulesOnly(JSON.parse(rtw.stdout).findings)),
      ["warn:needs-release"],
      "no works, no guest-driver in a plan",
    );
  } finally {
    await done();
  }
});

const LOCK_OF_GPU2 = JSON.stringify({
  schema: "pptkit.lock/1",
  vm: "gpu2",
  pid: 4242,
  ppid: 1,
  time: "2026-01-01T00:00:00.000Z",
  device: "3/0/0",
});

Deno.test("hook prestart: warns of a device that moves between guests, vetoes nothing", async () => {
  const [dir, done] = await scratch();
  try {
    await copyDir(HOST, dir);
    await Deno.mkdir(`${dir}/root/var/run/pptkit`, { recursive: true });
    await Deno.writeTextFile(`${dir}/root/var/run/pptkit/0:3:0:0.lock`, LOCK_OF_GPU2);
    const first = await pptkit(["hook", "prestart", "gpu", "--snapshot", dir]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /^pptkit: warning: VM gpu: 3\/0\/0 was last locked by VM gpu2 and goes to gpu now: after the gpu/m,
    );
    assert.match(first.stderr, /^pptkit: warning: VM gpu: with an amd gpu passed through/m);
    // Every warning of a go reaches the admin without -v (issue #13), these two as well.
    assert.match(first.stderr, /^pptkit: warning: VM gpu: .*rom option/m);
    assert.match(first.stderr, /^pptkit: warning: VM gpu: .*older than 13.2/m);
    // A guest reboot: the VM holds its own locks, nothing moves.
    const again = await pptkit(["hook", "prestart", "gpu", "--snapshot", dir]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /last locked/);
    const verbose = await pptkit(["hook", "prestart", "gpu", "-v", "--json", "--snapshot", dir]);
    const found = JSON.parse(verbose.stdout).findings as F[];
    assert.deepEqual(codes(rulesOnly(found)), [
      "warn:host-hang",
      "warn:needs-release",
      "warn:needs-rom@gpu",
    ]);
    assert.match(verbose.stderr, /warning: VM gpu: gpu passes 3\/0\/0 without a rom option/);
    // The BCM43602's report fails check, not the start.
    const wifi = await pptkit(["hook", "prestart", "wifi", "--snapshot", dir]);
    assert.equal(wifi.code, 0, wifi.stderr);
    assert.match(wifi.stderr, /warning: VM wifi: after the guest is stopped and vmm is unloaded/);
    const rtw = await pptkit(["hook", "prestart", "rtw", "--json", "--snapshot", dir]);
    assert.equal(rtw.code, 0, rtw.stderr);
    assert.ok(!JSON.parse(rtw.stdout).findings.some((f: F) => /works|guest-driver/.test(f.code)));
  } finally {
    await done();
  }
});

Deno.test("plugins --json lists every rule with its source, the community file's too", async () => {
  const doc = await json(["plugins"]);
  const rules = doc.rules as Record<string, unknown>[];
  const builtin = parseQuirks(await Deno.readTextFile(`${ROOT}plugins/quirks.jsonc`), "x").rules;
  assert.equal(rules.length, builtin.length + 2);
  for (const r of rules) {
    for (
      const key of ["vendor", "device", "class", "rule", "message", "source", "observed", "ids"]
    ) {
      assert.ok(key in r, `${key} of ${JSON.stringify(r)}`);
    }
    assert.ok(typeof r.source === "string" && r.source.length > 0);
  }
  const lab = rules.filter((r) => r.file === "/usr/local/etc/pptkit/quirks.d/lab.jsonc");
  assert.deepEqual(lab.map((r) => [r.rule, r.minRelease, r.line]), [
    ["needs-release", ["13.2"], 5],
    ["note", null, 15],
  ]);
  const text = await pptkit(["plugins", "--snapshot", HOST]);
  assert.match(text.stdout, /needs-release/);
  assert.match(text.stdout, /joshua\.hu/);
});
