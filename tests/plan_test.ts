/**
 * `pptkit plan` end to end: the shipped CLI on snapshot copies, in every format, with the saved
 * slot map (stable addresses, card swaps) and the guide's two examples.
 */
import assert from "node:assert/strict";
import { copyDir, DEMO, errorLines, exists, pptkit, scratch } from "./helpers.ts";

const HOSTER_VM = "root/zroot/vm-encrypted/test-vm-1/vm_config.json";
const SLOT_MAP = "root/var/db/pptkit/slots/test-vm-1.json";

async function demo(dir: string): Promise<string> {
  await copyDir(DEMO, `${dir}/host`);
  await Deno.remove(`${dir}/host/root/var`, { recursive: true }).catch(() => {});
  return `${dir}/host`;
}

/**
 * Gives the demo host a native config of test-vm-1 (pptkit places its devices itself) with the
 * passthru list `entries`; the plan commands then take `--wrapper native`.
 */
async function nativeVm(host: string, entries: string[]): Promise<void> {
  await Deno.mkdir(`${host}/root/usr/local/etc/pptkit/vms`, { recursive: true });
  await Deno.writeTextFile(
    `${host}/root/usr/local/etc/pptkit/vms/test-vm-1.jsonc`,
    JSON.stringify({ passthru: entries }) + "\n",
  );
}

/** Sets the passthru list of the demo's Hoster VM test-vm-1. */
async function passthru(host: string, entries: string[]): Promise<void> {
  const path = `${host}/${HOSTER_VM}`;
  const config = JSON.parse(await Deno.readTextFile(path));
  config.passthru = entries;
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2) + "\n");
}

Deno.test("plan: the demo's Hoster VM, grouped where Hoster puts it: -s 5:0,... -s 5:1,...", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demo(dir);
    const r = await pptkit(["plan", "test-vm-1", "--snapshot", host]);
    assert.equal(r.code, 0, r.stderr);
    // One NIC at 2, disk0 at 3, the VNC framebuffer at 4: Hoster's passthru starts at 5.
    assert.equal(r.stdout, "-S -s 5:0,passthru,1/0/0 -s 5:1,passthru,1/0/1\n");
  } finally {
    await cleanup();
  }
});

Deno.test("plan: the guide's split example under Hoster: -1/0/0 -1/0/1 -> 5:0 and 6:0", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demo(dir);
    await passthru(host, ["-1/0/0", "-1/0/1"]);
    const r = await pptkit(["plan", "test-vm-1", "--snapshot", host]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "-S -s 5:0,passthru,1/0/0 -s 6:0,passthru,1/0/1\n");
    // Splitting an NVIDIA card is allowed, with the plugin's warning on stderr.
    assert.match(r.stderr, /nvidia|GPU|together/i);
  } finally {
    await cleanup();
  }
});

Deno.test("plan: every output format", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demo(dir);
    const run = async (format: string) => {
      const r = await pptkit(["plan", "test-vm-1", "--format", format, "--snapshot", host]);
      assert.equal(r.code, 0, `${format}: ${r.stderr}`);
      return r.stdout;
    };
    assert.equal(
      await run("bhyve-config"),
      [
        "memory.wired=true",
        "pci.0.5.0.device=passthru",
        "pci.0.5.0.bus=1",
        "pci.0.5.0.slot=0",
        "pci.0.5.0.func=0",
        "pci.0.5.1.device=passthru",
        "pci.0.5.1.bus=1",
        "pci.0.5.1.slot=0",
        "pci.0.5.1.func=1",
        "",
      ].join("\n"),
    );
    assert.equal(await run("vm-bhyve"), 'passthru0="1/0/0=5:0"\npassthru1="1/0/1=5:1"\n');
    assert.deepEqual(JSON.parse(await run("hoster")), ["1/0/0", "1/0/1"]);
    const doc = JSON.parse(await run("json"));
    assert.equal(doc.schema, "pptkit.plan/1");
    assert.equal(doc.vm, "test-vm-1");
    assert.equal(doc.source, "hoster");
    assert.equal(doc.args, "-S -s 5:0,passthru,1/0/0 -s 5:1,passthru,1/0/1");
    assert.deepEqual(
      doc.devices.map((d: { bsf: string; slot: number; function: number }) =>
        `${d.bsf}@${d.slot}:${d.function}`
      ),
      ["1/0/0@5:0", "1/0/1@5:1"],
    );
    const global = await pptkit(["plan", "test-vm-1", "--json", "--snapshot", host]);
    assert.equal(JSON.parse(global.stdout).schema, "pptkit.plan/1", "--json means --format json");
  } finally {
    await cleanup();
  }
});

Deno.test("plan: --first-slot and --used-slots move the devices, slots 0 and 31 never used", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demo(dir);
    await nativeVm(host, ["-1/0/0", "-1/0/1"]);
    const r = await pptkit([
      "plan",
      "test-vm-1",
      "--wrapper",
      "native",
      "--first-slot",
      "3",
      "--used-slots",
      "3,4",
      "--reset-slots",
      "--snapshot",
      host,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "-S -s 5:0,passthru,1/0/0 -s 6:0,passthru,1/0/1\n");
    const full = await pptkit([
      "plan",
      "test-vm-1",
      "--wrapper",
      "native",
      "--first-slot",
      "30",
      "--reset-slots",
      "--snapshot",
      host,
    ]);
    // A native config is pptkit's own: its slot rules fail with 78 (a wrapper's config: 65).
    assert.equal(full.code, 78, "slot 31 is never used: no room for the second device");
    assert.match(errorLines(full.stderr)[0], /^pptkit: VM test-vm-1: no free guest slot left/);
  } finally {
    await cleanup();
  }
});

Deno.test("plan: guest addresses are saved and stay stable when the config grows", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demo(dir);
    await nativeVm(host, ["-1/0/1"]);
    const native = ["--wrapper", "native", "--snapshot", host];
    const first = await pptkit(["plan", "test-vm-1", ...native]);
    assert.equal(first.stdout, "-S -s 6:0,passthru,1/0/1\n");
    assert.ok(await exists(`${host}/${SLOT_MAP}`), "the slot map is saved");
    // A device added in front would take slot 6 on a fresh plan; the saved map keeps 1/0/1 there.
    await nativeVm(host, ["-3/0/0", "-1/0/1"]);
    const second = await pptkit(["plan", "test-vm-1", ...native]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, "-S -s 6:0,passthru,1/0/1 -s 7:0,passthru,3/0/0\n");
    const saved = JSON.parse(await Deno.readTextFile(`${host}/${SLOT_MAP}`));
    assert.equal(saved.devices["0:1:0:1"].slot, 6);
    assert.equal(saved.devices["0:3:0:0"].slot, 7);
  } finally {
    await cleanup();
  }
});

Deno.test("plan: a different card at a saved address is refused until --reset-slots", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demo(dir);
    assert.equal((await pptkit(["plan", "test-vm-1", "--snapshot", host])).code, 0);
    const mapBefore = await Deno.readTextFile(`${host}/${SLOT_MAP}`);
    // Another GPU model in the same slot: device id 1cb2 -> 1cb3.
    const pciconf = await Deno.readTextFile(`${host}/pciconf.txt`);
    await Deno.writeTextFile(
      `${host}/pciconf.txt`,
      pciconf.replace("vendor=0x10de device=0x1cb2", "vendor=0x10de device=0x1cb3"),
    );
    const swapped = await pptkit(["plan", "test-vm-1", "--snapshot", host]);
    assert.notEqual(swapped.code, 0);
    assert.match(errorLines(swapped.stderr)[0], /card swapped\?/);
    assert.equal(swapped.stdout, "");
    assert.equal(await Deno.readTextFile(`${host}/${SLOT_MAP}`), mapBefore, "map unchanged");
    const reset = await pptkit(["plan", "test-vm-1", "--reset-slots", "--snapshot", host]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(reset.stdout, "-S -s 5:0,passthru,1/0/0 -s 5:1,passthru,1/0/1\n");
    assert.match(await Deno.readTextFile(`${host}/${SLOT_MAP}`), /"deviceId": "1cb3"/);
  } finally {
    await cleanup();
  }
});

Deno.test("plan: a VM no source knows is missing input (66); a native config wins by --wrapper", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = await demo(dir);
    const missing = await pptkit(["plan", "nosuch", "--snapshot", host]);
    assert.equal(missing.code, 66);
    assert.match(errorLines(missing.stderr)[0], /^pptkit: VM nosuch not found/);
    await Deno.mkdir(`${host}/root/usr/local/etc/pptkit/vms`, { recursive: true });
    await Deno.writeTextFile(
      `${host}/root/usr/local/etc/pptkit/vms/test-vm-1.jsonc`,
      '// the NIC only\n{ "passthru": ["3/0/0", "3/0/1"] }\n',
    );
    const native = await pptkit(["plan", "test-vm-1", "--wrapper", "native", "--snapshot", host]);
    assert.equal(native.code, 0, native.stderr);
    assert.equal(native.stdout, "-S -s 6:0,passthru,3/0/0 -s 6:1,passthru,3/0/1\n");
  } finally {
    await cleanup();
  }
});
