/**
 * One verdict engine: every VM of every fixture, run through `check --vm`, `hook prestart`,
 * `plan` and the host-wide `check` of the shipped CLI, gets the same error codes for each of
 * its devices. A VM whose config is broken gets the same one-line error from the three
 * commands about one VM, and the host-wide check reports it.
 */

import assert from "node:assert/strict";
import { loadConfig } from "../core/config.ts";
import { SnapshotHost } from "../core/host/snapshot.ts";
import { loadVmConfigs } from "../core/vms/index.ts";
import { copyDir, DEMO, exists, FIXTURES, pptkit, type RunResult, scratch } from "./helpers.ts";

const VMS = `${FIXTURES}/vms`;
const LAYOUTS = `${FIXTURES}/layouts`;

/** The wrappers' own fixtures (fixtures/layouts) on their hosts: a few of each kind. */
const LAYOUT_VMS: Record<string, readonly string[]> = {
  "vm-bhyve": ["windows-uefi-gpu-audio", "pins-only-graphics", "nine-functions-one-bus"],
  hoster: ["gpu-audio-vm", "dash-split-vm", "replica-vm"],
};

/** A snapshot of each wrapper's layout fixtures over fixtures/layouts/pciconf.txt. */
async function layoutSnapshots(dir: string, out: Map<string, string>): Promise<void> {
  for (const wrapper of ["vm-bhyve", "hoster", "cbsd"]) {
    const snap = `${dir}/layouts-${wrapper}`;
    await Deno.mkdir(`${snap}/root/etc`, { recursive: true });
    await Deno.copyFile(`${LAYOUTS}/pciconf.txt`, `${snap}/pciconf.txt`);
    await Deno.copyFile(`${DEMO}/acpidump.txt`, `${snap}/acpidump.txt`);
    if (wrapper === "cbsd") {
      await copyDir(`${LAYOUTS}/cbsd/root`, `${snap}/root`);
      await Deno.copyFile(`${LAYOUTS}/cbsd/bhyveppt.json`, `${snap}/cbsd-bhyveppt.txt`);
    } else if (wrapper === "vm-bhyve") {
      await Deno.writeTextFile(
        `${snap}/root/etc/rc.conf`,
        'vm_enable="YES" vm_dir="zfs:zroot/vm"\n',
      );
      for (const vm of LAYOUT_VMS[wrapper]) {
        await copyDir(`${LAYOUTS}/vm-bhyve/${vm}`, `${snap}/root/zroot/vm/${vm}`);
      }
    } else {
      await Deno.writeTextFile(`${snap}/root/etc/rc.conf`, 'hostname="hoster-node-01"\n');
      const conf = `${snap}/root/usr/local/etc/hoster`;
      await Deno.mkdir(conf, { recursive: true });
      await Deno.writeTextFile(
        `${conf}/host_config.json`,
        '{ "active_datasets": ["zroot/vm-encrypted"] }\n',
      );
      for (const vm of LAYOUT_VMS[wrapper]) {
        await copyDir(`${LAYOUTS}/hoster/${vm}`, `${snap}/root/zroot/vm-encrypted/${vm}`);
      }
    }
    out.set(`layouts-${wrapper}`, snap);
  }
}

/** A finding as JSON, the parts this test compares. */
interface FindingDoc {
  readonly level: string;
  readonly code: string;
  readonly device?: string;
  readonly vm?: string;
}

/**
 * The snapshots: the demo host, and one host per wrapper of fixtures/vms plus the cases of
 * fixtures/verdict (one host per wrapper, so VM names do not clash across wrappers), each over
 * fixtures/vms/pciconf.txt with the demo's ACPI tables; and one host per wrapper of the
 * wrappers' own layout fixtures (fixtures/layouts), where vm-bhyve's, Hoster's and CBSD's own
 * devices decide the slots.
 */
async function snapshots(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const demo = `${dir}/demo`;
  await copyDir(DEMO, demo);
  out.set("demo", demo);
  const config = '{ "zfsMountpoints": { "tank/vm-unencrypted": "/tank/vms" } }\n';
  for (const wrapper of ["native", "hoster", "vm-bhyve", "cbsd"]) {
    const snap = `${dir}/${wrapper}`;
    await Deno.mkdir(`${snap}/root/usr/local/etc/pptkit`, { recursive: true });
    await Deno.copyFile(`${VMS}/pciconf.txt`, `${snap}/pciconf.txt`);
    await Deno.copyFile(`${DEMO}/acpidump.txt`, `${snap}/acpidump.txt`);
    if (wrapper === "cbsd") await Deno.copyFile(`${VMS}/cbsd/cbsd-ppt.txt`, `${snap}/cbsd-ppt.txt`);
    else await copyDir(`${VMS}/${wrapper}/root`, `${snap}/root`);
    const extra = `${FIXTURES}/verdict/${wrapper}/root`;
    if (await exists(extra)) await copyDir(extra, `${snap}/root`);
    await Deno.writeTextFile(`${snap}/root/usr/local/etc/pptkit/pptkit.jsonc`, config);
    out.set(wrapper, snap);
  }
  await layoutSnapshots(dir, out);
  return out;
}

/** The findings of a command's JSON: its findings, or those behind its error. */
function findingsOf(r: RunResult, what: string): FindingDoc[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`${what}: no JSON on stdout (exit ${r.code}): ${r.stderr}`);
  }
  if (doc.schema === "pptkit.check/1") return (doc.vm as { findings: FindingDoc[] }).findings;
  return doc.findings as FindingDoc[];
}

/** Error codes per device selector, of findings about `vm` or about the device itself. */
function errorCodes(findings: readonly FindingDoc[], vm: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of findings) {
    if (f.level !== "error" || f.device === undefined) continue;
    if (f.vm !== undefined && f.vm !== vm) continue;
    out.set(f.device, [...new Set([...(out.get(f.device) ?? []), f.code])].sort());
  }
  return new Map([...out].sort());
}

/** The host-wide check's findings, device by device, as one list. */
async function hostFindings(snap: string): Promise<FindingDoc[]> {
  const r = await pptkit(["check", "--json", "--snapshot", snap]);
  const doc = JSON.parse(r.stdout) as {
    host: { findings: FindingDoc[] };
    devices: { findings: FindingDoc[] }[];
  };
  return [...doc.host.findings, ...doc.devices.flatMap((d) => d.findings)];
}

Deno.test("every VM of every fixture: check --vm, hook prestart, plan and check agree", async () => {
  const [dir, cleanup] = await scratch();
  try {
    let judged = 0;
    let broken = 0;
    for (const [name, snap] of await snapshots(dir)) {
      const host = await SnapshotHost.open(snap);
      const config = await loadConfig(host, undefined);
      const { vms } = await loadVmConfigs(host, config);
      assert.ok(vms.length > 0, `${name}: no VM found`);
      const wide = await hostFindings(snap);
      for (const vm of vms) {
        const what = `${name}: VM ${vm.vm} (${vm.source})`;
        const common = ["--json", "--snapshot", snap, "--wrapper", vm.source];
        const check = await pptkit(["check", "--vm", vm.vm, ...common]);
        const hook = await pptkit(["hook", "prestart", ...common, vm.vm]);
        // Locks of one VM must not decide the next VM's verdict.
        await pptkit(["hook", "poststop", "--snapshot", snap, vm.vm]);
        const plan = await pptkit(["plan", ...common, vm.vm]);
        if (vm.findings.some((f) => f.level === "error")) {
          // A broken config: the same error from each command about one VM ...
          broken++;
          const first = check.stderr.split("\n")[0];
          assert.match(first, new RegExp(`^pptkit: VM ${vm.vm}: `), what);
          for (const r of [hook, plan]) {
            assert.equal(r.code, check.code, `${what}: exit code`);
            assert.equal(r.stderr.split("\n")[0], first, `${what}: the same line`);
          }
          // ... and the host-wide check reports it.
          assert.ok(
            wide.some((f) => f.vm === vm.vm && f.level === "error"),
            `${what}: host-wide check misses the broken config`,
          );
          continue;
        }
        judged++;
        const expected = errorCodes(findingsOf(check, `${what} check --vm`), vm.vm);
        assert.deepEqual(
          errorCodes(findingsOf(hook, `${what} hook prestart`), vm.vm),
          expected,
          `${what}: hook prestart and check --vm`,
        );
        assert.deepEqual(
          errorCodes(findingsOf(plan, `${what} plan`), vm.vm),
          expected,
          `${what}: plan and check --vm`,
        );
        const devices = new Set(vm.passthru.map((e) =>
          `pci0:${e.address.bus}:` +
          `${e.address.slot}:${e.address.function}`
        ));
        const hostWide = new Map(
          [...errorCodes(wide, vm.vm)].filter(([device]) => devices.has(device)),
        );
        assert.deepEqual(hostWide, expected, `${what}: host-wide check and check --vm`);
        // The verdict decides the exit codes too.
        if (expected.size > 0) assert.equal(check.code, 1, `${what}: check --vm exit`);
        assert.equal(hook.code, check.code, `${what}: hook prestart exit`);
      }
    }
    // The fixtures hold both kinds, so both halves of the test ran.
    assert.ok(judged >= 10, `only ${judged} VMs judged`);
    assert.ok(broken >= 3, `only ${broken} broken configs`);
  } finally {
    await cleanup();
  }
});
