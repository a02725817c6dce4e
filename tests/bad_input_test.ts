/**
 * The hardening suite: every command against bad input of every kind. Each case must end with
 * one `pptkit: ...` line (and at most a `hint:` line) on stderr, the documented exit code, no
 * stack trace, nothing on stdout (with `--json`: only the `pptkit.error/1` document that says
 * the same), and every file of the host byte-identical afterwards.
 */
import assert from "node:assert/strict";
import { copyDir, DEMO, errorLines, fileTree, pptkit, type RunResult, scratch } from "./helpers.ts";

/** No line names the same `file:line:` twice (`/boot/loader.conf:5: /boot/loader.conf:5: ...`). */
function assertLocationOnce(text: string, what: string) {
  for (const line of text.split("\n")) {
    assert.doesNotMatch(line, /(\/[^\s:]+:\d+): (?:.* )?\1: /, `${what}: location printed twice`);
  }
}

function assertContract(r: RunResult, code: number, pattern: RegExp, what: string) {
  assert.equal(r.code, code, `${what}: exit code (stderr: ${r.stderr})`);
  const lines = errorLines(r.stderr);
  if (what.split(" ").includes("--json")) {
    assert.deepEqual(JSON.parse(r.stdout), {
      schema: "pptkit.error/1",
      exitCode: code,
      message: lines[0].slice("pptkit: ".length),
      hint: lines.length === 2 ? lines[1].slice("hint: ".length) : null,
      findings: [],
    }, `${what}: the error as JSON on stdout`);
  } else {
    assert.equal(r.stdout, "", `${what}: nothing on stdout`);
  }
  assert.ok(lines.length >= 1 && lines.length <= 2, `${what}: one or two lines: ${r.stderr}`);
  assert.ok(lines[0].startsWith("pptkit: "), `${what}: ${lines[0]}`);
  assert.match(lines[0], pattern, what);
  if (lines.length === 2) assert.ok(lines[1].startsWith("hint: "), `${what}: ${lines[1]}`);
  assert.ok(!/\n\s+at .*:\d+:\d+/.test(r.stderr), `${what}: no stack trace`);
  assertLocationOnce(r.stderr, what);
  assert.ok(!r.stderr.includes("internal error"), `${what}: not a bug`);
}

/** A demo host in a scratch directory, changed by `files` (path -> text, bytes or a dir). */
type Change = string | Uint8Array | { dir: true } | null;

async function host(dir: string, files: Record<string, Change>): Promise<string> {
  const root = `${dir}/host`;
  await copyDir(DEMO, root);
  for (const [path, content] of Object.entries(files)) {
    const full = `${root}/${path}`;
    await Deno.remove(full, { recursive: true }).catch(() => {});
    if (content === null) continue;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(full, content);
    else if (content instanceof Uint8Array) await Deno.writeFile(full, content);
    else await Deno.mkdir(full, { recursive: true });
  }
  return root;
}

/** Commands that read the whole host (list, show, check, ...) with arguments for the demo. */
const HOST_COMMANDS: readonly (readonly string[])[] = [
  ["list"],
  ["list", "--all", "--json"],
  ["show", "1/0/0"],
  ["check"],
  ["check", "--vm", "test-vm-1"],
  ["reserve", "3/0/0"],
  ["reserve", "--dry-run", "3/0/0"],
  ["release", "1/0/1"],
  ["plan", "test-vm-1"],
  ["hook", "prestart", "--wrapper", "hoster", "test-vm-1"],
  ["hook", "prestart", "--devices", "1/0/0,1/0/1", "vm9"],
];

const BAD_PCICONF: Record<string, string | Uint8Array> = {
  "empty": "",
  "binary": new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]),
  "a 200 KB line": "ppt0@pci0:1:0:0:\t" + "class=0x030000 ".repeat(14_000) + "\n",
  "a truncated record": "ppt0@pci0:1:0:0:\n    vendor     = 'NVIDIA Corporation'\n",
  "out-of-range numbers":
    "ppt0@pci0:1:99:0:\tclass=0x030000 rev=0xa1 hdr=0x00 vendor=0x10de device=0x1cb2 " +
    "subvendor=0x10de subdevice=0x11bd\n",
  "junk text": "this is not pciconf output\nat all\n",
};

for (const [name, content] of Object.entries(BAD_PCICONF)) {
  Deno.test(`bad pciconf (${name}): every command says so (65) and changes nothing`, async () => {
    const [dir, cleanup] = await scratch();
    try {
      const root = await host(dir, { "pciconf.txt": content });
      const before = await fileTree(root);
      for (const args of HOST_COMMANDS) {
        const r = await pptkit([...args, "--snapshot", root]);
        assertContract(r, 65, /pciconf|PCI device|binary|bad PCI address/, args.join(" "));
      }
      assert.deepEqual(await fileTree(root), before, "every file byte-identical");
    } finally {
      await cleanup();
    }
  });
}

const BAD_LOADER_CONF: Record<string, [Change, number, RegExp]> = {
  "a NUL byte": [new TextEncoder().encode('vmm_load="YES"\n\0\n'), 65, /NUL|loader\.conf/],
  "not UTF-8": [new Uint8Array([0x23, 0x20, 0xe4, 0x0a]), 65, /not UTF-8/],
  "a directory": [{ dir: true }, 66, /is a directory/],
};

for (const [name, [content, code, pattern]] of Object.entries(BAD_LOADER_CONF)) {
  Deno.test(`bad loader.conf (${name}): one line, exit ${code}, nothing changed`, async () => {
    const [dir, cleanup] = await scratch();
    try {
      const root = await host(dir, { "root/boot/loader.conf": content });
      const before = await fileTree(root);
      for (const args of [["list"], ["check"], ["reserve", "3/0/0"], ["release", "1/0/0"]]) {
        assertContract(await pptkit([...args, "--snapshot", root]), code, pattern, args.join(" "));
      }
      assert.deepEqual(await fileTree(root), before);
    } finally {
      await cleanup();
    }
  });
}

Deno.test("a loader.conf line reserve must change but cannot (unterminated quote): 65", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const root = await host(dir, {
      "root/boot/loader.conf": 'pptdevs="1/0/0 1/0/1\nvmm_load="YES"\n',
    });
    const before = await fileTree(root);
    assertContract(
      await pptkit(["reserve", "3/0/0", "--snapshot", root]),
      65,
      /^pptkit: \/boot\/loader\.conf:1: cannot update pptdevs: the loader rejects this line /,
      "reserve",
    );
    // The loader ignores the broken line, so nothing is reserved: release has nothing to do,
    // and says why.
    const release = await pptkit(["release", "1/0/0", "--snapshot", root]);
    assert.equal(release.code, 0, release.stderr);
    assert.match(release.stdout, /^nothing to do/);
    assert.match(
      release.stderr,
      /^error {2}pptdevs-syntax: \/boot\/loader\.conf:1: the loader rejects this pptdevs line /m,
    );
    assertLocationOnce(release.stderr, "release");
    // list and check report it as a finding instead of failing.
    const check = await pptkit(["check", "--snapshot", root]);
    assert.equal(check.code, 1);
    assert.match(check.stdout, /pptdevs-syntax: \/boot\/loader\.conf:1: the loader rejects/);
    assertLocationOnce(check.stdout, "check");
    assert.deepEqual(await fileTree(root), before);
  } finally {
    await cleanup();
  }
});

const HOSTER_VM = "root/zroot/vm-encrypted/test-vm-1/vm_config.json";
const BAD_VM_CONFIGS: Record<string, string> = {
  "broken JSON": '{ "passthru": ["1/0/0", "1/0/1" }\n',
  "passthru is a string": '{ "passthru": "1/0/0" }\n',
  "passthru holds numbers": '{ "passthru": [1, 0, 0] }\n',
  "a bad address": '{ "passthru": ["1/0//0"] }\n',
};

for (const [name, text] of Object.entries(BAD_VM_CONFIGS)) {
  Deno.test(`bad VM config (${name}): plan and hook refuse (65), list reports it`, async () => {
    const [dir, cleanup] = await scratch();
    try {
      const root = await host(dir, { [HOSTER_VM]: text });
      const before = await fileTree(root);
      for (
        const args of [
          ["plan", "test-vm-1"],
          ["hook", "prestart", "--wrapper", "hoster", "test-vm-1"],
        ]
      ) {
        assertContract(
          await pptkit([...args, "--snapshot", root]),
          65,
          /vm_config\.json/,
          args.join(" "),
        );
      }
      const list = await pptkit(["list", "--json", "--snapshot", root]);
      assert.equal(list.code, 0, list.stderr);
      const findings = JSON.parse(list.stdout).host.findings as { code: string; file?: string }[];
      assert.ok(
        findings.some((f) => f.code === "vm-config" && f.file?.endsWith("vm_config.json")),
        "the broken config is a finding naming its file",
      );
      assert.equal((await pptkit(["check", "--snapshot", root])).code, 1, "check fails");
      assert.deepEqual(await fileTree(root), before);
    } finally {
      await cleanup();
    }
  });
}

Deno.test("broken pptkit.jsonc: every command that reads it says so (78)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const root = await host(dir, {
      "root/usr/local/etc/pptkit/pptkit.jsonc": '{ "stateDir": 42 }\n',
    });
    const before = await fileTree(root);
    for (
      const args of [
        ["list"],
        ["check"],
        ["plan", "test-vm-1"],
        ["hook", "prestart", "--wrapper", "hoster", "test-vm-1"],
        ["plugins"],
      ]
    ) {
      assertContract(await pptkit([...args, "--snapshot", root]), 78, /pptkit\.jsonc/, args[0]);
    }
    assert.deepEqual(await fileTree(root), before);
  } finally {
    await cleanup();
  }
});

Deno.test("bad addresses: every command that takes one names the token (65)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const root = await host(dir, {});
    const before = await fileTree(root);
    for (const bad of ["2/0//0", "pci0:1", "1/32/0", "0x1/0/0", "ppt"]) {
      for (
        const args of [
          ["show", bad],
          ["check", bad],
          ["reserve", bad],
          ["release", bad],
          ["parse", bad],
          ["hook", "prestart", "--devices", bad, "vm9"],
        ]
      ) {
        const r = await pptkit([...args, "--snapshot", root]);
        assertContract(r, 65, /bad PCI address|no PCI device at/, args.join(" "));
      }
    }
    assert.deepEqual(await fileTree(root), before);
  } finally {
    await cleanup();
  }
});

Deno.test("unknown options and missing values are usage errors (64) for every command", async () => {
  for (
    const args of [
      ["list", "--frobnicate"],
      ["show", "1/0/0", "--bogus"],
      ["check", "--vmm", "x"],
      ["reserve", "--dryrun", "1/0/0"],
      ["release", "-x", "1/0/0"],
      ["plan", "vm", "--format"],
      ["plan", "vm", "--format", "yaml"],
      ["plan", "vm", "--first-slot", "40"],
      ["plan", "vm", "vm2"],
      ["hook", "prestart", "--wrapper", "proxmox", "vm"],
      ["hook", "restart", "vm"],
      ["explain", "--verbose-please"],
      ["parse", "--all"],
      ["snapshot"],
      ["plugins", "extra"],
    ]
  ) {
    const r = await pptkit([...args, "--snapshot", DEMO]);
    assertContract(
      r,
      64,
      /unknown|needs a value|missing|unexpected|bad guest slot|use one of/,
      args.join(" "),
    );
  }
});

Deno.test("missing paths: snapshot dir, pciconf.txt, --config file (66)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    for (const args of HOST_COMMANDS) {
      assertContract(
        await pptkit([...args, "--snapshot", `${dir}/nope`]),
        66,
        /not found/,
        args.join(" "),
      );
    }
    const root = await host(dir, { "pciconf.txt": null });
    for (const args of HOST_COMMANDS) {
      assertContract(
        await pptkit([...args, "--snapshot", root]),
        66,
        /has no pciconf\.txt/,
        args.join(" "),
      );
    }
    const configured = await host(`${dir}/c`, {});
    for (const args of [["list"], ["plan", "test-vm-1"], ["plugins"]]) {
      assertContract(
        await pptkit([...args, "--snapshot", configured, "--config", `${dir}/none.jsonc`]),
        66,
        /none\.jsonc/,
        args.join(" "),
      );
    }
  } finally {
    await cleanup();
  }
});

Deno.test("unwritable targets: reserve into a path under a file (73), nothing changed", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const root = await host(dir, { "root/boot/loader.conf.d": "a file, not a directory\n" });
    const before = await fileTree(root);
    const r = await pptkit([
      "reserve",
      "3/0/0",
      "--loader-conf",
      "/boot/loader.conf.d/ppt.conf",
      "--snapshot",
      root,
    ]);
    assert.ok(r.code === 66 || r.code === 73, `exit ${r.code}: ${r.stderr}`);
    assertContract(r, r.code, /loader\.conf\.d/, "reserve into a file");
    assert.deepEqual(await fileTree(root), before);
  } finally {
    await cleanup();
  }
});
