/**
 * `pptkit report DEVICE...` end to end through the bundle: one file with the device records,
 * the host facts, the verdicts and a quirks.d template that pptkit refuses until it is filled
 * in; never an overwrite, never through a symlink.
 */

import assert from "node:assert/strict";
import { parseQuirks } from "../core/plugins/quirks.ts";
import { errorLines, exists, FIXTURES, pptkit, scratch } from "./helpers.ts";

const HOST = `${FIXTURES}/compat`;

/** Runs the launcher in `dir`, which it may write to. */
function inDir(dir: string, args: string[]) {
  return pptkit([...args, "--snapshot", HOST], { cwd: dir, env: { PPTKIT_ALLOW_WRITE: dir } });
}

Deno.test("report writes one file: records, host, verdicts, and a template to fill in", async () => {
  const [dir, done] = await scratch();
  try {
    const r = await inDir(dir, ["report", "ppt0", "4/0/0"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^report on 3\/0\/0 4\/0\/0 written to pptkit-report.jsonc: /);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["pptkit-report.jsonc"]);
    const text = await Deno.readTextFile(`${dir}/pptkit-report.jsonc`);
    // The device records as pciconf printed them, capability lines included.
    assert.match(
      text,
      /^\/\/ {5}ppt0@pci0:3:0:0:\tclass=0x030000 rev=0xc0 hdr=0x80 vendor=0x1002 device=0x7590 /m,
    );
    assert.match(text, /^\/\/ {22}link x16\(x16\) speed 16.0\(16.0\)/m);
    assert.doesNotMatch(text, /ppt1@pci0:3:0:1/, "only the devices named");
    // The host facts and pptkit's verdicts.
    assert.match(text, /^\/\/ {3}release: 13.1-RELEASE \(uname -mr: 13.1-RELEASE amd64\)$/m);
    assert.match(text, /^\/\/ {3}IOMMU: vt-d, /m);
    assert.match(
      text,
      /^\/\/ {5}error {2}host-hang: after the guest is stopped and vmm is unloaded/m,
    );
    assert.match(
      text,
      /^\/\/ {5}warn {3}needs-rom: gpu passes 3\/0\/0 without a rom option: .*\[VM gpu\]$/m,
    );
    // The templates: refused as they are, one finding each, on their own lines.
    const unfilled = parseQuirks(text, "pptkit-report.jsonc");
    assert.deepEqual(unfilled.rules, []);
    assert.equal(unfilled.findings.length, 2);
    assert.ok(unfilled.findings.every((f) => /bad or missing "rule" ""/.test(f.message)));
    // Filled in, they are quirks.d rules with the ids and the release of the report.
    const filled = text.replaceAll('"rule": ""', '"rule": "works"')
      .replaceAll('"message": ""', '"message": "it worked in a debian 13 guest"')
      .replaceAll(
        '"source": ""',
        '"source": "https://bugs.freebsd.org/bugzilla/show_bug.cgi?id=1"',
      );
    const { rules, findings } = parseQuirks(filled, "pptkit-report.jsonc");
    assert.deepEqual(findings, []);
    assert.deepEqual(
      rules.map((q) => [q.vendor, q.device, q.subvendor, q.subdevice, q.class, q.ids]),
      [["1002", "7590", "1eae", "8601", "0300", "report"], [
        "14e4",
        "43ba",
        "106b",
        "0152",
        "0280",
        "report",
      ]],
    );
    assert.deepEqual(rules[0].observed, {
      freebsd: "13.1-RELEASE",
      guest: null,
      bhyve: null,
      wrapper: "native",
    });
  } finally {
    await done();
  }
});

Deno.test("report never overwrites a file nor follows a symlink", async () => {
  const [dir, done] = await scratch();
  try {
    await Deno.writeTextFile(`${dir}/mine.jsonc`, "keep me\n");
    const taken = await inDir(dir, ["report", "-o", "mine.jsonc", "3/0/0"]);
    assert.equal(taken.code, 73);
    assert.deepEqual(errorLines(taken.stderr), [
      "pptkit: mine.jsonc exists: pptkit never overwrites a file with a report",
      "hint: name a new file: pptkit report -o FILE DEVICE...",
    ]);
    assert.equal(await Deno.readTextFile(`${dir}/mine.jsonc`), "keep me\n");
    await Deno.symlink(`${dir}/elsewhere.jsonc`, `${dir}/pptkit-report.jsonc`);
    const link = await inDir(dir, ["report", "3/0/0"]);
    assert.equal(link.code, 73, link.stderr);
    assert.equal(await exists(`${dir}/elsewhere.jsonc`), false, "the symlink was not followed");
    const json = await inDir(dir, ["report", "--json", "--output", `${dir}/gpu.jsonc`, "3/0/0"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      schema: "pptkit.report/1",
      file: `${dir}/gpu.jsonc`,
      devices: ["3/0/0"],
    });
  } finally {
    await done();
  }
});

Deno.test("report refuses an unknown device and a path it cannot create, writing nothing", async () => {
  const [dir, done] = await scratch();
  try {
    const unknown = await inDir(dir, ["report", "3/0/0", "9/0/0"]);
    assert.equal(unknown.code, 65);
    assert.match(unknown.stderr, /^pptkit: no PCI device at 9\/0\/0 on snapshot /);
    const usage = await inDir(dir, ["report"]);
    assert.equal(usage.code, 64);
    const nowhere = await inDir(dir, ["report", "-o", "no/such/dir.jsonc", "3/0/0"]);
    assert.equal(nowhere.code, 73);
    assert.match(nowhere.stderr, /^pptkit: cannot write no\/such\/dir.jsonc: /);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await done();
  }
});
