/**
 * The message catalogue (core/explain/catalogue/): its integrity, and one test per entry built
 * from the entry's own sample line, run in process against the intel-gpu host of
 * fixtures/explain/hosts.
 */
import assert from "node:assert/strict";
import { explainFacts } from "../app/explain.ts";
import { loadConfig } from "../core/config.ts";
import { BY_ID, CATALOGUE } from "../core/explain/catalogue/index.ts";
import { CHECKS } from "../core/explain/checks.ts";
import { splitStrerror } from "../core/explain/errno.ts";
import { explainText } from "../core/explain/explain.ts";
import { readLine } from "../core/explain/logline.ts";
import { matchCarrier, matchMessage } from "../core/explain/match.ts";
import { compile } from "../core/explain/scanner.ts";
import type { ExplainFacts } from "../core/explain/types.ts";
import { SnapshotHost } from "../core/host/snapshot.ts";
import { FIXTURES } from "./helpers.ts";

const HOST = `${FIXTURES}/explain/hosts/intel-gpu`;

async function hostFacts(): Promise<ExplainFacts> {
  const got = await explainFacts(
    () => SnapshotHost.open(HOST),
    async () => loadConfig(await SnapshotHost.open(HOST)),
    { plugins: true },
  );
  if (got.facts === null) throw new Error(got.problem);
  return got.facts;
}
const FACTS = await hostFacts();

Deno.test("catalogue: ids are unique, related ids exist, sources name a file, a function and a commit", () => {
  assert.equal(new Set(CATALOGUE.map((e) => e.id)).size, CATALOGUE.length);
  for (const e of CATALOGUE) {
    assert.match(e.source.commit, /^[0-9a-f]{40}$/, e.id);
    assert.ok(
      e.source.file !== "" && e.source.function !== "" && e.source.repo.includes("/"),
      e.id,
    );
    for (const r of e.related) assert.ok(BY_ID.has(r), `${e.id}: related ${r} is no entry`);
    assert.ok(e.formats.length > 0, e.id);
    assert.ok(e.meaning.length > 10 && e.fix.length > 3, e.id);
    for (const c of e.causes) assert.ok(c.check in CHECKS && c.text !== "" && c.fix !== "", e.id);
  }
});

Deno.test("catalogue: every format names as many fields as it has conversions", () => {
  for (const e of CATALOGUE) {
    for (const f of e.formats) {
      const conversions = compile(f.text).conversions;
      if (f.fields !== undefined) assert.equal(f.fields.length, conversions, `${e.id}: ${f.text}`);
      if (f.first !== null && f.last !== null && /^\d/.test(f.first) && /^\d/.test(f.last)) {
        const [a, b] = [f.first, f.last].map((v) => v.split(".").map(Number));
        assert.ok(
          a[0] < b[0] || (a[0] === b[0] && (a[1] ?? 0) <= (b[1] ?? 0)),
          `${e.id}: ${f.first}-${f.last}`,
        );
      }
    }
  }
});

Deno.test("catalogue: covers every source file of the issue", () => {
  const files = new Set(CATALOGUE.map((e) => e.source.file));
  for (
    const f of [
      "usr.sbin/bhyve/pci_passthru.c",
      "usr.sbin/bhyve/pci_emul.c",
      "usr.sbin/bhyve/bhyverun.c",
      "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      "sys/amd64/vmm/intel/vtd.c",
      "sys/amd64/vmm/amd/amdvi_hw.c",
      "sys/amd64/vmm/intel/vmx.c",
      "sys/kern/kern_environment.c",
      "usr.sbin/devctl/devctl.c",
      "sbin/kldload/kldload.c",
    ]
  ) assert.ok(files.has(f), f);
  const origins = new Set(CATALOGUE.map((e) => e.origin));
  for (const w of ["vm-bhyve", "cbsd", "wifibox", "iohyve", "hoster"]) {
    assert.ok(origins.has(w as never), w);
  }
});

Deno.test("catalogue: no message that no FreeBSD source prints", () => {
  assert.equal(BY_ID.get("assign-failed"), undefined);
  const texts = CATALOGUE.flatMap((e) => e.formats.map((f) => f.text));
  assert.ok(!texts.includes("vm_assign_pptdev: %s"));
  assert.ok(!texts.some((t) => t.includes("not using the ppt driver")));
  assert.ok(!texts.some((t) => t.includes('romfile "%s" is empty')));
});

Deno.test("catalogue: the wordings that changed between releases are there, each with its range", () => {
  const wordings = (id: string) => BY_ID.get(id)!.formats.map((f) => [f.text, f.first, f.last]);
  assert.deepEqual(wordings("slot-occupied"), [
    ["pci slot %d:%d:%d already occupied!", "13.1", null],
    ["pci slot %d:%d already occupied!", "12.0", "13.0"],
  ]);
  assert.deepEqual(wordings("invalid-options").map((w) => w[0]), [
    'passthru: invalid options "%s"',
    "invalid passthru options",
  ]);
  assert.deepEqual(wordings("device-emulation-init").map((w) => w.slice(1)), [["15.0", null], [
    "12.1",
    "14.3",
  ]]);
  assert.deepEqual(wordings("vmx-bios-disabled").map((w) => w[0]), [
    "vmx_modinit: VMX operation disabled by BIOS",
    "vmx_init: VMX operation disabled by BIOS",
  ]);
  assert.deepEqual(wordings("ivrs-cant-find").map((w) => w[0]), [
    "AMD-Vi: can't find ivhd%d",
    "AMD-Vi: cant find ivhd%d",
  ]);
});

/** Values for each kind of conversion, to build a line from a format. */
const FILL: Record<string, string> = {
  d: "3",
  u: "4096",
  x: "300",
  p: "0xfffffe0012345678",
  b: "20<RW>",
  c: "x",
  s: "word",
};
const PROGRAM: Partial<Record<string, string>> = {
  bhyve: "bhyve: ",
  devctl: "devctl: ",
  kldload: "kldload: ",
};

Deno.test("catalogue: every wording of every entry is found by that entry, with made-up values", () => {
  for (const e of CATALOGUE) {
    for (const f of e.formats) {
      let line = compile(f.text).parts.map((p) => "literal" in p ? p.literal : FILL[p.spec]).join(
        "",
      );
      if (["warn", "err", "perror"].includes(e.printer)) line += ": Device busy";
      if (["warn", "err", "warnx", "errx"].includes(e.printer)) {
        line = (PROGRAM[e.origin] ?? "") + line;
      }
      const l = readLine(1, line);
      const m = e.role === "carrier" ? matchCarrier(l) : matchMessage(l);
      assert.equal(m?.entry.id, e.id, line);
    }
  }
});

const DEVICE_FIELDS = new Set(["bus", "rid", "selector"]);

for (const entry of CATALOGUE) {
  Deno.test(`catalogue ${entry.id}: its sample is explained`, () => {
    const report = explainText(entry.sample, FACTS);
    const x = report.messages.find((m) => m.id === entry.id);
    assert.ok(x !== undefined, `not found in: ${entry.sample}`);
    assert.deepEqual(x.lines, [1]);
    assert.ok(readLine(1, entry.sample).outer.includes(x.text), x.text);
    const format = entry.formats.find((f) => f.text === x.format.text)!;
    if (format.fields?.some((f) => f !== null && DEVICE_FIELDS.has(f))) {
      assert.ok(x.device !== null, "the device is read");
    }
    const message = readLine(1, entry.sample).message;
    if (splitStrerror(message) !== null && ["warn", "err", "perror"].includes(entry.printer)) {
      assert.ok(x.errno !== null, "the errno after the colon is read");
    }
    if (format.fields?.includes("errno")) assert.ok(x.errno !== null, "the errno field is read");
    // The checks run in the catalogue's order (some left out by the errno or a line before).
    const names = entry.causes.map((c) => c.check);
    let at = 0;
    for (const c of x.checks) {
      if (c.check === undefined) continue;
      while (at < names.length && names[at] !== c.check) at++;
      assert.ok(at < names.length, `${c.check} out of order`);
      at++;
      assert.ok(["cause", "ok", "unknown", "check"].includes(c.result) && c.text.length > 5);
    }
    if (entry.role === "error" || entry.role === "warning") {
      assert.ok(entry.causes.length === 0 || x.checks.length > 0, "its causes are checked");
      assert.ok(x.fixes.length > 0, "it says what to do");
    }
    if (entry.role === "carrier") {
      assert.ok(report.messages.some((m) => m.role !== "carrier"), "the text inside is explained");
    }
    if (entry.role === "command-line" && entry.sample.includes(" -s ")) {
      assert.ok(report.log.commandLines.length > 0, "its command line is read");
    }
    if (format.fields?.includes("status")) assert.equal(typeof x.status, "number");
  });
}
