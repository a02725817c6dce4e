/**
 * VM config readers (Hoster, vm-bhyve, CBSD, native), discovery through a host, and usage.
 * Fixtures under fixtures/vms/ are in the wrappers' real formats; the host is an in-memory map.
 */

import assert from "node:assert/strict";
import { defaultConfig, type PptkitConfig } from "../core/config.ts";
import { type Finding, withLocation } from "../core/findings.ts";
import { ExitCode, PptkitError } from "../core/errors.ts";
import type { CaptureName, FileInfo } from "../core/host/host.ts";
import { parsePciconf } from "../core/pciconf.ts";
import { parseCbsdPptList } from "../core/vms/cbsd.ts";
import { parseHosterHostConfig, parseHosterVmConfig, readHosterVm } from "../core/vms/hoster.ts";
import { loadVmConfig, loadVmConfigs } from "../core/vms/index.ts";
import { requireUsable, type VmConfig, type VmSource } from "../core/vms/types.ts";
import { parseNativeConfig } from "../core/vms/native.ts";
import { computeUsage, usageOf, usageStatus } from "../core/vms/usage.ts";
import {
  parseRcConfVmDir,
  parseVmBhyveConfig,
  readVmBhyveConf,
  vmBhyveDirs,
} from "../core/vms/vm_bhyve.ts";
import { deviceVerdict, verdictsFor } from "./helpers.ts";

const FIXTURES = new URL("../fixtures/vms/", import.meta.url).pathname;

/** A host over an in-memory map of files (host path -> text) and captures. */
class MemHost {
  readonly kind = "snapshot" as const;
  readonly description = "memory";
  readonly files = new Map<string, string>();
  readonly captures = new Map<CaptureName, string>();

  realPath(path: string): string {
    return path;
  }
  readText(path: string): Promise<string | null> {
    return Promise.resolve(this.files.get(path) ?? null);
  }
  readDir(path: string): Promise<string[] | null> {
    const prefix = path.endsWith("/") ? path : path + "/";
    const names = new Set<string>();
    for (const key of this.files.keys()) {
      if (key.startsWith(prefix)) names.add(key.slice(prefix.length).split("/")[0]);
    }
    return Promise.resolve(names.size === 0 ? null : [...names].sort());
  }
  stat(path: string): Promise<FileInfo | null> {
    const isFile = this.files.has(path);
    const isDirectory = !isFile && [...this.files.keys()].some((k) => k.startsWith(path + "/"));
    if (!isFile && !isDirectory) return Promise.resolve(null);
    return Promise.resolve({
      isFile,
      isDirectory,
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: null,
    });
  }
  capture(name: CaptureName): Promise<string | null> {
    return Promise.resolve(this.captures.get(name) ?? null);
  }
}

/** Copies a fixture tree (`fixtures/vms/<dir>/root`) into a host, at its host paths. */
function loadTree(host: MemHost, dir: string, base = ""): MemHost {
  for (const entry of Deno.readDirSync(`${FIXTURES}${dir}${base}`)) {
    const rel = `${base}/${entry.name}`;
    if (entry.isDirectory) loadTree(host, dir, rel);
    else host.files.set(rel, Deno.readTextFileSync(`${FIXTURES}${dir}${rel}`));
  }
  return host;
}

function hostWith(...trees: string[]): MemHost {
  const host = new MemHost();
  for (const t of trees) loadTree(host, `${t}/root`);
  return host;
}

function config(overrides: Partial<PptkitConfig> = {}): PptkitConfig {
  return { ...defaultConfig(), ...overrides };
}

const HOSTER_CONFIG = config({
  sources: ["hoster"],
  zfsMountpoints: { "tank/vm-unencrypted": "/tank/vms" },
});

function entries(vm: VmConfig): string[] {
  return vm.passthru.map((e) => e.token.text);
}

function byName(vms: readonly VmConfig[], name: string): VmConfig {
  const found = vms.find((v) => v.vm === name);
  assert.ok(found, `no VM ${name} in ${vms.map((v) => v.vm).join(", ")}`);
  return found;
}

function messages(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.level} ${f.code} ${withLocation(f)} | ${f.fix ?? ""}`).join("\n");
}

const DEVICES = parsePciconf(Deno.readTextFileSync(`${FIXTURES}pciconf.txt`)).devices;

// ---------------------------------------------------------------------------------------------
// Hoster

Deno.test("parseHosterVmConfig() reads the guide's passthru array", () => {
  const text = Deno.readTextFileSync(
    `${FIXTURES}hoster/root/zroot/vm-encrypted/test-vm-1/vm_config.json`,
  );
  const vm = parseHosterVmConfig(text, "/zroot/vm-encrypted/test-vm-1/vm_config.json", "test-vm-1");
  assert.deepEqual(entries(vm), ["1/0/0", "1/0/1"]);
  assert.equal(vm.passthru[0].line, 34);
  assert.equal(vm.source, "hoster");
  assert.deepEqual(vm.findings, []);
});

Deno.test("readHosterVms() finds VMs under host_config.json's active datasets", async () => {
  const host = hostWith("hoster");
  const scan = await loadVmConfigs(host, HOSTER_CONFIG);
  assert.deepEqual(scan.vms.map((v) => v.vm), [
    "bad-address",
    "no-function0",
    "numbers",
    "passthru-string",
    "split-nic",
    "test-vm-1",
    "test-vm-2",
  ]);
  assert.deepEqual(entries(byName(scan.vms, "test-vm-2")), ["-1/0/0", "-1/0/1"]);
  assert.equal(byName(scan.vms, "test-vm-2").file, "/zroot/vm-encrypted/test-vm-2/vm_config.json");
  assert.deepEqual(scan.sources, [{ source: "hoster", found: true, vms: 7 }]);
  assert.deepEqual(scan.findings, []);
});

Deno.test("readHosterVms() reports a dataset whose mountpoint is not where ZFS puts it", async () => {
  const scan = await loadVmConfigs(hostWith("hoster"), config({ sources: ["hoster"] }));
  assert.equal(scan.vms.length, 2);
  assert.equal(scan.findings.length, 1);
  assert.match(
    scan.findings[0].message,
    /Hoster VM directory \/tank\/vm-unencrypted does not exist/,
  );
  assert.match(scan.findings[0].fix!, /zfsMountpoints/);
});

Deno.test("hoster: a passthru string is a finding naming file and line", async () => {
  const scan = await loadVmConfigs(hostWith("hoster"), HOSTER_CONFIG);
  const vm = byName(scan.vms, "passthru-string");
  assert.deepEqual(vm.passthru, []);
  assert.equal(vm.findings.length, 1);
  const f = vm.findings[0];
  assert.equal(f.code, "vm-config");
  assert.equal(f.level, "error");
  assert.equal(f.file, "/tank/vms/passthru-string/vm_config.json");
  assert.equal(f.line, 18);
  assert.equal(
    withLocation(f),
    '/tank/vms/passthru-string/vm_config.json:18: "passthru" must be an array of strings, ' +
      'not a string "1/0/0"',
  );
  assert.equal(f.fix, 'write "passthru": ["1/0/0"]');
});

Deno.test("hoster: numbers, bad addresses and pins are findings; good entries stay", async () => {
  const scan = await loadVmConfigs(hostWith("hoster"), HOSTER_CONFIG);
  const numbers = byName(scan.vms, "numbers");
  assert.deepEqual(entries(numbers), ["2/0/0"]);
  assert.match(
    withLocation(numbers.findings[0]),
    /:18: passthru entries must be strings like "1\/0\/0", not a number 2$/,
  );

  const bad = byName(scan.vms, "bad-address");
  assert.deepEqual(entries(bad), []);
  assert.equal(bad.findings.length, 3);
  assert.match(
    withLocation(bad.findings[0]),
    /:18: bad PCI address "pci0:58:0:0"/,
  );
  assert.match(bad.findings[0].fix!, /did you mean 58\/0\/0\?/);
  assert.match(
    withLocation(bad.findings[1]),
    /bad PCI address "129:0:0"/,
  );
  assert.match(bad.findings[1].fix!, /use \/ not :/);
  assert.match(
    withLocation(bad.findings[2]),
    /Hoster does not understand the pinned form "3\/0\/0=7:0"/,
  );
});

Deno.test("hoster: a trailing comma or a comment, which Go's JSON reader refuses, is a finding", () => {
  const file = "/tank/vms/trailing-comma/vm_config.json";
  const comma = parseHosterVmConfig(
    '{\n  "memory": "2G",\n  "passthru": ["3/0/0",]\n}\n',
    file,
    "t",
  );
  assert.equal(comma.findings.length, 1);
  assert.equal(comma.findings[0].line, 3);
  assert.match(
    withLocation(comma.findings[0]),
    /^\/tank\/vms\/trailing-comma\/vm_config.json:3: bad JSON: /,
  );
  assert.match(comma.findings[0].fix!, /strict JSON/);
  const comment = parseHosterVmConfig('{\n  // GPU\n  "passthru": ["3/0/0"]\n}\n', file, "t");
  assert.equal(comment.findings[0].line, 2);
  assert.match(
    withLocation(comment.findings[0]),
    /bad JSON: invalid comment token$/,
  );
});

Deno.test("parseHosterHostConfig() reports a missing or wrong active_datasets", () => {
  assert.deepEqual(parseHosterHostConfig('{"active_datasets": ["a/b"]}', "h.json").datasets, [
    "a/b",
  ]);
  const missing = parseHosterHostConfig("{}", "h.json");
  assert.equal(missing.findings[0].level, "warn");
  const wrong = parseHosterHostConfig('{\n"active_datasets": "zroot/vm"}', "h.json");
  assert.equal(wrong.findings[0].line, 2);
  assert.match(wrong.findings[0].message, /must be an array of dataset names, not a string/);
  const broken = parseHosterHostConfig('{\n// no\n"a": 1}', "h.json");
  assert.equal(broken.findings[0].line, 2);
});

Deno.test("hoster.vmDirs and hoster.datasets in pptkit.jsonc replace host_config.json", async () => {
  const host = hostWith("hoster");
  const byDirs = await loadVmConfigs(
    host,
    config({
      sources: ["hoster"],
      hoster: { configDirs: [], datasets: null, vmDirs: ["/zroot/vm-encrypted"] },
    }),
  );
  assert.deepEqual(byDirs.vms.map((v) => v.vm), ["test-vm-1", "test-vm-2"]);
  const byDatasets = await loadVmConfigs(
    host,
    config({
      sources: ["hoster"],
      hoster: { configDirs: [], datasets: ["tank/vm-unencrypted"], vmDirs: null },
      zfsMountpoints: { "tank/vm-unencrypted": "/tank/vms" },
    }),
  );
  assert.equal(byDatasets.vms.length, 5);
  assert.ok((await readHosterVm(host, HOSTER_CONFIG, "test-vm-1")) !== null);
  assert.equal(await readHosterVm(host, HOSTER_CONFIG, "nope"), null);
});

// ---------------------------------------------------------------------------------------------
// vm-bhyve

Deno.test("vm-bhyve: vm_dir zfs:pool/ds from rc.conf, plus system.conf datastores", async () => {
  const host = hostWith("vm-bhyve");
  const where = await vmBhyveDirs(host, config());
  assert.deepEqual(where.dirs, ["/zroot/vm", "/fast/vm"]);
  assert.equal(where.origin, "/etc/rc.conf:7");
  const scan = await loadVmConfigs(host, config({ sources: ["vm-bhyve"] }));
  assert.deepEqual(scan.vms.map((v) => v.vm), ["fbsd", "gap", "nic", "win10"]);
  assert.equal(byName(scan.vms, "fbsd").file, "/fast/vm/fbsd/fbsd.conf");
});

Deno.test("vm-bhyve: pinned entries and passthruN_options", async () => {
  const scan = await loadVmConfigs(hostWith("vm-bhyve"), config({ sources: ["vm-bhyve"] }));
  const win10 = byName(scan.vms, "win10");
  assert.deepEqual(entries(win10), ["2/0/0=7:0", "2/0/1=7:1"]);
  assert.deepEqual(win10.passthru[0].token.pin, { slot: 7, function: 0 });
  assert.equal(win10.passthru[0].line, 12);
  assert.deepEqual(win10.passthru[0].options, { rom: "/zroot/vm/.config/gp107.rom" });
  assert.deepEqual(win10.options, { "2/0/0": { rom: "/zroot/vm/.config/gp107.rom" } });
  assert.deepEqual(win10.findings, []);
  const fbsd = byName(scan.vms, "fbsd");
  assert.deepEqual(fbsd.passthru[1].options, { rom: "/fast/vm/.config/qla.rom", bootindex: "1" });
});

Deno.test("vm-bhyve: first assignment wins, the first gap stops, blanks and - are findings", async () => {
  const scan = await loadVmConfigs(hostWith("vm-bhyve"), config({ sources: ["vm-bhyve"] }));
  const gap = byName(scan.vms, "gap");
  // passthru0 = 3/0/0 (first line), passthru1 "-3/0/4" is unusable, passthru2 = 3/0/2,
  // passthru3 cannot be read (blanks around =), so vm-bhyve stops there.
  assert.deepEqual(entries(gap), ["3/0/0", "3/0/2"]);
  const text = messages(gap.findings);
  assert.match(text, /gap.conf:9: passthru0 is set again; vm-bhyve uses the first one \(line 8\)/);
  assert.match(text, /gap.conf:11: vm-bhyve cannot read "passthru3": blanks around =/);
  assert.match(text, /gap.conf:12: vm-bhyve does not understand the split form "-3\/0\/4"/);
  assert.ok(gap.findings.every((f) => f.file === "/zroot/vm/gap/gap.conf"));
});

Deno.test("vm-bhyve: an entry after the first gap is ignored, as vm-bhyve does", () => {
  const vm = parseVmBhyveConfig('passthru0="1/0/0"\npassthru2="2/0/0"\n', "/vm/a/a.conf", "a");
  assert.deepEqual(entries(vm), ["1/0/0"]);
  assert.equal(vm.findings.length, 1);
  assert.equal(vm.findings[0].line, 2);
  assert.match(vm.findings[0].message, /passthru2="2\/0\/0" is ignored/);
  assert.equal(vm.findings[0].fix, "rename it to passthru1");
  // The sample template's empty passthru0 means "no devices".
  assert.deepEqual(parseVmBhyveConfig('passthru0=""\n', "t", "t").passthru, []);
});

Deno.test("vm-bhyve: a misspelled passthruN is an error (65), not a VM without that device", () => {
  const read = (text: string) => parseVmBhyveConfig(text, "/vm/a/a.conf", "a");
  const typo = (text: string) =>
    read(text).findings.map((f) => `${f.level} ${f.line}: ${f.message} | ${f.fix}`);
  const says = (key: string, meant: string, level = "error", line = 1) =>
    `${level} ${line}: unknown key "${key}" (did you mean "${meant}"?): the VM would start ` +
    `without its devices | rename it to "${meant}"`;
  assert.deepEqual(typo('pasthru0="1/0/0"\n'), [says("pasthru0", "passthru0")]);
  assert.deepEqual(typo('passthru_0="1/0/0"\n'), [says("passthru_0", "passthru0")]);
  assert.deepEqual(typo('passthru0="1/0/0"\npasstrhu1="1/0/1"\n'), [
    says("passtrhu1", "passthru1", "error", 2),
  ]);
  // vm-bhyve reads only keys that start with a lower-case letter, and only passthruN.
  assert.deepEqual(typo('Passthru0="1/0/0"\n'), [says("Passthru0", "passthru0")]);
  assert.deepEqual(typo('passthru="1/0/0"\n'), [says("passthru", "passthru0")]);
  // The key meant is there too: a warning; an empty one and other keys are nothing.
  assert.deepEqual(typo('passthru0="1/0/0"\npasthru0="1/0/0"\n'), [
    says("pasthru0", "passthru0", "warn", 2),
  ]);
  assert.deepEqual(
    typo('passthru0="1/0/0"\npassthru0_options="rom=/r"\npasthru1=""\nnetwork0_type="e1000"\n'),
    [],
  );
  assert.throws(() => requireUsable(read('pasthru0="1/0/0"\n')), (e: unknown) => {
    assert.ok(e instanceof PptkitError);
    assert.equal(e.exitCode, ExitCode.DataError);
    assert.match(e.message, /^VM a: \/vm\/a\/a\.conf:1: unknown key "pasthru0"/);
    return true;
  });
});

Deno.test("hoster: a misspelled passthru key is an error (65); PassThru is passthru to Go", () => {
  const read = (text: string) => parseHosterVmConfig(text, "/v/x/vm_config.json", "x");
  const levels = (text: string) => read(text).findings.map((f) => `${f.level} ${f.message}`);
  const typo = (key: string) =>
    `unknown key "${key}" (did you mean "passthru"?): the VM would start without its devices`;
  assert.deepEqual(levels('{"pasthru": ["1/0/0"]}'), [`error ${typo("pasthru")}`]);
  assert.deepEqual(levels('{"passtrhu": ["1/0/0"]}'), [`error ${typo("passtrhu")}`]);
  assert.deepEqual(levels('{"PassThru": ["1/0/0"]}'), []);
  assert.equal(read('{"PassThru": ["1/0/0"]}').passthru.length, 1);
  // A null passthru is absent to Go: the VM has no devices either.
  assert.deepEqual(levels('{"passthru": null, "PasThru": ["1/0/0"]}'), [
    `error ${typo("PasThru")}`,
  ]);
  assert.deepEqual(levels('{"passthru": ["1/0/0"], "pasthru": ["1/0/1"]}'), [
    `warn ${typo("pasthru")}`,
  ]);
  const bad = read('{\n  "memory": "2G",\n  "pasthru": ["1/0/0"]\n}\n');
  assert.equal(bad.findings[0].line, 3);
  assert.equal(bad.findings[0].fix, 'rename it to "passthru"');
  assert.throws(() => requireUsable(bad), (e: unknown) => {
    assert.ok(e instanceof PptkitError);
    assert.equal(e.exitCode, ExitCode.DataError);
    return true;
  });
});

Deno.test("readVmBhyveConf() reads the way vm-bhyve's config::load does", () => {
  const conf = readVmBhyveConf('# c\n  indented="x"\nkey="a b" # note\nKEY=1\nkey=second\n');
  assert.deepEqual([...conf.values.keys()], ["key"]);
  assert.deepEqual(conf.values.get("key"), { value: "a b", line: 3 });
  assert.deepEqual(conf.shadowed, [{ key: "key", line: 5, first: 3 }]);
});

Deno.test("parseRcConfVmDir() takes the last assignment, quoted or not", () => {
  assert.deepEqual(parseRcConfVmDir('vm_dir="/a"\n# vm_dir="/b"\nvm_dir=/c # x\n'), {
    value: "/c",
    line: 3,
  });
  assert.deepEqual(parseRcConfVmDir("vm_dir='zfs:tank/vm'"), { value: "zfs:tank/vm", line: 1 });
  assert.equal(parseRcConfVmDir('vm_enable="YES"'), null);
});

Deno.test("vm-bhyve: vmBhyve.vmDir and zfsMountpoints override rc.conf", async () => {
  const host = hostWith("vm-bhyve");
  host.files.set("/etc/rc.conf.local", 'vm_dir="zfs:zroot/vm"\n');
  const moved = await vmBhyveDirs(host, config({ zfsMountpoints: { "zroot/vm": "/vm" } }));
  assert.equal(moved.origin, "/etc/rc.conf.local:1");
  assert.deepEqual(moved.dirs, ["/vm"]);
  const pinned = await vmBhyveDirs(host, config({ vmBhyve: { vmDir: "/fast/vm" } }));
  assert.deepEqual(pinned.dirs, ["/fast/vm"]);
  host.files.set("/etc/rc.conf.local", 'vm_dir="${VMDIR}"\n');
  const variable = await vmBhyveDirs(host, config());
  assert.deepEqual(variable.dirs, []);
  assert.match(variable.findings[0].message, /shell variable/);
});

// ---------------------------------------------------------------------------------------------
// CBSD

Deno.test("parseCbsdPptList() groups attached devices by VM", () => {
  const text = Deno.readTextFileSync(`${FIXTURES}cbsd/cbsd-ppt.txt`);
  const scan = parseCbsdPptList(text);
  assert.deepEqual(scan.vms.map((v) => [v.vm, entries(v)]), [
    ["fw1", ["6/0/0"]],
    ["win10", ["1/0/0", "1/0/1"]],
  ]);
  assert.equal(scan.vms[1].passthru[1].line, 2);
  assert.equal(scan.vms[1].file, "cbsd bhyve-ppt mode=list");
});

Deno.test("parseCbsdPptList() strips colours and reports a bad B/S/F", () => {
  const scan = parseCbsdPptList(
    "\u001b[0;32m1/0/0\u001b[0m : GPU : NVIDIA : vm1\nnot a list line\n1/0/x : A : B : vm1\n",
  );
  assert.deepEqual(entries(scan.vms[0]), ["1/0/0"]);
  assert.equal(scan.findings.length, 1);
  assert.equal(scan.findings[0].line, 3);
});

Deno.test("CBSD is skipped quietly when cbsd is not installed, reported when asked for", async () => {
  const host = new MemHost();
  const quiet = await loadVmConfigs(host, config());
  assert.deepEqual(quiet.findings, []);
  const asked = await loadVmConfigs(host, config({ sources: ["cbsd"] }));
  assert.match(asked.findings[0].message, /source cbsd is enabled in pptkit.jsonc but not found/);
  host.captures.set("cbsd", Deno.readTextFileSync(`${FIXTURES}cbsd/cbsd-ppt.txt`));
  const found = await loadVmConfigs(host, config({ sources: ["cbsd"] }));
  assert.deepEqual(found.vms.map((v) => v.vm), ["fw1", "win10"]);
});

// ---------------------------------------------------------------------------------------------
// native

Deno.test("native: JSONC with comments and trailing commas, options per device", async () => {
  const scan = await loadVmConfigs(hostWith("native"), config({ sources: ["native"] }));
  const gpu = byName(scan.vms, "gpu");
  assert.deepEqual(entries(gpu), ["1/0/0", "1/0/1"]);
  assert.deepEqual(gpu.passthru[0].options, { rom: "/usr/local/share/roms/p600.rom" });
  assert.deepEqual(gpu.passthru[1].options, {});
  assert.equal(gpu.passthru[1].line, 5);
  const trailing = parseNativeConfig('{"passthru": ["1/0/0",],}', "/vms/t.jsonc", "t");
  assert.deepEqual(trailing.findings, []);
  assert.deepEqual(gpu.findings, []);
  assert.deepEqual(entries(byName(scan.vms, "sriov")), ["6/0/130", "6/0/132", "5/0/0=9:0"]);
});

Deno.test("native: broken JSONC is a finding with its line, and 78 for plan", async () => {
  const host = hostWith("native");
  const vm = await loadVmConfig(host, config(), "broken", "native");
  assert.equal(vm.findings[0].line, 5);
  assert.match(
    withLocation(vm.findings[0]),
    /broken.jsonc:5: bad JSONC: comma expected$/,
  );
  assert.throws(() => requireUsable(vm), (e: unknown) => {
    assert.ok(e instanceof PptkitError);
    assert.equal(e.exitCode, ExitCode.Config);
    assert.equal(e.line, 5);
    assert.match(
      withLocation(e),
      /^VM broken: \/usr\/local\/etc\/pptkit\/vms\/broken.jsonc:5: /,
    );
    return true;
  });
});

Deno.test("native: every kind of wrong entry and option is reported", () => {
  const file = "/usr/local/etc/pptkit/vms/typos.jsonc";
  const vm = parseNativeConfig(
    Deno.readTextFileSync(`${FIXTURES}native/root${file}`),
    file,
    "typos",
  );
  assert.deepEqual(entries(vm), ["-1/0/1"]);
  const text = messages(vm.findings);
  assert.match(text, /warn vm-config .*typos.jsonc:3: unknown key "passtrhu"/);
  assert.match(text, /typos.jsonc:4: bad PCI address "ppt0"/);
  assert.match(
    text,
    /typos.jsonc:4: passthru entries must be strings like "1\/0\/0", not a number 7/,
  );
  assert.match(text, /typos.jsonc:4: 1\/0\/1 is listed twice \(first on line 4\)/);
  assert.match(text, /typos.jsonc:6: 1\/0\/1: option rom="\/a,b" contains a comma/);
  assert.match(
    text,
    /warn vm-config .*typos.jsonc:7: options for "9\/0\/0", which is not in "passthru"/,
  );
  assert.match(text, /"passtrhu"/);
});

Deno.test("native: a passthru string and a non-object root are findings", () => {
  const s = parseNativeConfig('{"passthru": "1/0/0"}', "f.jsonc", "f");
  assert.match(s.findings[0].message, /"passthru" must be an array of strings, not a string/);
  const a = parseNativeConfig('["1/0/0"]', "f.jsonc", "f");
  assert.match(a.findings[0].message, /expected an object like/);
  assert.deepEqual(parseNativeConfig("{}", "f.jsonc", "f").findings, []);
});

// ---------------------------------------------------------------------------------------------
// loading one VM

Deno.test("loadVmConfig() reads one VM, 66 when no source has it", async () => {
  const host = hostWith("hoster", "vm-bhyve", "native");
  const c = config({ zfsMountpoints: { "tank/vm-unencrypted": "/tank/vms" } });
  const vm = await loadVmConfig(host, c, "win10");
  assert.equal(vm.source, "vm-bhyve");
  await assert.rejects(() => loadVmConfig(host, c, "ghost"), (e: unknown) => {
    assert.ok(e instanceof PptkitError);
    assert.equal(e.exitCode, ExitCode.NoInput);
    assert.match(
      e.message,
      /^VM ghost not found in native \(\/usr\/local\/etc\/pptkit\/vms\), hoster/,
    );
    return true;
  });
  await assert.rejects(() => loadVmConfig(host, c, "../etc"), (e: unknown) => {
    assert.ok(e instanceof PptkitError);
    assert.equal(e.exitCode, ExitCode.Usage);
    return true;
  });
});

Deno.test("loadVmConfig() prefers native and says where else the VM is configured", async () => {
  const host = hostWith("hoster", "native");
  host.files.set("/usr/local/etc/pptkit/vms/test-vm-1.jsonc", '{"passthru": ["1/0/0"]}');
  const vm = await loadVmConfig(host, HOSTER_CONFIG, "test-vm-1");
  assert.equal(vm.source, "hoster"); // sources: ["hoster"] only
  const both = await loadVmConfig(host, config(), "test-vm-1");
  assert.equal(both.source, "native");
  assert.match(both.findings[0].message, /also configured in hoster \(\/zroot\/vm-encrypted/);
  const wrapper = await loadVmConfig(host, config(), "test-vm-1", "hoster");
  assert.deepEqual(entries(wrapper), ["1/0/0", "1/0/1"]);
});

Deno.test("requireUsable() is 65 for a wrapper's config and keeps warnings usable", async () => {
  const host = hostWith("hoster");
  const vm = await loadVmConfig(host, HOSTER_CONFIG, "passthru-string");
  assert.throws(() => requireUsable(vm), (e: unknown) => {
    assert.ok(e instanceof PptkitError);
    assert.equal(e.exitCode, ExitCode.DataError);
    assert.equal(e.file, "/tank/vms/passthru-string/vm_config.json");
    return true;
  });
  const gap = parseVmBhyveConfig('passthru0="1/0/0"\npassthru0="2/0/0"\n', "g.conf", "g");
  assert.equal(requireUsable(gap), gap);
});

// ---------------------------------------------------------------------------------------------
// usage

function vmOf(source: VmSource, vm: string, list: string[]): VmConfig {
  const text = JSON.stringify({ passthru: list });
  const parsed = source === "hoster"
    ? parseHosterVmConfig(text, `/vm/${vm}/vm_config.json`, vm)
    : parseNativeConfig(text, `/vms/${vm}.jsonc`, vm);
  return { ...parsed, source };
}

function dev(bsf: string) {
  const [b, s, f] = bsf.split("/").map(Number);
  const d = DEVICES.find((x) =>
    x.address.bus === b && x.address.slot === s && x.address.function === f
  );
  assert.ok(d, bsf);
  return d;
}

Deno.test("computeUsage() gives each status its guide text", () => {
  const usage = computeUsage(
    DEVICES,
    [
      vmOf("hoster", "test-vm-1", ["1/0/0", "1/0/1"]),
      vmOf("native", "fc", ["4/0/0", "4/0/1"]),
      vmOf("native", "a", ["6/0/0"]),
      vmOf("hoster", "b", ["6/0/0"]),
    ],
    new Set(["fc"]),
  );
  assert.equal(usageOf(usage, dev("1/0/0")).statusText, "In use by: test-vm-1");
  assert.equal(usageOf(usage, dev("4/0/1")).statusText, "Running in: fc");
  assert.equal(usageOf(usage, dev("6/0/0")).statusText, "Conflict: a, b");
  assert.equal(usageOf(usage, dev("2/0/0")).statusText, "Available");
  assert.deepEqual(usageOf(usage, dev("1/0/0")).usedBy, [
    { vm: "test-vm-1", source: "hoster", running: false },
  ]);
  assert.deepEqual(usageOf(usage, dev("4/0/0")).status, "running");
  assert.deepEqual([...usage.usedBy.keys()].sort(), [
    "0:1:0:0",
    "0:1:0:1",
    "0:4:0:0",
    "0:4:0:1",
    "0:6:0:0",
  ]);
  const conflict = usageOf(usage, dev("6/0/0")).findings;
  assert.equal(conflict.length, 1);
  assert.equal(conflict[0].code, "conflict");
  assert.equal(conflict[0].level, "warn");
  assert.equal(conflict[0].message, "6/0/0 is configured for 2 VMs: a (native), b (hoster)");
  assert.equal(conflict[0].device, "pci0:6:0:0");
});

Deno.test("usageStatus() follows the inventory: two VMs is a conflict even when one runs", () => {
  assert.deepEqual(
    usageStatus([
      { vm: "b", source: "hoster", running: true },
      { vm: "a", source: "native", running: false },
    ]),
    { status: "conflict", text: "Conflict: a, b" },
  );
  assert.deepEqual(
    usageStatus([
      { vm: "a", source: "native", running: false },
      { vm: "a", source: "hoster", running: true },
    ]),
    { status: "running", text: "Running in: a" },
  );
});

Deno.test("the verdict engine reports not-on-ppt, unknown-device and missing-function0", () => {
  const vms = [
    vmOf("native", "nic", ["5/0/0"]),
    vmOf("native", "ghost", ["9/0/0"]),
    vmOf("hoster", "fn1", ["4/0/1", "-6/0/130", "6/0/132"]),
    vmOf("native", "pins", ["1/0/1=8:1"]),
  ];
  const nic = deviceVerdict(DEVICES, vms, "5/0/0");
  assert.equal(nic[0].code, "not-on-ppt");
  assert.equal(nic[0].message, "5/0/0 is not on ppt(4): igb0 (igb) has it");
  assert.equal(nic[0].vm, "nic");
  assert.match(nic[0].fix!, /pptkit reserve 5\/0\/0/);
  const { verdict } = verdictsFor(DEVICES, vms);
  const text = messages([...verdict.vmFindings, ...[...verdict.byDevice.values()].flat()]);
  assert.match(
    text,
    /error unknown-device \/vms\/ghost.jsonc:1: ghost passes 9\/0\/0, which is not on this host/,
  );
  assert.match(
    text,
    /error missing-function0 .*fn1 passes 4\/0\/1 without function 0 of that device/,
  );
  assert.match(text, /error guest-function-range .*Hoster would give 6\/0\/132 guest function 132/);
  assert.doesNotMatch(text, /6\/0\/130 guest function/);
  assert.match(
    text,
    /error missing-function0 VM pins: guest slot 8 has 1\/0\/1=8:1 pinned but no function 0/,
  );
});

Deno.test("the verdict engine carries every VM config finding along", async () => {
  const scan = await loadVmConfigs(hostWith("hoster"), HOSTER_CONFIG);
  const usage = computeUsage(DEVICES, scan.vms, new Set(["test-vm-1"]));
  assert.equal(usageOf(usage, dev("1/0/0")).statusText, "Conflict: test-vm-1, test-vm-2");
  const { verdict } = verdictsFor(DEVICES, scan.vms);
  const all = [...verdict.vmFindings, ...[...verdict.byDevice.values()].flat()];
  assert.ok(all.some((f) => f.file === "/tank/vms/passthru-string/vm_config.json"));
  assert.ok(all.some((f) => f.code === "missing-function0" && /4\/0\/1/.test(f.message)));
});

Deno.test("computeUsage() over 4096 devices and 1000 VMs names each used device once", () => {
  const lines: string[] = [];
  for (let i = 0; i < 4096; i++) {
    const b = i >> 5, s = i & 31;
    lines.push(
      `ppt${i}@pci0:${b}:${s}:0:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x10fb ` +
        "subvendor=0x8086 subdevice=0x0003",
    );
  }
  const devices = parsePciconf(lines.join("\n")).devices;
  const vms = Array.from(
    { length: 1000 },
    (_, i) => vmOf("native", `vm${i}`, [`${(i * 4) >> 5}/${(i * 4) & 31}/0`]),
  );
  // Linear in devices plus entries; deno task bench measures the time, no test asserts it.
  const usage = computeUsage(devices, vms, new Set(["vm1"]));
  assert.equal(usage.usedBy.size, 1000);
  assert.equal(usage.byDevice.size, 4096);
  assert.deepEqual(usage.usedBy.get("0:0:4:0"), [{ vm: "vm1", source: "native", running: true }]);
});
