/**
 * Plugins: the API, quirk rules, loading with owner/mode checks, failures that never take the
 * run down, each built-in plugin, and that plugin code stays off the fast path.
 */

import assert from "node:assert/strict";
import { defaultConfig } from "../core/config.ts";
import { type Finding, withLocation } from "../core/findings.ts";
import { PptkitError } from "../core/errors.ts";
import type { FileInfo } from "../core/host/host.ts";
import { LiveHost } from "../core/host/live.ts";
import { type SandboxedModule, type SandboxLimits, startSandbox } from "../core/host/sandbox.ts";
import { readTrustedFile } from "../core/host/trust.ts";
import { parsePciconf, type PciDevice } from "../core/pciconf.ts";
import { builtinPlugins } from "../app/plugins.ts";
import {
  createRegistry,
  type LoadedPlugin,
  type PluginRegistry,
} from "../core/plugins/registry.ts";
import { definePlugin, type GroupEntry, type Plugin } from "../core/plugins/api.ts";
import { sandboxedPlugin } from "../core/plugins/sandboxed.ts";
import { loadPlugins, untrustedReason } from "../core/plugins/loading.ts";
import { parseQuirks, QUIRK_KINDS } from "../core/plugins/quirks.ts";
import { planArgs } from "../core/slots/formats.ts";
import { planVm } from "../core/slots/plan.ts";
import { parseNativeConfig } from "../core/vms/native.ts";
import type { VmConfig } from "../core/vms/types.ts";
import { deviceVerdict, scratch, verdictsFor } from "./helpers.ts";
import { TRUSTED_HOME, trustedScratch } from "./trusted.ts";
import { pluginContext } from "../core/plugins/context.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const PLUGIN_ROOT = `${ROOT}fixtures/plugins/root`;
const DEVICES = parsePciconf(Deno.readTextFileSync(`${ROOT}fixtures/vms/pciconf.txt`)).devices;

/** A host over the plugin fixtures: files in memory, owners and modes settable per path. */
class PluginHost {
  kind: "live" | "snapshot" = "live";
  readonly files = new Map<string, string>();
  readonly stats = new Map<string, Partial<FileInfo>>();

  constructor() {
    const walk = (dir: string) => {
      for (const e of Deno.readDirSync(PLUGIN_ROOT + dir)) {
        const path = `${dir}/${e.name}`;
        if (e.isDirectory) walk(path);
        else this.files.set(path, Deno.readTextFileSync(PLUGIN_ROOT + path));
      }
    };
    walk("");
  }
  realPath(path: string): string {
    return PLUGIN_ROOT + path;
  }
  readText(path: string): Promise<string | null> {
    return Promise.resolve(this.files.get(path) ?? null);
  }
  readDir(path: string): Promise<string[] | null> {
    const names = new Set<string>();
    for (const key of this.files.keys()) {
      if (key.startsWith(path + "/")) names.add(key.slice(path.length + 1).split("/")[0]);
    }
    return Promise.resolve(names.size === 0 ? null : [...names].sort());
  }
  /** How a plugin is started: in a real sandbox with short limits, unless a test says else. */
  start: (path: string, source: Uint8Array) => SandboxedModule = (path, source) =>
    startSandbox(path, source, TEST_LIMITS);
  readTrusted(path: string): Promise<Uint8Array> {
    const text = this.files.get(path);
    if (text === undefined) return Promise.reject(new Deno.errors.NotFound(path));
    return Promise.resolve(new TextEncoder().encode(text));
  }
  startPlugin(path: string, source: Uint8Array): Promise<SandboxedModule> {
    try {
      return Promise.resolve(this.start(path, source));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  stat(path: string): Promise<FileInfo | null> {
    const isFile = this.files.has(path);
    const isDirectory = !isFile && [...this.files.keys()].some((k) => k.startsWith(path + "/"));
    if (!isFile && !isDirectory) return Promise.resolve(null);
    const base: FileInfo = {
      isFile,
      isDirectory,
      mode: isFile ? 0o644 : 0o755,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: null,
    };
    return Promise.resolve({ ...base, ...this.stats.get(path) });
  }
}

const PLUGINS_DIR = "/usr/local/etc/pptkit/plugins";
/** A sandbox's limits in these tests: short, so a plugin that hangs fails fast. */
const TEST_LIMITS: SandboxLimits = { timeMs: 1500, memoryBytes: 256 << 20 };
const QUIRKS_DIR = "/usr/local/etc/pptkit/quirks.d";

async function load(host = new PluginHost(), uid: number | null = 1001): Promise<PluginRegistry> {
  return await loadPlugins({
    host,
    config: defaultConfig(),
    builtin: builtinPlugins(),
    uid,
  });
}

let builtin: PluginRegistry | null = null;
async function builtins(): Promise<PluginRegistry> {
  if (builtin === null) {
    const b = await builtinPlugins();
    builtin = createRegistry(b.plugins, b.rules);
  }
  return builtin;
}

function dev(bsf: string): PciDevice {
  const [b, s, f] = bsf.split("/").map(Number);
  const d = DEVICES.find((x) =>
    x.address.bus === b && x.address.slot === s && x.address.function === f
  );
  assert.ok(d, bsf);
  return d;
}

function native(vm: string, list: string[]): VmConfig {
  return parseNativeConfig(JSON.stringify({ passthru: list }), `/vms/${vm}.jsonc`, vm);
}

function codes(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.level}:${f.code}`);
}

// ---------------------------------------------------------------------------------------------
// API

Deno.test("definePlugin() accepts a plugin and refuses a wrong shape", () => {
  const p = definePlugin({ name: "x-1", version: "1", matches: () => true, inspect: () => [] });
  assert.equal(p.name, "x-1");
  assert.ok(Object.isFrozen(p));
  const bad = [
    { name: "X", version: "1", matches: () => true, inspect: () => [] },
    { name: "x", version: "", matches: () => true, inspect: () => [] },
    { name: "x", version: "1", inspect: () => [] },
    { name: "x", version: "1", matches: () => true },
    { name: "x", version: "1", matches: () => true, group: 5 },
  ];
  for (const b of bad) assert.throws(() => definePlugin(b as never), TypeError);
});

Deno.test("builtinPlugins() loads the four plugins by name and cited quirk rules", async () => {
  const b = await builtinPlugins();
  assert.deepEqual(b.plugins.map((p) => p.plugin.name), [
    "amd_gpu",
    "intel_nic",
    "nvidia",
    "qlogic",
  ]);
  assert.deepEqual(b.plugins.map((p) => p.path), [
    "plugins/amd_gpu.ts",
    "plugins/intel_nic.ts",
    "plugins/nvidia.ts",
    "plugins/qlogic.ts",
  ]);
  assert.ok(b.rules.length >= 60, `${b.rules.length} rules`);
  assert.deepEqual(
    [...new Set(b.rules.map((r) => r.rule))].sort(),
    [...QUIRK_KINDS].sort(),
  );
  for (const r of b.rules) {
    assert.equal(r.file, "plugins/quirks.jsonc");
    assert.match(r.source, /^https:\/\/[a-z]/, `rule on line ${r.line} cites no URL`);
  }
  const qlogic = b.rules.find((r) => r.vendor === "1077")!;
  assert.equal(qlogic.rule, "same-function");
  assert.equal(qlogic.class, "0c04");
  assert.match(qlogic.source, /wiki.freebsd.org\/bhyve\/pci_passthru/);
});

// ---------------------------------------------------------------------------------------------
// Quirk rules

Deno.test("parseQuirks() reports each bad rule with its line and keeps the good ones", () => {
  const file = `${QUIRKS_DIR}/mistakes.jsonc`;
  const { rules, findings } = parseQuirks(
    Deno.readTextFileSync(`${PLUGIN_ROOT}${file}`),
    file,
  );
  assert.deepEqual(rules.map((r) => [r.vendor, r.line]), [["10ec", 3]]);
  assert.deepEqual(findings.map((f) => f.line), [9, 14, 20]);
  assert.match(
    withLocation(findings[0]),
    /mistakes.jsonc:9: missing "source"$/,
  );
  assert.match(findings[0].fix!, /cite where/);
  assert.match(findings[1].message, /bad or missing "vendor": expected 4 hex digits/);
  assert.match(findings[2].message, /bad or missing "rule" "merge"/);
  assert.ok(findings.every((f) => f.code === "plugin" && f.level === "error"));
  const broken = parseQuirks("{", "q.jsonc").findings[0];
  assert.match(withLocation(broken), /^q.jsonc:1: bad JSONC/);
  assert.match(parseQuirks("[]", "q.jsonc").findings[0].message, /expected \{"rules": \[...\]\}/);
  assert.match(
    parseQuirks('{"rules": [{"vendor": "10de", "class": "3", "rule": "note"}]}', "q").findings[0]
      .message,
    /bad "class" "3"/,
  );
});

Deno.test("quirk notes show up in inspect; community rules add to the built-in ones", async () => {
  const registry = await load();
  const chelsio = parsePciconf(
    "ppt0@pci0:136:0:4:\tclass=0x020000 rev=0x00 hdr=0x00 vendor=0x1425 device=0x640d " +
      "subvendor=0x1425 subdevice=0x0000\n" +
      "re0@pci0:3:0:0:\tclass=0x020000 rev=0x15 hdr=0x00 vendor=0x10ec device=0x8168 " +
      "subvendor=0x1043 subdevice=0x8554\n",
  ).devices;
  const ctx = pluginContext(chelsio, null);
  const t6 = registry.inspect(chelsio[0], ctx);
  assert.deepEqual(codes(t6), ["info:quirk", "info:needs-release"]);
  assert.match(t6[0].message, /function 4 .*\(source: https:\/\/freebsdfoundation.org\/.* Journal/);
  assert.equal(t6[0].device, "pci0:136:0:4");
  const re = registry.inspect(chelsio[1], ctx).map((f) => f.message);
  assert.ok(re.some((m) => /RTL8168 NICs may not come back .*lab notes/.test(m)), re.join("\n"));
  assert.ok(re.some((m) => /upper-case vendor ids are fine/.test(m)));
  assert.ok(re.some((m) => /is a Realtek NIC/.test(m)), "the community code plugin ran");
});

Deno.test("a splittable rule says so in the plan, once", async () => {
  const registry = await load();
  const virtio = parsePciconf(
    "vtnet0@pci0:0:3:0:\tclass=0x020000 rev=0x00 hdr=0x00 vendor=0x1af4 device=0x1000 " +
      "subvendor=0x1af4 subdevice=0x0001\n",
  ).devices;
  const p = planVm(native("nested", ["0/3/0"]), virtio, { plugins: registry });
  assert.equal(p.findings.length, 1);
  assert.match(p.findings[0].message, /0\/3\/0 may also be split .*virtio NICs/);
  // Intel NICs have a code plugin for that advice: the quirk rule stays quiet.
  const intel = planVm(native("fw", ["6/0/0", "6/0/1"]), DEVICES, { plugins: registry });
  assert.equal(intel.findings.filter((f) => /split/.test(f.message)).length, 1);
});

// ---------------------------------------------------------------------------------------------
// Loading and trust

Deno.test("loadPlugins(): built-ins by name, then community files by name, then quirks", async () => {
  const registry = await load();
  const listing = registry.describe();
  assert.equal(listing.schema, "pptkit.plugins/1");
  assert.deepEqual(listing.plugins.map((p) => [p.name, p.origin]), [
    ["amd_gpu", "built-in"],
    ["intel_nic", "built-in"],
    ["nvidia", "built-in"],
    ["qlogic", "built-in"],
    ["realtek", "community"],
    ["thrower", "community"],
    ["quirks", "built-in"],
  ]);
  assert.equal(listing.plugins[4].path, `${PLUGINS_DIR}/realtek.ts`);
  assert.deepEqual(listing.plugins[4].hooks, ["inspect"]);
  assert.deepEqual(listing.plugins[2].hooks, ["group", "prestart"]);
  assert.match(listing.plugins[6].path, /plugins\/quirks.jsonc, .*quirks.d\/local.jsonc/);
  assert.ok(listing.rules.some((r) => r.file === `${QUIRKS_DIR}/local.jsonc` && r.line === 4));
  const refused = listing.findings.find((f) => /bad-shape/.test(f.message))!;
  assert.equal(refused.level, "error");
  assert.match(
    refused.message,
    /cannot use plugin .*bad-shape.ts: it has no matches\(device\) function/,
  );
  assert.equal(listing.findings.filter((f) => /mistakes.jsonc/.test(f.file ?? "")).length, 3);
});

Deno.test("loadPlugins() refuses group/world-writable files and directories", async () => {
  const host = new PluginHost();
  host.stats.set(`${PLUGINS_DIR}/realtek.ts`, { mode: 0o664 });
  host.stats.set(`${QUIRKS_DIR}/local.jsonc`, { mode: 0o646 });
  const registry = await load(host);
  const names = registry.plugins.map((p) => p.plugin.name);
  assert.ok(!names.includes("realtek"));
  assert.ok(names.includes("thrower"));
  const messages = registry.findings.map((f) => f.message);
  assert.ok(messages.includes(
    `refusing ${PLUGINS_DIR}/realtek.ts: ${PLUGINS_DIR}/realtek.ts is writable by its group ` +
      "(mode 0664)",
  ));
  assert.ok(messages.some((m) => /local.jsonc is writable by others \(mode 0646\)/.test(m)));
  const fix = registry.findings.find((f) => /realtek/.test(f.message))!.fix;
  assert.equal(fix, `chown root ${PLUGINS_DIR}/realtek.ts && chmod go-w ${PLUGINS_DIR}/realtek.ts`);

  const open = new PluginHost();
  open.stats.set(PLUGINS_DIR, { mode: 0o777 });
  const none = await load(open);
  assert.deepEqual(none.plugins.filter((p) => p.origin === "community"), []);
  assert.match(
    none.findings[0].message,
    /^refusing \/usr\/local\/etc\/pptkit\/plugins: directory .* is writable by its group and others \(mode 0777\)$/,
  );
});

Deno.test("loadPlugins() accepts root or the running user as owner, nobody else", async () => {
  const mine = new PluginHost();
  mine.stats.set(`${PLUGINS_DIR}/realtek.ts`, { uid: 1001 });
  assert.ok((await load(mine, 1001)).plugins.some((p) => p.plugin.name === "realtek"));
  const theirs = await load(mine, 1002);
  assert.ok(!theirs.plugins.some((p) => p.plugin.name === "realtek"));
  assert.ok(
    theirs.findings.some((f) =>
      f.message.endsWith("realtek.ts is owned by uid 1001, not root or uid 1002")
    ),
  );
  const link = new PluginHost();
  link.stats.set(`${PLUGINS_DIR}/realtek.ts`, { isFile: false });
  assert.ok((await load(link)).findings.some((f) => /not a regular file/.test(f.message)));
  assert.equal(untrustedReason(null, 0, "f"), "f does not exist");
  assert.equal(
    untrustedReason(
      { isFile: true, isDirectory: false, mode: null, uid: 0, gid: 0, size: 0, mtime: null },
      0,
      "f",
    ),
    "cannot check the owner and mode of f",
  );
});

Deno.test("loadPlugins() never runs code from a snapshot, but reads its quirk rules", async () => {
  const host = new PluginHost();
  host.kind = "snapshot";
  const registry = await load(host);
  assert.deepEqual(registry.plugins.filter((p) => p.origin === "community"), []);
  const note = registry.findings.find((f) => f.level === "info")!;
  assert.match(note.message, /^not loading code plugins from a snapshot: .*realtek.ts/);
  assert.ok(registry.rules.some((r) => r.file.endsWith("local.jsonc")));
});

Deno.test("loadPlugins() refuses a community plugin that takes a built-in's name", async () => {
  const host = new PluginHost();
  host.files.set(
    `${PLUGINS_DIR}/zz.ts`,
    'export default { name: "nvidia", version: "9", matches: () => true, inspect: () => [] };',
  );
  const registry = await loadPlugins({
    host,
    config: defaultConfig(),
    builtin: builtinPlugins(),
    uid: 0,
  });
  assert.ok(registry.findings.some((f) => /the name "nvidia" is already taken/.test(f.message)));
  const broken = new PluginHost();
  broken.files.set(`${PLUGINS_DIR}/realtek.ts`, "export default { name: }");
  const loaded = await loadPlugins({
    host: broken,
    config: { ...defaultConfig(), quirksDir: "/nowhere" },
    builtin: builtinPlugins(),
    uid: 0,
  });
  const failure = loaded.findings.find((f) => /realtek.ts/.test(f.message))!;
  assert.match(failure.message, /^cannot load plugin .*realtek.ts: .*(expected|Unexpected)/i);
  assert.ok(!failure.message.includes("base64"), failure.message);
});

// ---------------------------------------------------------------------------------------------
// Failures never take the run down

Deno.test("a plugin that throws becomes one plugin finding with its name; the run goes on", async () => {
  const registry = await load();
  const ctx = pluginContext(DEVICES, null);
  const first = registry.inspect(dev("1/0/0"), ctx);
  const failure = first.find((f) => f.code === "plugin")!;
  assert.equal(failure.level, "warn");
  assert.equal(
    failure.message,
    `plugin thrower (${PLUGINS_DIR}/throws.js) inspect failed: cannot read properties of ` +
      "undefined (reading 'x'); its advice is skipped",
  );
  assert.equal(failure.fix, `fix or remove ${PLUGINS_DIR}/throws.js`);
  // Reported once, not for every device.
  assert.ok(!registry.inspect(dev("1/0/1"), ctx).some((f) => f.code === "plugin"));
  // The group hook fails too, and the plan is made all the same.
  const p = planVm(native("gpu", ["1/0/0", "1/0/1"]), DEVICES, { plugins: registry });
  assert.equal(planArgs(p), "-S -s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1");
  assert.ok(
    p.findings.some((f) => /plugin thrower .* group failed: group exploded/.test(f.message)),
  );
  assert.equal(registry.findings.filter((f) => /thrower/.test(f.message)).length, 2);
});

Deno.test("a plugin returning the wrong thing is reported and ignored", () => {
  const liar: LoadedPlugin = {
    plugin: definePlugin({
      name: "liar",
      version: "1",
      matches: () => true,
      inspect: () => "nothing" as unknown as Finding[],
      group: (entries) => entries.slice(1),
      prestart: () => [{ level: "fatal", code: "x", message: "m" } as unknown as Finding],
    }),
    origin: "community",
    path: "/p/liar.ts",
  };
  const registry = createRegistry([liar], []);
  const ctx = pluginContext(DEVICES, "vm");
  assert.match(
    registry.inspect(dev("1/0/0"), ctx)[0].message,
    /inspect returned something that is not/,
  );
  const found: Finding[] = [];
  const entries = native("vm", ["1/0/0", "1/0/1"]).passthru.map((entry, index): GroupEntry => ({
    index,
    entry,
    device: dev(entry.token.text),
    grouping: "auto",
    reason: null,
  }));
  const out = registry.group(
    entries,
    pluginContext(DEVICES, "vm", undefined, (f) => found.push(f)),
  );
  assert.deepEqual(out, entries);
  assert.match(found[0].message, /group returned something/);
  assert.match(registry.prestart({ name: "vm", entries }, ctx)[0].message, /prestart returned/);
});

// ---------------------------------------------------------------------------------------------
// Trust on the opened file (#17.5) and the sandbox (#17.6)

const PLUGIN = `export default { name: "tiny", version: "1", matches: (d: PciDevice) => true, ` +
  "inspect: () => [] };\n";

/** A live host under a trusted --root holding one plugin file, and that file's real path. */
async function trustedRoot(root: string): Promise<string> {
  await Deno.mkdir(`${root}${PLUGINS_DIR}`, { recursive: true, mode: 0o755 });
  const file = `${root}${PLUGINS_DIR}/tiny.ts`;
  await Deno.writeTextFile(file, PLUGIN.replace("PciDevice", "{ vendorId: string }"));
  await Deno.chmod(file, 0o644);
  return file;
}

Deno.test({
  name: "#17.5 readTrusted(): the file and every directory up to / are checked, like StrictModes",
  ignore: TRUSTED_HOME === null,
  async fn() {
    const [root, cleanup] = await trustedScratch();
    try {
      const file = await trustedRoot(root);
      const host = new LiveHost(root);
      const path = `${PLUGINS_DIR}/tiny.ts`;
      assert.equal(
        new TextDecoder().decode(await host.readTrusted(path)),
        Deno.readTextFileSync(file),
      );
      const refusal = async (pattern: RegExp) =>
        await assert.rejects(
          () => host.readTrusted(path),
          (e) => e instanceof PptkitError && e.exitCode === 77 && pattern.test(e.message),
        );
      // A writable directory anywhere above the file, not only its own.
      await Deno.chmod(`${root}/usr/local/etc`, 0o775);
      await refusal(
        new RegExp(
          `^refusing ${path}: directory ${root}/usr/local/etc is writable by its group \\(mode 0775\\)$`,
        ),
      );
      await Deno.chmod(`${root}/usr/local/etc`, 0o755);
      await Deno.chown(file, 65534, 65534);
      await refusal(/tiny.ts is owned by uid 65534, not root/);
      await Deno.chown(file, 0, 0);
      await Deno.rename(file, `${file}.real`);
      await Deno.symlink(`${file}.real`, file);
      await refusal(/it is a symbolic link \(not followed\)/);
    } finally {
      await cleanup();
    }
    // Under /tmp the walk up meets a directory everybody can write.
    const [tmp, done] = await scratch();
    try {
      await trustedRoot(tmp);
      await assert.rejects(
        () => new LiveHost(tmp).readTrusted(`${PLUGINS_DIR}/tiny.ts`),
        (e) =>
          e instanceof PptkitError &&
          /directory \/tmp is writable by its group and others \(mode 1777\)/.test(e.message),
      );
    } finally {
      await done();
    }
  },
});

Deno.test({
  name: "#17.5 a plugin swapped after its checks is refused; the checked bytes are what runs",
  ignore: TRUSTED_HOME === null,
  async fn() {
    const [root, cleanup] = await trustedScratch();
    try {
      const file = await trustedRoot(root);
      const evil = `${root}/evil.ts`;
      Deno.writeTextFileSync(evil, PLUGIN.replace('"tiny"', '"evil"'));
      // The step a racer wins: after the checks, before the open.
      assert.throws(
        () => readTrustedFile(file, "tiny.ts", 0, null, () => Deno.renameSync(evil, file)),
        (e: unknown) =>
          e instanceof PptkitError && /replaced while pptkit opened it/.test(e.message),
      );
      // Checked, then replaced before it is started: what starts is what was checked.
      Deno.writeTextFileSync(file, PLUGIN.replace("PciDevice", "unknown"));
      const host = new LiveHost(root);
      const bytes = await host.readTrusted(`${PLUGINS_DIR}/tiny.ts`);
      Deno.writeTextFileSync(
        file,
        PLUGIN.replace('"tiny"', '"evil"').replace("PciDevice", "unknown"),
      );
      const started = await host.startPlugin(`${PLUGINS_DIR}/tiny.ts`, bytes, TEST_LIMITS);
      assert.equal(started.exports?.name, "tiny");
    } finally {
      await cleanup();
    }
  },
});

Deno.test("#17.6 a sandboxed plugin gets its context as data; what it says comes back escaped", () => {
  const source = `export default {
    name: "ctx", version: "1", matches: (d) => d.vendorId === "10de",
    inspect(d, ctx) {
      ctx.report({ level: "warn", code: "quirk", message: "reported\\nline" });
      return [{ level: "info", code: "quirk", extra: 1, message: [ctx.slotOf(d).length,
        ctx.usersOf(d).map((u) => u.vm).join(), ctx.lockedBy(d), ctx.release, ctx.vm].join(" ") +
        " \\x1b[2J" }];
    },
    prestart() { throw new Error("broken\\nhere"); },
  };`;
  const mod = startSandbox("ctx.js", new TextEncoder().encode(source), TEST_LIMITS);
  assert.equal(mod.containment, "lockdown", "deno test runs without --unstable-worker-options");
  const registry = createRegistry([
    { plugin: sandboxedPlugin(mod) as unknown as Plugin, origin: "community", path: "/p/ctx.js" },
  ], []);
  const reports: Finding[] = [];
  const ctx = pluginContext(
    DEVICES,
    "vm9",
    (d) => d.address.bus === 1 ? [{ vm: "gpu-vm", source: "native", running: false }] : [],
    (f) => reports.push(f),
    { release: "14.1-RELEASE", lockedBy: () => "other-vm" },
  );
  const found = registry.inspect(dev("1/0/0"), ctx);
  assert.deepEqual(found, [{
    device: "pci0:1:0:0",
    level: "info",
    code: "quirk",
    message: "2 gpu-vm other-vm 14.1-RELEASE vm9 \\x1b[2J",
  }]);
  assert.deepEqual(reports.map((f) => f.message), ["reported\\nline"]);
  assert.deepEqual(registry.inspect(dev("6/0/0"), ctx), [], "matches said no");
  const entries = native("vm9", ["1/0/0"]).passthru.map((entry, index): GroupEntry => ({
    index,
    entry,
    device: dev("1/0/0"),
    grouping: "auto",
    reason: null,
  }));
  // A prestart check that could not be made is a veto, naming the plugin and its file.
  assert.deepEqual(codes(registry.prestart({ name: "vm9", entries }, ctx)), ["error:plugin"]);
  assert.equal(
    registry.findings.at(-1)!.message,
    "plugin ctx (/p/ctx.js) prestart failed: broken",
  );
});

Deno.test("#17.6 with --unstable-worker-options the Worker gets no permission at all", async () => {
  const script = `import { startSandbox } from "${ROOT}core/host/sandbox.ts";
    const m = startSandbox("p.js", new TextEncoder().encode(
      'export default { name: "p", version: "1", matches: () => false, inspect: () => [] };'));
    console.log(JSON.stringify({ containment: m.containment, run: m.permissions.run,
      write: m.permissions.write }));
    Deno.exit(0);`;
  // The launcher passes the flag and says so in PPTKIT_UNSTABLE_WORKER_OPTIONS (deno tells a
  // program nothing of its flags); without both, the Worker shares the process's grants.
  const run = async (flags: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        ...flags,
        "--allow-run=true",
        "--allow-write=/tmp",
        "--allow-env=PPTKIT_UNSTABLE_WORKER_OPTIONS",
        `--allow-read=${ROOT}`,
        script,
      ],
      env: flags.length > 0 ? { PPTKIT_UNSTABLE_WORKER_OPTIONS: "1" } : {},
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout));
  };
  const [none, shared] = await Promise.all([run(["--unstable-worker-options"]), run([])]);
  assert.equal(none.containment, "no permissions");
  assert.notEqual(none.run, "granted");
  assert.notEqual(none.write, "granted");
  assert.equal(shared.containment, "lockdown");
  assert.equal(shared.run, "granted", "without the flag the Worker has the process's grants");
});

// ---------------------------------------------------------------------------------------------
// Built-in plugins

Deno.test("nvidia: GPU and audio stay in one guest slot", async () => {
  const p = planVm(native("gpu", ["1/0/1", "2/0/0", "1/0/0"]), DEVICES, {
    plugins: await builtins(),
  });
  assert.equal(
    planArgs(p),
    "-S -s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1 -s 7:0,passthru,2/0/0",
  );
  assert.deepEqual(p.findings.map((f) => f.code), []);
  // The AMD card's audio is left out: the verdict (plan, check, hook) says so.
  const { verdict } = verdictsFor(
    DEVICES,
    [native("gpu", ["1/0/1", "2/0/0", "1/0/0"])],
    await builtins(),
  );
  // The AMD GPU's rules: a host lock-up report (a warning for the VM) and its option ROM.
  assert.deepEqual(verdict.verdicts[0].findings.map((f) => f.code), [
    "host-hang",
    "partial-device",
    "quirk",
    "needs-rom",
  ]);
});

Deno.test("nvidia: a VM that passes part of the card gets partial-device", async () => {
  const registry = await builtins();
  const found = deviceVerdict(DEVICES, [native("half", ["1/0/0"])], "1/0/0", registry);
  assert.deepEqual(codes(found), ["warn:partial-device"]);
  assert.equal(
    found[0].message,
    "half passes 1/0/0 but not 1/0/1 (multimedia/HDA) of the same NVIDIA card: the driver " +
      "expects the GPU with its audio (and USB-C) functions",
  );
  assert.equal(found[0].fix, "add 1/0/1 to half's passthru list");
  assert.deepEqual(deviceVerdict(DEVICES, [native("half", ["1/0/0"])], "1/0/1", registry), []);
  assert.deepEqual(
    deviceVerdict(DEVICES, [native("whole", ["1/0/0", "1/0/1"])], "1/0/0", registry),
    [],
  );
  // plan, check --vm and hook prestart take their findings from the same engine.
  const { verdict } = verdictsFor(DEVICES, [native("half", ["1/0/1"])], registry);
  assert.deepEqual(codes(verdict.verdicts[0].findings), [
    "info:guest-renumbered",
    "warn:partial-device",
  ]);
  const pre = registry.prestart(
    {
      name: "half",
      entries: [{
        index: 0,
        entry: native("half", ["1/0/1"]).passthru[0],
        device: dev("1/0/1"),
        grouping: "auto",
        reason: null,
      }],
    },
    pluginContext(DEVICES, "half"),
  );
  assert.deepEqual(codes(pre), ["warn:partial-device"]);
});

Deno.test("qlogic: functions keep host numbers; a split is an error that says why", async () => {
  const registry = await builtins();
  const ok = planVm(native("san", ["4/0/1", "4/0/0"]), DEVICES, { plugins: registry });
  assert.equal(planArgs(ok), "-S -s 6:0,passthru,4/0/0 -s 6:1,passthru,4/0/1");
  assert.throws(
    () => planVm(native("san", ["-4/0/0", "-4/0/1"]), DEVICES, { plugins: registry }),
    (e: unknown) => {
      assert.ok(e instanceof PptkitError);
      assert.match(e.message, /^VM san: -4\/0\/0 cannot be split into its own guest slot: qlogic:/);
      assert.match(
        e.message,
        /An example is QLogic FC adapters, where function 0 is used for firmware loading, while the other functions are for port data transfer/,
      );
      assert.equal(e.hint, "write 4/0/0 without the - prefix");
      return true;
    },
  );
});

Deno.test("qlogic: function 0 is required", async () => {
  const registry = await builtins();
  assert.throws(
    () => planVm(native("san", ["4/0/1"]), DEVICES, { plugins: registry }),
    (e: unknown) => {
      assert.ok(e instanceof PptkitError);
      assert.match(
        e.message,
        /^VM san: 4\/0\/1 cannot be placed: function 0 of the device is not passed, and qlogic:/,
      );
      assert.equal(e.hint, "add 4/0/0 to the VM's passthru list");
      return true;
    },
  );
  assert.throws(
    () => planVm(native("san", ["4/0/0=9:0", "4/0/1=9:2"]), DEVICES, { plugins: registry }),
    /4\/0\/1=9:2 is pinned to guest function 2, not its host function 1/,
  );
  const found = deviceVerdict(DEVICES, [native("san", ["4/0/1"])], "4/0/1", registry);
  assert.deepEqual(codes(found), ["error:missing-function0"]);
  assert.match(
    found[0].message,
    /^san passes 4\/0\/1 of a QLogic FC adapter without function 0 \(4\/0\/0\), which loads the adapter's firmware/,
  );
  const entries = ["-4/0/0", "4/0/1"].map((t, index): GroupEntry => ({
    index,
    entry: native("san", [t]).passthru[0],
    device: dev(t.replace("-", "")),
    grouping: "auto",
    reason: null,
  }));
  assert.deepEqual(registry.prestart({ name: "san", entries }, pluginContext(DEVICES, "san")), []);
  // The split is the allocator's to refuse, with the plugin's reason, for every command.
  const split = deviceVerdict(DEVICES, [native("san", ["-4/0/0", "4/0/1"])], "4/0/0", registry);
  assert.deepEqual(codes(split), ["error:quirk"]);
  assert.match(split[0].message, /^VM san: -4\/0\/0 cannot be split into its own guest slot/);
});

Deno.test("intel_nic: ports may be split, and the plan says so", async () => {
  const registry = await builtins();
  const grouped = planVm(native("fw", ["6/0/0", "6/0/1"]), DEVICES, { plugins: registry });
  assert.equal(planArgs(grouped), "-S -s 6:0,passthru,6/0/0 -s 6:1,passthru,6/0/1");
  assert.deepEqual(codes(grouped.findings), ["info:quirk"]);
  assert.match(
    grouped.findings[0].message,
    /^6\/0\/0, 6\/0\/1 are ports of one Intel network adapter/,
  );
  assert.equal(grouped.findings[0].fix, "to split them, write -6/0/0 -6/0/1");
  const split = planVm(native("fw", ["-6/0/0", "-6/0/1"]), DEVICES, { plugins: registry });
  assert.equal(planArgs(split), "-S -s 6:0,passthru,6/0/0 -s 7:0,passthru,6/0/1");
  assert.deepEqual(codes(split.findings), ["info:quirk"]);
  assert.match(
    split.findings[0].message,
    /split into separate guest slots, which Intel network adapters support/,
  );
});

Deno.test("amd_gpu: GPU and HDMI audio pair up; the reset caveat is noted", async () => {
  const registry = await builtins();
  const ctx = pluginContext(DEVICES, null);
  const gpu = registry.inspect(dev("2/0/0"), ctx);
  assert.deepEqual(codes(gpu), [
    "info:quirk",
    "warn:host-hang",
    "info:needs-rom",
    "info:needs-release",
  ]);
  assert.match(gpu[0].message, /AMD GPUs may not reset .*source: https:\/\/github.com\/chyves/);
  assert.deepEqual(registry.inspect(dev("2/0/1"), ctx), []);
  assert.deepEqual(
    codes(deviceVerdict(DEVICES, [native("tv", ["2/0/1"])], "2/0/1", registry)),
    ["info:guest-renumbered", "warn:partial-device"],
  );
  const p = planVm(native("tv", ["2/0/0", "2/0/1"]), DEVICES, { plugins: registry });
  assert.equal(planArgs(p), "-S -s 6:0,passthru,2/0/0 -s 6:1,passthru,2/0/1");
  const entries = p.placements.map((x, index): GroupEntry => ({
    index,
    entry: native("tv", [x.text]).passthru[0],
    device: dev(x.bsf),
    grouping: "auto",
    reason: null,
  }));
  assert.deepEqual(codes(registry.prestart({ name: "tv", entries }, ctx)), [
    "info:quirk",
    "warn:needs-rom",
  ]);
});

// ---------------------------------------------------------------------------------------------
// The fast path

Deno.test("core never loads plugin code: only app/ hands the built-in plugins over", async () => {
  // The engine knows plugins through their hooks only: core never imports a plugin or the code
  // that loads community plugins. Follow only the code dependencies of core's modules.
  const fast = [
    "core/vms/index.ts",
    "core/vms/usage.ts",
    "core/slots/plan.ts",
    "core/config.ts",
    "core/verdict.ts",
  ];
  for (const root of fast) {
    const info = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", `${ROOT}${root}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(info.code, 0, new TextDecoder().decode(info.stderr));
    const modules: { specifier: string; dependencies?: { code?: { specifier: string } }[] }[] =
      JSON.parse(new TextDecoder().decode(info.stdout)).modules;
    const byUrl = new Map(modules.map((m) => [m.specifier, m]));
    const seen = new Set<string>();
    const queue = [new URL(root, `file://${ROOT}`).href];
    while (queue.length > 0) {
      const url = queue.pop()!;
      if (seen.has(url)) continue;
      seen.add(url);
      for (const d of byUrl.get(url)?.dependencies ?? []) {
        if (d.code) queue.push(d.code.specifier);
      }
    }
    assert.ok(seen.size > 2, `${root}: the graph was not read`);
    const loaded = [...seen].filter((u) =>
      u.endsWith("/core/plugins/loading.ts") || u.includes(`${ROOT}plugins/`)
    );
    assert.deepEqual(loaded, [], `${root} loads plugin code at run time`);
  }
});
