/** pptkit.jsonc loading and the line-keeping JSON(C) reader the other modules share. */

import assert from "node:assert/strict";
import { DEFAULT_CONFIG_FILE, HOSTER_CONFIG_DIRS } from "../core/paths.ts";
import { defaultConfig, loadConfig, parseConfig, slotMapPath } from "../core/config.ts";
import { isSyntaxError, nodeValue, parseJsonDoc, property } from "../core/jsonc.ts";
import { ExitCode, PptkitError } from "../core/errors.ts";

function hostOf(files: Record<string, string>) {
  return { readText: (path: string) => Promise.resolve(files[path] ?? null) };
}

/** Asserts a config error (78) with `file:line: key: detail`. */
function assertConfigError(text: string, line: number, message: RegExp): PptkitError {
  let caught: unknown;
  try {
    parseConfig(text, "/etc/p.jsonc");
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof PptkitError, `no error for ${text}`);
  assert.equal(caught.exitCode, ExitCode.Config);
  assert.equal(caught.file, "/etc/p.jsonc");
  assert.equal(caught.line, line);
  assert.match(caught.message, message);
  assert.ok(caught.message.startsWith(`/etc/p.jsonc:${line}: `), caught.message);
  return caught;
}

Deno.test("loadConfig() uses the defaults when the default file is missing", async () => {
  const config = await loadConfig(hostOf({}));
  assert.deepEqual(config, defaultConfig());
  assert.equal(config.file, null);
  assert.equal(config.sources, null);
  assert.equal(config.stateDir, "/var/db/pptkit");
  assert.equal(config.runDir, "/var/run/pptkit");
  assert.equal(config.native.dir, "/usr/local/etc/pptkit/vms");
  assert.deepEqual(config.pluginDirs, ["/usr/local/etc/pptkit/plugins"]);
  assert.equal(config.quirksDir, "/usr/local/etc/pptkit/quirks.d");
  assert.deepEqual(config.hoster.configDirs, HOSTER_CONFIG_DIRS);
});

Deno.test("loadConfig() reads the default file when it exists", async () => {
  const config = await loadConfig(hostOf({ [DEFAULT_CONFIG_FILE]: '{"stateDir": "/db"}' }));
  assert.equal(config.file, DEFAULT_CONFIG_FILE);
  assert.equal(config.stateDir, "/db");
  assert.equal(config.runDir, "/var/run/pptkit");
});

Deno.test("loadConfig() fails with 66 when an explicit --config file is missing", async () => {
  await assert.rejects(() => loadConfig(hostOf({}), "/root/p.jsonc"), (e: unknown) => {
    assert.ok(e instanceof PptkitError);
    assert.equal(e.exitCode, ExitCode.NoInput);
    assert.equal(e.message, "config file /root/p.jsonc not found");
    return true;
  });
});

Deno.test("parseConfig() reads every key, with comments and trailing commas", () => {
  const config = parseConfig(
    `// pptkit on the lab host
{
  /* only these two */
  "sources": ["hoster", "vm-bhyve"],
  "hoster": {
    "configDirs": ["/opt/hoster-core/config_files"],
    "datasets": ["zroot/vm-encrypted"],
  },
  "vmBhyve": { "vmDir": "zfs:zroot/vm" },
  "native": { "dir": "/etc/pptkit/vms" },
  "zfsMountpoints": { "zroot/vm": "/vm" },
  "stateDir": "/var/db/pptkit2",
  "runDir": "/var/run/pptkit2",
  "pluginDirs": ["/usr/local/etc/pptkit/plugins", "/opt/pptkit/plugins"],
  "quirksDir": "/opt/pptkit/quirks.d",
}
`,
    "/usr/local/etc/pptkit/pptkit.jsonc",
  );
  assert.deepEqual(config, {
    file: "/usr/local/etc/pptkit/pptkit.jsonc",
    sources: ["hoster", "vm-bhyve"],
    hoster: {
      configDirs: ["/opt/hoster-core/config_files"],
      datasets: ["zroot/vm-encrypted"],
      vmDirs: null,
    },
    vmBhyve: { vmDir: "zfs:zroot/vm" },
    native: { dir: "/etc/pptkit/vms" },
    zfsMountpoints: { "zroot/vm": "/vm" },
    stateDir: "/var/db/pptkit2",
    runDir: "/var/run/pptkit2",
    pluginDirs: ["/usr/local/etc/pptkit/plugins", "/opt/pptkit/plugins"],
    quirksDir: "/opt/pptkit/quirks.d",
  });
  assert.deepEqual(parseConfig("{}", "f").hoster, defaultConfig().hoster);
  assert.deepEqual(parseConfig('{"sources": []}', "f").sources, []);
});

Deno.test("parseConfig() names file:line for broken JSONC", () => {
  const e = assertConfigError(
    '{\n  "stateDir": "/a"\n  "runDir": "/b"\n}',
    3,
    /bad JSONC: comma expected/,
  );
  assert.match(e.hint!, /comments/);
  assertConfigError("", 1, /bad JSONC/);
});

Deno.test("parseConfig() names file:line and key for a wrong type", () => {
  assertConfigError(
    '{\n  "stateDir": 5\n}',
    2,
    /^\/etc\/p.jsonc:2: stateDir: expected a string, found a number 5$/,
  );
  assertConfigError(
    '{\n"sources": "hoster"}',
    2,
    /sources: expected an array, found a string "hoster"/,
  );
  assertConfigError(
    '{"hoster": {\n"vmDirs": ["/a", 3]}}',
    2,
    /hoster.vmDirs\[1\]: expected a string, found a number 3/,
  );
  assertConfigError(
    '{"zfsMountpoints": {\n"a/b": true}}',
    2,
    /zfsMountpoints.a\/b: expected a string/,
  );
  assertConfigError('[\n"x"]', 1, /: expected an object, found an array/);
  assertConfigError('{"native": {"dir": null}}', 1, /native.dir: expected a string, found null/);
});

Deno.test("parseConfig() refuses unknown keys, sources and relative paths", () => {
  const e = assertConfigError('{\n\n  "statedir": "/a"}', 3, /: statedir: unknown key$/);
  assert.match(e.hint!, /known keys: sources, hoster, vmBhyve/);
  const nested = assertConfigError(
    '{"vmBhyve": {\n"vm_dir": "/vm"}}',
    2,
    /vmBhyve.vm_dir: unknown key/,
  );
  assert.equal(nested.hint, "known keys of vmBhyve: vmDir");
  const source = assertConfigError(
    '{"sources": [\n"bhyve"]}',
    2,
    /unknown VM config source "bhyve"/,
  );
  assert.equal(source.hint, "sources are: native, hoster, vm-bhyve, cbsd");
  assertConfigError(
    '{"runDir": "var/run"}',
    1,
    /runDir: expected an absolute path, found "var\/run"/,
  );
  assertConfigError('{"vmBhyve": {"vmDir": "vm"}}', 1, /expected a path or zfs:pool\/dataset/);
});

Deno.test("slotMapPath() is stateDir/slots/VM.json", () => {
  assert.equal(slotMapPath(defaultConfig(), "win10"), "/var/db/pptkit/slots/win10.json");
  assert.equal(
    slotMapPath({ ...defaultConfig(), stateDir: "/db/" }, "a"),
    "/db/slots/a.json",
  );
});

Deno.test("parseJsonDoc() keeps lines for \\n, \\r\\n and \\r files", () => {
  for (const nl of ["\n", "\r\n", "\r"]) {
    const doc = parseJsonDoc(`{${nl}"a":${nl}${nl}[1, 2]}`, "f");
    assert.ok(!isSyntaxError(doc));
    const a = property(doc.root, "a")!;
    assert.equal(doc.lineOf(a.offset), 4);
    assert.deepEqual(nodeValue(doc.root), { a: [1, 2] });
  }
  const strict = parseJsonDoc('{"a": 1, // x\n}', "f", true);
  assert.ok(isSyntaxError(strict));
  assert.equal(strict.line, 1);
  assert.match(strict.message, /invalid comment token/);
  const dup = parseJsonDoc('{"a": 1, "a": 2}', "f");
  assert.ok(!isSyntaxError(dup));
  assert.equal(property(dup.root, "a")!.value, 2);
});
