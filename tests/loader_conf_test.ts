import assert from "node:assert/strict";
import type { PciAddress } from "../core/address.ts";
import { PptkitError } from "../core/errors.ts";
import { withLocation } from "../core/findings.ts";
import { prng } from "./helpers.ts";
import {
  amdviEnabled,
  amdviFinding,
  multiDomainFindings,
  pptdevsFindings,
  tunableNumber,
  typoFindings,
  vmmLoadedByLoader,
  vmmLoadFinding,
} from "../core/loader/findings.ts";
import {
  type AssignmentLine,
  type LoaderConf,
  type MalformedLine,
  parseLoaderConf,
  renderLoaderConf,
} from "../core/loader/lines.ts";
import {
  duplicateFindings,
  effectiveAssignment,
  expandLoaderValue,
  loaderValues,
} from "../core/loader/values.ts";
import { editLoaderConf, pptdevsHome } from "../core/loader/edit.ts";
import { isLoaderConfDropIn, loaderFileOrder, parseRelease } from "../core/loader/order.ts";
import {
  kenvReservedDevices,
  parseKenv,
  PPTDEVS_VALUE_LIMIT,
  PPTDEVS_VARIABLES,
  readPptdevsValue,
  reservationWhere,
  reservedDevices,
} from "../core/loader/kernel.ts";
import { LOADER_CONF, LOADER_CONF_LOCAL } from "../core/paths.ts";
import { packPptdevs, type PptdevsLayout } from "../core/loader/packing.ts";

/** A finding or error as the user reads it: its location once, then the message. */
function shown(f: { file?: string; line?: number; message: string }): string {
  return withLocation(f);
}

// ---------------------------------------------------------------------------------------------
// helpers

function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

function dev(bus: number, slot: number, fn: number, domain = 0): PciAddress {
  return { domain, bus, slot, function: fn };
}

function conf(text: string, path = LOADER_CONF): LoaderConf {
  return parseLoaderConf(text, path);
}

function values(...files: LoaderConf[]) {
  return loaderValues(files);
}

function bsfs(files: LoaderConf[]): string[] {
  return reservedDevices(loaderValues(files)).map((d) => d.bsf);
}

function layout(a: string[], b: string[] = [], c: string[] = []): PptdevsLayout {
  return { pptdevs: a, pptdevs2: b, pptdevs3: c };
}

function thrown(fn: () => unknown): PptkitError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PptkitError, `expected PptkitError, got ${e}`);
    return e;
  }
  assert.fail("expected an error");
}

const DROP_IN = "/boot/loader.conf.d/ppt.conf";

// ---------------------------------------------------------------------------------------------
// line model

Deno.test("parseLoaderConf() reads assignments, comments, blanks and other lines", () => {
  const c = conf(
    '# top\n\npptdevs = "1/0/0 2/0/0"  # gpu\nvmm_load=YES\n  \t\nkern.x="a # b"#c\njunk\n',
  );
  assert.deepEqual(c.lines.map((l) => l.kind), [
    "comment",
    "blank",
    "assignment",
    "assignment",
    "blank",
    "assignment",
    "malformed",
  ]);
  const p = c.lines[2] as AssignmentLine;
  assert.equal(p.key, "pptdevs");
  assert.equal(p.raw, "1/0/0 2/0/0");
  assert.equal(p.quoted, true);
  assert.equal(p.comment, "# gpu");
  assert.equal(p.text.slice(p.valueStart, p.valueEnd), "1/0/0 2/0/0");
  const v = c.lines[3] as AssignmentLine;
  assert.equal(v.raw, "YES");
  assert.equal(v.quoted, false);
  const k = c.lines[5] as AssignmentLine;
  assert.equal(k.raw, "a # b");
  assert.equal(k.comment, "#c");
  assert.equal((c.lines[6] as MalformedLine).problem, "missing-equals");
});

Deno.test("parseLoaderConf() keeps CRLF line ends", () => {
  const text = 'a="1"\r\nb="2"\n\r\n';
  const c = conf(text);
  assert.deepEqual(c.lines.map((l) => l.eol), ["\r\n", "\n", "\r\n"]);
  assert.deepEqual(c.lines.map((l) => l.text), ['a="1"', 'b="2"', ""]);
  assert.equal(renderLoaderConf(c), text);
});

Deno.test("parseLoaderConf() keeps a last line without newline and a lone \\r in the text", () => {
  const c = conf('a="1"\rb="2"');
  assert.equal(c.lines.length, 1);
  assert.equal(c.lines[0].eol, "");
  // The loader splits on \n only: this is one line with text after the value.
  assert.equal(c.lines[0].kind, "malformed");
  assert.equal(renderLoaderConf(c), 'a="1"\rb="2"');
  assert.deepEqual(conf("").lines, []);
});

Deno.test("parseLoaderConf() marks an unterminated quote as malformed", () => {
  const line = conf('pptdevs="1/0/0 2/0/0\n').lines[0] as MalformedLine;
  assert.equal(line.kind, "malformed");
  assert.equal(line.key, "pptdevs");
  assert.equal(line.problem, "unterminated-quote");
  assert.equal(line.reason, "unterminated quote");
});

Deno.test("parseLoaderConf() rejects an unquoted device list like the Lua loader", () => {
  const [a, b, c, d] = conf('pptdevs=1/0/0\nvmm_load = "YES" junk\nx=\n_x="1"\n').lines;
  assert.equal((a as MalformedLine).problem, "unquoted-value");
  assert.match((a as MalformedLine).reason, /^unquoted value "1\/0\/0" is not one word/);
  assert.equal((b as MalformedLine).problem, "text-after-value");
  assert.equal((c as MalformedLine).problem, "empty-value");
  assert.equal((d as MalformedLine).problem, "bad-name");
  // module settings may start with _ (MODULEEXPR)
  assert.equal(conf('_x_load="YES"\n').lines[0].kind, "assignment");
});

Deno.test("parseLoaderConf() throws exit 65 on a NUL byte naming file and line", () => {
  const e = thrown(() => parseLoaderConf('a="1"\nb="\0"\n', "/boot/loader.conf.local"));
  assert.equal(e.exitCode, 65);
  assert.equal(shown(e), "/boot/loader.conf.local:2: NUL byte in loader configuration");
  assert.equal(e.file, "/boot/loader.conf.local");
  assert.equal(e.line, 2);
  assert.ok(e.hint);
});

Deno.test("renderLoaderConf() gives back the bytes of 600 random files", () => {
  const pieces = [
    "pptdevs",
    "=",
    " = ",
    '"',
    '"1/0/0 2/0/0"',
    "#",
    "# comment",
    " ",
    "\t",
    "\r",
    "\r\n",
    "\n",
    "\n\n",
    "vmm_load",
    "YES",
    "hw.vmm.amdvi.enable=1",
    "\\",
    "$x",
    "${y}",
    "é",
    "🙂",
    "\v\f",
    "junk",
    "pptdevs2=",
    "0x10/0/0",
  ];
  for (let seed = 0; seed < 600; seed++) {
    const rng = prng(seed);
    let text = "";
    const n = Math.floor(rng() * 40);
    for (let i = 0; i < n; i++) {
      text += rng() < 0.1 ? String.fromCharCode(1 + Math.floor(rng() * 200)) : pick(rng, pieces);
    }
    const c = parseLoaderConf(text, "/x");
    assert.equal(renderLoaderConf(c), text, `seed ${seed}`);
    for (const line of c.lines) {
      assert.ok(!line.text.includes("\n"), `seed ${seed}`);
      if (line.kind === "assignment") {
        assert.equal(line.text.slice(line.valueStart, line.valueEnd), line.raw);
      }
    }
    c.lines.slice(0, -1).forEach((l) => assert.notEqual(l.eol, ""));
  }
});

// ---------------------------------------------------------------------------------------------
// values

Deno.test("expandLoaderValue() applies escapes and $ expansion like processEnvVar", () => {
  const env = new Map([["a", "1/0/0"], ["b.c", "2/0/0"]]);
  const lookup = (n: string) => env.get(n);
  assert.deepEqual(expandLoaderValue("$a ${b.c} \\$a", lookup), {
    value: "1/0/0 2/0/0 $a",
    error: null,
  });
  assert.deepEqual(expandLoaderValue("$none x", lookup), { value: " x", error: null });
  assert.equal(expandLoaderValue("x\\", lookup).error, "stray escape at end of line");
  assert.equal(expandLoaderValue("x$", lookup).error, "unescaped $ at end of line");
  assert.equal(
    expandLoaderValue("${}", lookup).error,
    "malformed variable expression at position 1",
  );
});

Deno.test("loaderValues() keeps every assignment; the last accepted one wins", () => {
  const a = conf('pptdevs="1/0/0"\npptdevs="2/0/0"\npptdevs="3/0/0\npptdevs="4/0/0\\"\n');
  const v = values(a);
  assert.deepEqual(v.assignments.get("pptdevs")!.map((x) => [x.value, x.line]), [
    ["1/0/0", 1],
    ["2/0/0", 2],
  ]);
  assert.equal(effectiveAssignment(v, "pptdevs")!.line, 2);
  assert.deepEqual(v.rejected.map((r) => [r.line, r.reason]), [
    [3, "unterminated quote"],
    [4, "the loader refuses the value: stray escape at end of line"],
  ]);
});

Deno.test("loaderValues() upper-cases X_load and leaves module settings unexpanded", () => {
  const v = values(conf('vmm_load="yes"\nvmm_name="$x"\n'));
  assert.equal(effectiveAssignment(v, "vmm_load")!.value, "YES");
  assert.equal(effectiveAssignment(v, "vmm_name")!.value, "$x");
  assert.equal(vmmLoadedByLoader(v), true);
});

// ---------------------------------------------------------------------------------------------
// read order

Deno.test("loaderFileOrder() reads loader.conf.local before loader.conf.d on 14.0, last on 14.1", () => {
  const old = loaderFileOrder("14.0-RELEASE", ["ppt.conf", "a.conf"]);
  assert.deepEqual(old.files, [
    LOADER_CONF,
    LOADER_CONF_LOCAL,
    "/boot/loader.conf.d/ppt.conf",
    "/boot/loader.conf.d/a.conf",
  ]);
  assert.equal(old.localLast, false);
  assert.equal(old.finding, null);
  const now = loaderFileOrder("14.1-RELEASE-p3", ["ppt.conf", "a.conf"]);
  assert.deepEqual(now.files, [
    LOADER_CONF,
    "/boot/loader.conf.d/ppt.conf",
    "/boot/loader.conf.d/a.conf",
    LOADER_CONF_LOCAL,
  ]);
  assert.equal(now.localLast, true);
  assert.equal(loaderFileOrder("13.2-RELEASE", []).localLast, false);
  assert.equal(loaderFileOrder("15.0-CURRENT", []).localLast, true);
  assert.equal(loaderFileOrder("14.1-RELEASE amd64", []).localLast, true);
});

Deno.test("loaderFileOrder() assumes the current order for an unknown release and says so", () => {
  const o = loaderFileOrder(null, []);
  assert.equal(o.localLast, true);
  assert.equal(o.finding?.code, "loader-order-assumed");
  assert.equal(o.finding?.level, "info");
  assert.equal(
    o.finding?.message,
    "FreeBSD release unknown: assuming the loader reads /boot/loader.conf.local last, " +
      "as 14.1 and later do",
  );
  assert.equal(loaderFileOrder("bogus", []).finding?.code, "loader-order-assumed");
  const stable = loaderFileOrder("14.0-STABLE", []);
  assert.equal(stable.localLast, false);
  assert.equal(stable.finding?.code, "loader-order-assumed");
  assert.deepEqual(parseRelease("13.2-RELEASE-p11"), { major: 13, minor: 2, branch: "RELEASE" });
});

Deno.test("isLoaderConfDropIn() follows the loader's .conf$ pattern", () => {
  assert.equal(isLoaderConfDropIn("ppt.conf"), true);
  assert.equal(isLoaderConfDropIn("pptconf"), true);
  assert.equal(isLoaderConfDropIn("ppt.conf.bak"), false);
  assert.equal(isLoaderConfDropIn("conf"), false);
  assert.deepEqual(loaderFileOrder("14.1-RELEASE", ["x.conf.orig", "y.conf"]).files.length, 3);
});

Deno.test("effective pptdevs differ on 14.0 and 14.1 when loader.conf.local and a drop-in disagree", () => {
  const main = conf('pptdevs="1/0/0"\nvmm_load="YES"\n');
  const local = conf('pptdevs="2/0/0"\n', LOADER_CONF_LOCAL);
  const dropIn = conf('pptdevs="3/0/0"\n', DROP_IN);
  const files: Record<string, LoaderConf> = {
    [LOADER_CONF]: main,
    [LOADER_CONF_LOCAL]: local,
    [DROP_IN]: dropIn,
  };
  const read = (release: string) =>
    loaderFileOrder(release, ["ppt.conf"]).files.map((f) => files[f]);
  assert.deepEqual(bsfs(read("14.0-RELEASE")), ["3/0/0"]);
  assert.deepEqual(bsfs(read("14.1-RELEASE")), ["2/0/0"]);
  const d = duplicateFindings(loaderValues(read("14.1-RELEASE")));
  assert.equal(d.length, 1);
  assert.equal(d[0].code, "loader-conf-duplicate");
  assert.equal(
    shown(d[0]),
    "/boot/loader.conf.local:1: pptdevs is set 3 times: this line overrides /boot/loader.conf:1, " +
      "/boot/loader.conf.d/ppt.conf:1",
  );
  assert.equal(d[0].file, LOADER_CONF_LOCAL);
});

Deno.test("duplicateFindings() warns on any variable across files, on pptdevs within a file", () => {
  const a = conf('autoboot_delay="3"\nautoboot_delay="5"\npptdevs="1/0/0"\npptdevs="2/0/0"\n');
  const b = conf('hw.x="1"\n', DROP_IN);
  const c = conf('hw.x="2"\n', LOADER_CONF_LOCAL);
  const d = duplicateFindings(values(a, b, c));
  assert.deepEqual(d.map((f) => f.message.split(" ")[0]), ["pptdevs", "hw.x"]);
  assert.ok(d.every((f) => f.level === "warn" && f.code === "loader-conf-duplicate"));
  assert.equal(
    d[0].fix,
    "keep one pptdevs line: the loader does not merge them, the last one read wins",
  );
});

// ---------------------------------------------------------------------------------------------
// the kernel's reading

Deno.test("readPptdevsValue() cuts at single spaces and reads %d/%d/%d like vmm_is_pptdev", () => {
  const read = (v: string) =>
    readPptdevsValue(v).map((
      t,
    ) => [
      t.text,
      t.address ? `${t.address.bus}/${t.address.slot}/${t.address.function}` : null,
      t.ignored,
    ]);
  assert.deepEqual(read(" 1/0/0  2/0/0 "), [["1/0/0", "1/0/0", ""], ["2/0/0", "2/0/0", ""]]);
  assert.deepEqual(read("1/0/0\t2/0/0"), [["1/0/0\t2/0/0", "1/0/0", "\t2/0/0"]]);
  assert.deepEqual(read("1/0/0 \t2/0/0"), [["1/0/0", "1/0/0", ""], ["\t2/0/0", "2/0/0", ""]]);
  assert.deepEqual(read("0x10/0/0"), [["0x10/0/0", null, ""]]);
  assert.deepEqual(read("pci0:3:0:0 0:3:0:0"), [["pci0:3:0:0", null, ""], ["0:3:0:0", null, ""]]);
  assert.deepEqual(read("3/0/0abc +4/0/0 010/0/0"), [
    ["3/0/0abc", "3/0/0", "abc"],
    ["+4/0/0", "4/0/0", ""],
    ["010/0/0", "10/0/0", ""],
  ]);
  assert.deepEqual(read("0/40/0 -1/0/0 6/0/130"), [
    ["0/40/0", null, ""],
    ["-1/0/0", null, ""],
    ["6/0/130", "6/0/130", ""],
  ]);
  assert.deepEqual(readPptdevsValue("0/40/0")[0].numbers, [0, 40, 0]);
  assert.deepEqual(readPptdevsValue("1/0")[0].numbers, [1, 0]);
});

Deno.test("pptdevsFindings() pptdevs-syntax: a tab hides the next device", () => {
  const f = pptdevsFindings(values(conf('vmm_load="YES"\npptdevs="1/0/0\t2/0/0 3/0/0"\n')));
  assert.equal(f.length, 1);
  assert.deepEqual(f[0], {
    level: "error",
    code: "pptdevs-syntax",
    message: 'pptdevs token "1/0/0\\t2/0/0": a tab is not a separator: ' +
      "the kernel reserves 1/0/0 and never sees 2/0/0",
    fix: 'separate devices with single spaces: "1/0/0 2/0/0"',
    device: "pci0:1:0:0",
    file: LOADER_CONF,
    line: 2,
  });
});

Deno.test("pptdevsFindings() pptdevs-syntax: hex, domain prefix, junk, range, trailing text", () => {
  const f = pptdevsFindings(
    values(conf('pptdevs="0x10/0/0 pci0:3:0:0 foo 0/40/0 5/0/0x 6/0/0"\n')),
  );
  assert.deepEqual(f.map((x) => [x.level, shown(x)]), [
    [
      "error",
      '/boot/loader.conf:1: pptdevs token "0x10/0/0" is hexadecimal: the kernel reads decimal ' +
      "only and ignores it",
    ],
    [
      "error",
      '/boot/loader.conf:1: pptdevs token "pci0:3:0:0" is not B/S/F (pptdevs takes no pci ' +
      "domain prefix): the kernel ignores it",
    ],
    ["error", '/boot/loader.conf:1: pptdevs token "foo" is not a B/S/F: the kernel ignores it'],
    [
      "error",
      '/boot/loader.conf:1: pptdevs token "0/40/0": slot 40 is out of range 0-31, no device can ' +
      "match it",
    ],
    [
      "warn",
      '/boot/loader.conf:1: pptdevs token "5/0/0x": the kernel reserves 5/0/0 and ignores "x"',
    ],
  ]);
  assert.ok(f.every((x) => x.code === "pptdevs-syntax" && x.line === 1));
  assert.equal(f[1].fix, "did you mean 3/0/0? bhyve and pptdevs take bus/slot/function");
  assert.equal(f[4].fix, "write it as 5/0/0");
});

Deno.test("pptdevsFindings() pptdevs-syntax: the loader rejects the pptdevs line", () => {
  const f = pptdevsFindings(values(conf('# x\npptdevs=1/0/0\npptdevs2="2/0/0\n')));
  assert.deepEqual(f.map((x) => [x.line, shown(x)]), [
    [
      2,
      '/boot/loader.conf:2: the loader rejects this pptdevs line (unquoted value "1/0/0" is ' +
      "not one word (letters, digits, - _ .): it must be in double quotes): it sets nothing",
    ],
    [
      3,
      "/boot/loader.conf:3: the loader rejects this pptdevs2 line (unterminated quote): it sets nothing",
    ],
  ]);
  assert.ok(f.every((x) => x.code === "pptdevs-syntax" && x.level === "error"));
});

Deno.test("pptdevsFindings() pptdevs-too-long: over 128 warns, dropped at boot is an error", () => {
  const tokens = (n: number) => Array.from({ length: n }, (_, i) => `${100 + i}/10/0`).join(" ");
  const v129 = tokens(16) + " 1/2/3"; // 16 * 9 - 1 + 6 = 149
  const f = pptdevsFindings(values(conf(`pptdevs="${v129}"\npptdevs2="${tokens(30)}"\n`)));
  const long = f.filter((x) => x.code === "pptdevs-too-long");
  assert.equal(long.length, 2);
  assert.equal(long[0].level, "warn");
  assert.equal(
    shown(long[0]),
    `/boot/loader.conf:1: pptdevs is ${v129.length} characters, over the 128-character limit of vmm(4)`,
  );
  assert.equal(long[1].level, "error");
  assert.equal(
    shown(long[1]),
    "/boot/loader.conf:2: pptdevs2 is 269 characters, over the 128-character limit of vmm(4): " +
      "the kernel drops it at boot, so none of its 30 devices is reserved",
  );
  // a value of exactly 128 characters is fine
  const exact = Array.from({ length: 16 }, () => "10/10/0").join(" ").slice(0, 127) + "0";
  assert.equal(exact.length, PPTDEVS_VALUE_LIMIT);
  assert.equal(
    pptdevsFindings(values(conf(`pptdevs="${exact}"\n`))).filter((x) =>
      x.code === "pptdevs-too-long"
    ).length,
    0,
  );
});

Deno.test("pptdevsFindings() pptdevs4-ignored for every pptdevsN the kernel never reads", () => {
  const f = pptdevsFindings(
    values(conf('pptdevs="1/0/0"\npptdevs4="7/0/0 8/0/0"\npptdevs0="1/0/0"\npptdevs1=""\n')),
  );
  assert.deepEqual(f.map((x) => [x.code, x.level, shown(x), x.fix]), [
    [
      "pptdevs4-ignored",
      "error",
      "/boot/loader.conf:2: the kernel never reads pptdevs4 (only pptdevs, pptdevs2 and " +
      "pptdevs3): 7/0/0 and 8/0/0 are not reserved",
      "move the devices into pptdevs, pptdevs2 or pptdevs3: pptkit reserve 7/0/0 8/0/0",
    ],
    [
      "pptdevs4-ignored",
      "warn",
      "/boot/loader.conf:3: the kernel never reads pptdevs0 (only pptdevs, pptdevs2 and pptdevs3)",
      "remove the pptdevs0 line",
    ],
    [
      "pptdevs4-ignored",
      "warn",
      "/boot/loader.conf:4: the kernel never reads pptdevs1 (only pptdevs, pptdevs2 and pptdevs3)",
      "remove the pptdevs1 line",
    ],
  ]);
});

Deno.test("pptdevsFindings() pptdevs-duplicate for a device listed twice", () => {
  const f = pptdevsFindings(values(conf('pptdevs="1/0/0 2/0/0"\npptdevs3="2/0/0"\n')));
  assert.equal(f.length, 1);
  assert.equal(f[0].code, "pptdevs-duplicate");
  assert.equal(f[0].level, "warn");
  assert.equal(
    shown(f[0]),
    "/boot/loader.conf:2: 2/0/0 is listed twice: in pptdevs (/boot/loader.conf:1) and in " +
      "pptdevs3 (/boot/loader.conf:2)",
  );
  assert.equal(f[0].device, "pci0:2:0:0");
});

Deno.test("reservedDevices() names the variable and file:line of each device", () => {
  const r = reservedDevices(
    values(conf('pptdevs="1/0/0 2/0/0"\n'), conf('pptdevs3="3/0/0 1/0/0"\n', LOADER_CONF_LOCAL)),
  );
  assert.deepEqual(r.map(reservationWhere), [
    "/boot/loader.conf:1 pptdevs",
    "/boot/loader.conf:1 pptdevs",
    "/boot/loader.conf.local:1 pptdevs3",
  ]);
  assert.deepEqual(r.map((d) => d.bsf), ["1/0/0", "2/0/0", "3/0/0"]);
  // a value the kernel drops at boot reserves nothing
  const huge = Array.from({ length: 30 }, (_, i) => `${100 + i}/31/7`).join(" ");
  assert.deepEqual(bsfs([conf(`pptdevs="${huge}"\npptdevs2="9/0/0"\n`)]), ["9/0/0"]);
});

Deno.test("multiDomainFindings() flags a token that matches devices in two domains", () => {
  const reserved = reservedDevices(values(conf('pptdevs="1/0/0 2/0/0"\n')));
  const f = multiDomainFindings(reserved, [dev(1, 0, 0), dev(1, 0, 0, 1), dev(2, 0, 0)]);
  assert.equal(f.length, 1);
  assert.equal(f[0].code, "pptdevs-multi-domain");
  assert.equal(
    shown(f[0]),
    "/boot/loader.conf:1: pptdevs token 1/0/0 matches 2 devices, pci0:1:0:0 and pci1:1:0:0: " +
      "the kernel ignores the PCI domain, so ppt(4) claims every one of them",
  );
  assert.match(f[0].fix!, /pptkit reserve --now/);
});

Deno.test("vmmLoadFinding() reports vmm-not-from-loader without an effective vmm_load=YES", () => {
  assert.equal(vmmLoadFinding(values(conf('vmm_load="YES"\n'))), null);
  const none = vmmLoadFinding(values(conf('pptdevs="1/0/0"\n')))!;
  assert.equal(none.code, "vmm-not-from-loader");
  assert.equal(none.level, "error");
  assert.equal(
    shown(none),
    'the loader does not load vmm: no vmm_load="YES" in the loader configuration: ' +
      "pptdevs has no effect without it",
  );
  const no = vmmLoadFinding(
    values(conf('vmm_load="YES"\n'), conf('vmm_load="NO"\n', LOADER_CONF_LOCAL)),
  )!;
  assert.equal(no.level, "warn");
  assert.equal(
    shown(no),
    '/boot/loader.conf.local:1: vmm_load is "NO", the loader does not load vmm',
  );
  assert.equal(no.line, 1);
});

Deno.test("amdviFinding() reports amdvi-disabled unless hw.vmm.amdvi.enable or its alias is 1", () => {
  const on = (text: string) => amdviEnabled(values(conf(text)));
  assert.equal(on("hw.vmm.amdvi.enable=1\n"), true);
  assert.equal(on('hw.vmm.amdvi_enable="1"\n'), true);
  assert.equal(on("hw.vmm.amdvi.enable=0\n"), false);
  assert.equal(on('hw.vmm.amdvi.enable="yes"\n'), false);
  assert.equal(on("hw.vmm.amdvi.enable=1\nhw.vmm.amdvi_enable=0\n"), false);
  assert.equal(on(""), false);
  assert.equal(amdviFinding(values(conf("")), false), null);
  assert.equal(amdviFinding(values(conf("hw.vmm.amdvi.enable=1\n")), true), null);
  const f = amdviFinding(values(conf('hw.vmm.amdvi_enable="0"\n')), true)!;
  assert.equal(f.code, "amdvi-disabled");
  assert.equal(f.level, "error");
  assert.equal(
    shown(f),
    '/boot/loader.conf:1: this host has AMD-Vi but hw.vmm.amdvi_enable is "0": vmm leaves the ' +
      "IOMMU off and passthrough fails",
  );
  assert.equal(
    f.fix,
    "set hw.vmm.amdvi.enable=1 in /boot/loader.conf and reboot (pptkit reserve does it)",
  );
});

Deno.test("tunableNumber() reads values like the kernel's getenv_int", () => {
  assert.equal(tunableNumber("1"), 1);
  assert.equal(tunableNumber("0x10"), 16);
  assert.equal(tunableNumber("010"), 8);
  assert.equal(tunableNumber("2k"), 2048);
  assert.equal(tunableNumber("yes"), null);
  assert.equal(tunableNumber("1x"), null);
});

Deno.test("parseKenv() reads kenv output; kenvReservedDevices() reads it like the kernel", () => {
  const kenv = parseKenv(
    'hint.uart.0.at="isa"\r\npptdevs="1/0/0 2/0/0"\npptdevs2="3/0/0\t4/0/0"\npptdevs4="5/0/0"\nbad\nkernelname="/boot/kernel/kernel"',
  );
  assert.equal(kenv.get("pptdevs"), "1/0/0 2/0/0");
  assert.equal(kenv.get("hint.uart.0.at"), "isa");
  assert.equal(kenv.get("kernelname"), "/boot/kernel/kernel");
  assert.equal(kenv.has("bad"), false);
  const r = kenvReservedDevices(kenv);
  assert.deepEqual(r.map((d) => d.bsf), ["1/0/0", "2/0/0", "3/0/0"]);
  assert.equal(reservationWhere(r[2]), "kenv pptdevs2");
});

// ---------------------------------------------------------------------------------------------
// packing

Deno.test("packPptdevs() keeps existing tokens in place and appends to the first variable with room", () => {
  const full = Array.from({ length: 16 }, (_, i) => `${100 + i}/10/0`); // 16 * 9 - 1 = 143 > 128
  const fits = full.slice(0, 14); // 125 chars
  const p = packPptdevs(layout(fits, ["9/0/0"]), [dev(1, 2, 3), dev(200, 31, 7), dev(9, 0, 0)], []);
  assert.deepEqual(p.pptdevs, [...fits]);
  assert.deepEqual(p.pptdevs2, ["9/0/0", "1/2/3", "200/31/7"]);
  assert.deepEqual(p.pptdevs3, []);
  // a small token still fits in pptdevs
  const q = packPptdevs(layout(fits.slice(0, 13)), [dev(1, 0, 0)], []);
  assert.equal(q.pptdevs.join(" ").length <= PPTDEVS_VALUE_LIMIT, true);
  assert.deepEqual(q.pptdevs.slice(-1), ["1/0/0"]);
});

Deno.test("packPptdevs() removes, drops duplicates and repacks a value over 128 characters", () => {
  const p = packPptdevs(layout(["1/0/0", "2/0/0", "1/0/0"], ["3/0/0abc", "2/0/0"]), [], [
    dev(3, 0, 0),
  ]);
  assert.deepEqual(p, layout(["1/0/0", "2/0/0"], [], []));
  const long = Array.from({ length: 16 }, (_, i) => `${100 + i}/10/0`);
  const q = packPptdevs(layout(long), [], []);
  assert.deepEqual(q.pptdevs, long.slice(0, 14));
  assert.deepEqual(q.pptdevs2, long.slice(14));
});

Deno.test("packPptdevs() throws exit 65 naming how many devices do not fit and suggesting --now", () => {
  const many: PciAddress[] = [];
  for (let b = 100; b < 160; b++) many.push(dev(b, 10, 0)); // 60 * 9 chars > 3 * 128
  const e = thrown(() => packPptdevs(layout([]), many, []));
  assert.equal(e.exitCode, 65);
  // 14 tokens of 8+1 chars fit in each value: 42 fit, 18 do not
  assert.match(
    e.message,
    /^pptdevs, pptdevs2 and pptdevs3 are full: 18 devices do not fit \(142\/10\/0 /,
  );
  assert.match(e.hint!, /--now/);
  const one = thrown(() => packPptdevs(layout([]), many.slice(0, 43), []));
  assert.match(one.message, /: 1 device does not fit \(142\/10\/0\)$/);
});

Deno.test("packPptdevs() refuses a device outside domain 0 and a device both added and removed", () => {
  const e = thrown(() => packPptdevs(layout([]), [dev(1, 0, 0, 1)], []));
  assert.equal(e.exitCode, 65);
  assert.equal(
    e.message,
    "cannot reserve pci1:1:0:0: pptdevs can only name devices in PCI domain 0",
  );
  const u = thrown(() => packPptdevs(layout([]), [dev(1, 0, 0)], [dev(1, 0, 0)]));
  assert.equal(u.exitCode, 64);
});

// ---------------------------------------------------------------------------------------------
// editing

const reserve = (...add: PciAddress[]) => ({ add, remove: [], amdvi: false });
const release = (...remove: PciAddress[]) => ({ add: [], remove, amdvi: false });

Deno.test("editLoaderConf() writes pptdevs and vmm_load at the top of a new file", () => {
  const e = editLoaderConf([conf("")], LOADER_CONF, reserve(dev(0, 2, 0), dev(0, 20, 0)));
  assert.equal(e.changed, true);
  assert.equal(e.text, 'pptdevs="0/2/0 0/20/0"\nvmm_load="YES"\n');
  assert.deepEqual(e.added, ["0/2/0", "0/20/0"]);
  assert.deepEqual(e.reserved.map((d) => d.bsf), ["0/2/0", "0/20/0"]);
  assert.deepEqual(e.findings, []);
  const amd = editLoaderConf([conf("# mine\n")], LOADER_CONF, {
    add: [dev(1, 0, 0)],
    remove: [],
    amdvi: true,
  });
  assert.equal(amd.text, 'pptdevs="1/0/0"\nvmm_load="YES"\nhw.vmm.amdvi.enable=1\n# mine\n');
});

Deno.test("editLoaderConf() keeps CRLF line ends and every foreign byte", () => {
  const old = '# boot\r\nautoboot_delay="3"\r\npptdevs = "1/0/0"   # gpu\r\nzfs_load="YES"\r\n';
  const e = editLoaderConf([conf(old)], LOADER_CONF, reserve(dev(2, 0, 0)));
  assert.equal(
    e.text,
    'vmm_load="YES"\r\n# boot\r\nautoboot_delay="3"\r\npptdevs = "1/0/0 2/0/0"   # gpu\r\nzfs_load="YES"\r\n',
  );
});

Deno.test("editLoaderConf() is idempotent", () => {
  const first = editLoaderConf([conf('kern.x="1"\n')], LOADER_CONF, {
    add: [dev(1, 0, 0)],
    remove: [],
    amdvi: true,
  });
  const second = editLoaderConf([conf(first.text)], LOADER_CONF, {
    add: [dev(1, 0, 0)],
    remove: [],
    amdvi: true,
  });
  assert.equal(second.changed, false);
  assert.equal(second.text, first.text);
  assert.deepEqual(second.added, []);
  const gone = editLoaderConf([conf(first.text)], LOADER_CONF, release(dev(1, 0, 0)));
  assert.equal(
    editLoaderConf([conf(gone.text)], LOADER_CONF, release(dev(1, 0, 0))).changed,
    false,
  );
});

Deno.test("editLoaderConf() changes only the last of duplicate assignments", () => {
  const old = 'pptdevs="1/0/0"\nvmm_load="NO"\npptdevs="2/0/0"\nvmm_load=NO\n';
  const e = editLoaderConf([conf(old)], LOADER_CONF, reserve(dev(3, 0, 0)));
  assert.equal(e.text, 'pptdevs="1/0/0"\nvmm_load="NO"\npptdevs="2/0/0 3/0/0"\nvmm_load=YES\n');
  // emptying it removes the variable, as documented: every line of it goes, so the first one
  // cannot come back (issue #15: release wrote pptdevs="" with duplicate lines)
  const r = editLoaderConf([conf(e.text)], LOADER_CONF, release(dev(2, 0, 0), dev(3, 0, 0)));
  assert.equal(r.text, 'vmm_load="NO"\nvmm_load=YES\n');
  assert.deepEqual(r.reserved, []);
  assert.deepEqual(r.removed, ["2/0/0", "3/0/0"]);
});

Deno.test("editLoaderConf() refuses an unterminated quote on a pptdevs line and changes nothing", () => {
  const files = [conf('# x\npptdevs="1/0/0 2/0/0\n')];
  const e = thrown(() => editLoaderConf(files, LOADER_CONF, reserve(dev(3, 0, 0))));
  assert.equal(e.exitCode, 65);
  assert.equal(
    shown(e),
    "/boot/loader.conf:2: cannot update pptdevs: the loader rejects this line (unterminated quote)",
  );
  assert.equal(e.line, 2);
  assert.equal(renderLoaderConf(files[0]), '# x\npptdevs="1/0/0 2/0/0\n');
  // a request that does not touch pptdevs is fine
  assert.equal(
    editLoaderConf(files, LOADER_CONF, { add: [], remove: [], amdvi: true }).text,
    'hw.vmm.amdvi.enable=1\n# x\npptdevs="1/0/0 2/0/0\n',
  );
});

Deno.test("editLoaderConf() refuses a line it cannot rewrite faithfully", () => {
  const tab = thrown(() =>
    editLoaderConf([conf('pptdevs="1/0/0\t2/0/0"\n')], LOADER_CONF, reserve(dev(3, 0, 0)))
  );
  assert.equal(
    shown(tab),
    '/boot/loader.conf:1: cannot update pptdevs: token "1/0/0\\t2/0/0" is not a plain B/S/F',
  );
  assert.equal(
    tab.hint,
    'separate devices with single spaces: "1/0/0 2/0/0", then run pptkit again',
  );
  const dollar = thrown(() =>
    editLoaderConf([conf('gpu="1/0/0"\npptdevs="${gpu}"\n')], LOADER_CONF, reserve(dev(3, 0, 0)))
  );
  assert.match(shown(dollar), /^\/boot\/loader\.conf:2: cannot update pptdevs: its value uses/);
  // a device the kernel already reads from an odd token counts as reserved: nothing to do
  const odd = editLoaderConf(
    [conf('pptdevs="3/0/0abc"\nvmm_load="YES"\n')],
    LOADER_CONF,
    reserve(dev(3, 0, 0)),
  );
  assert.equal(odd.changed, false);
});

Deno.test("editLoaderConf() drops an emptied pptdevsN line but keeps its comment", () => {
  const old = 'pptdevs="1/0/0"\n  pptdevs2="2/0/0" # second gpu\npptdevs3="3/0/0"\nvmm_load="YES"';
  const e = editLoaderConf([conf(old)], LOADER_CONF, release(dev(2, 0, 0), dev(3, 0, 0)));
  assert.equal(e.text, 'pptdevs="1/0/0"\n  # second gpu\nvmm_load="YES"');
  assert.deepEqual(e.removed, ["2/0/0", "3/0/0"]);
});

Deno.test("editLoaderConf() puts a new pptdevs2 after pptdevs and keeps a missing final newline", () => {
  const fourteen = Array.from({ length: 14 }, (_, i) => `${100 + i}/10/0`).join(" ");
  const old = `# a\npptdevs="${fourteen}"\nvmm_load="YES"`;
  const e = editLoaderConf([conf(old)], LOADER_CONF, reserve(dev(200, 1, 0)));
  assert.equal(e.text, `# a\npptdevs="${fourteen}"\npptdevs2="200/1/0"\nvmm_load="YES"`);
  const last = `vmm_load="YES"\npptdevs="${fourteen}"`;
  const f = editLoaderConf([conf(last)], LOADER_CONF, reserve(dev(200, 1, 0)));
  assert.equal(f.text, `vmm_load="YES"\npptdevs="${fourteen}"\npptdevs2="200/1/0"`);
});

Deno.test("editLoaderConf() warns when loader.conf.local overrides the edit on 14.1, not on 14.0", () => {
  const main = conf('vmm_load="YES"\npptdevs="1/0/0"\n');
  const local = conf('pptdevs="9/0/0"\n', LOADER_CONF_LOCAL);
  const dropIn = conf("", DROP_IN);
  const byPath: Record<string, LoaderConf> = {
    [LOADER_CONF]: main,
    [LOADER_CONF_LOCAL]: local,
    [DROP_IN]: dropIn,
  };
  const files = (release: string) =>
    loaderFileOrder(release, ["ppt.conf"]).files.map((f) => byPath[f]);
  const now = editLoaderConf(files("14.1-RELEASE"), LOADER_CONF, reserve(dev(2, 0, 0)));
  assert.equal(now.text, 'vmm_load="YES"\npptdevs="1/0/0 2/0/0"\n');
  assert.deepEqual(now.findings.map((f) => [f.code, f.level, shown(f)]), [
    [
      "loader-conf-overridden",
      "warn",
      "/boot/loader.conf.local:1: pptdevs is set in a file the loader reads after " +
      "/boot/loader.conf, so this value wins over /boot/loader.conf",
    ],
  ]);
  assert.deepEqual(now.reserved.map((d) => d.bsf), ["9/0/0"]);
  // on 14.0 loader.conf.local comes before the drop-in: editing the drop-in wins
  const old = editLoaderConf(files("14.0-RELEASE"), DROP_IN, reserve(dev(2, 0, 0)));
  assert.equal(old.text, 'pptdevs="9/0/0 2/0/0"\n');
  assert.deepEqual(old.findings.map((f) => f.code), ["loader-conf-duplicate"]);
  assert.deepEqual(old.reserved.map((d) => d.bsf), ["9/0/0", "2/0/0"]);
});

Deno.test("editLoaderConf() leaves vmm_load to a later file that sets it, and warns when wrong", () => {
  const local = (text: string) => conf(text, LOADER_CONF_LOCAL);
  const ok = editLoaderConf(
    [conf(""), local('vmm_load="YES"\n')],
    LOADER_CONF,
    reserve(dev(1, 0, 0)),
  );
  assert.equal(ok.text, 'pptdevs="1/0/0"\n');
  assert.deepEqual(ok.findings, []);
  const no = editLoaderConf(
    [conf(""), local('vmm_load="NO"\n')],
    LOADER_CONF,
    reserve(dev(1, 0, 0)),
  );
  assert.equal(no.text, 'pptdevs="1/0/0"\n');
  assert.deepEqual(no.findings.map((f) => [f.code, f.file, f.line]), [
    ["loader-conf-overridden", LOADER_CONF_LOCAL, 1],
  ]);
});

Deno.test("editLoaderConf() into a drop-in keeps the devices loader.conf reserves", () => {
  const main = conf('pptdevs="1/0/0"\nvmm_load="YES"\n');
  const e = editLoaderConf([main, conf("", DROP_IN)], DROP_IN, reserve(dev(2, 0, 0)));
  assert.equal(e.text, 'pptdevs="1/0/0 2/0/0"\n');
  assert.deepEqual(e.reserved.map((d) => d.bsf), ["1/0/0", "2/0/0"]);
  // releasing the device of loader.conf from the drop-in overrides it with an empty value
  const r = editLoaderConf([main, conf("", DROP_IN)], DROP_IN, release(dev(1, 0, 0)));
  assert.equal(r.text, 'pptdevs=""\n');
  assert.deepEqual(r.reserved, []);
});

Deno.test("editLoaderConf() sets hw.vmm.amdvi.enable=1, fixing a zero alias in place", () => {
  const amd = { add: [], remove: [], amdvi: true };
  assert.equal(
    editLoaderConf([conf('hw.vmm.amdvi.enable="0" # off\n')], LOADER_CONF, amd).text,
    'hw.vmm.amdvi.enable="1" # off\n',
  );
  assert.equal(
    editLoaderConf([conf("hw.vmm.amdvi_enable=0\n")], LOADER_CONF, amd).text,
    "hw.vmm.amdvi_enable=1\n",
  );
  assert.equal(editLoaderConf([conf("hw.vmm.amdvi.enable=1\n")], LOADER_CONF, amd).changed, false);
});

Deno.test("editLoaderConf() random reserve/release sequences leave exactly the intended devices", () => {
  const MANAGED = new Set<string>([
    ...PPTDEVS_VARIABLES,
    "vmm_load",
    "hw.vmm.amdvi.enable",
    "hw.vmm.amdvi_enable",
  ]);
  const foreignPool = [
    "# loader.conf",
    "",
    "   ",
    'autoboot_delay="3"',
    'kern.geom.label.disk_ident.enable="0"',
    "zfs_load=YES",
    'hw.usb.no_pf="1"   # keep',
    '# pptdevs="9/9/9" old',
    'pptdevs4="5/5/5"',
    "junk line",
    'kern.x="unterminated',
    '\tif_bridge_load = "YES"',
  ];
  const isManaged = (line: { kind: string; key?: string | null }) =>
    (line.kind === "assignment" || line.kind === "malformed") && MANAGED.has(line.key ?? "");
  const randomDevice = (rng: () => number): PciAddress =>
    dev(
      rng() < 0.5 ? Math.floor(rng() * 10) : Math.floor(rng() * 256),
      Math.floor(rng() * 32),
      rng() < 0.9 ? Math.floor(rng() * 8) : Math.floor(rng() * 256),
    );
  let full = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const rng = prng(seed * 7919);
    const eol = rng() < 0.3 ? "\r\n" : "\n";
    const lines: string[] = [];
    for (let n = Math.floor(rng() * 8); n > 0; n--) lines.push(pick(rng, foreignPool));
    if (rng() < 0.3) {
      lines.splice(Math.floor(rng() * (lines.length + 1)), 0, 'pptdevs="1/0/0 2/0/0"');
    }
    if (rng() < 0.2) lines.splice(Math.floor(rng() * (lines.length + 1)), 0, 'vmm_load="NO"');
    let text = lines.map((l) => l + eol).join("");
    if (rng() < 0.3 && text.endsWith(eol)) text = text.slice(0, -eol.length);
    const original = conf(text);
    const foreign = original.lines.filter((l) => !isManaged(l)).map((l) => l.text + "|" + l.eol);
    const model = new Set(bsfs([original]));
    for (let step = Math.floor(rng() * 8) + 1; step > 0; step--) {
      const releasing = rng() < 0.35 && model.size > 0;
      const request = releasing
        ? release(
          ...[...model].filter(() => rng() < 0.5).map((b) => {
            const [x, y, z] = b.split("/").map(Number);
            return dev(x, y, z);
          }),
          randomDevice(rng),
        )
        : reserve(...Array.from({ length: 1 + Math.floor(rng() * 16) }, () => randomDevice(rng)));
      const next = new Set(model);
      for (const a of request.add) next.add(`${a.bus}/${a.slot}/${a.function}`);
      for (const a of request.remove) next.delete(`${a.bus}/${a.slot}/${a.function}`);
      let e;
      try {
        e = editLoaderConf([conf(text)], LOADER_CONF, request);
      } catch (err) {
        assert.ok(err instanceof PptkitError, `seed ${seed}: ${err}`);
        assert.equal(err.exitCode, 65);
        assert.match(err.message, /are full/);
        // first fit leaves less than one token (at most 10 chars + space) free per variable
        const used = [...next].reduce((n, b) => n + b.length + 1, 0);
        assert.ok(used > 3 * (PPTDEVS_VALUE_LIMIT - 10), `seed ${seed}: full at ${used}`);
        full++;
        continue;
      }
      const after = conf(e.text);
      const v = loaderValues([after]);
      assert.deepEqual(new Set(reservedDevices(v).map((d) => d.bsf)), next, `seed ${seed}`);
      for (const name of PPTDEVS_VARIABLES) {
        const a = effectiveAssignment(v, name);
        if (a === undefined) continue;
        assert.ok(a.value.length <= PPTDEVS_VALUE_LIMIT, `seed ${seed}: ${name} too long`);
        assert.ok(a.quoted, `seed ${seed}: ${name} not quoted`);
        assert.ok(/^(\d+\/\d+\/\d+( \d+\/\d+\/\d+)*)?$/.test(a.raw), `seed ${seed}: ${a.raw}`);
      }
      if (request.add.length > 0) assert.ok(vmmLoadedByLoader(v), `seed ${seed}: vmm_load`);
      assert.deepEqual(
        after.lines.filter((l) => !isManaged(l)).map((l) => l.text + "|" + l.eol),
        foreign,
        `seed ${seed}: foreign lines`,
      );
      const again = editLoaderConf([after], LOADER_CONF, request);
      assert.equal(again.changed, false, `seed ${seed}: not idempotent`);
      text = e.text;
      model.clear();
      next.forEach((b) => model.add(b));
    }
  }
  assert.ok(full > 0, "no sequence filled pptdevs, pptdevs2 and pptdevs3");
});

Deno.test("#17.7 editLoaderConf() names the later assignment that would undo the edit (lostTo)", () => {
  const main = conf('pptdevs="1/0/0"\nvmm_load="YES"\n');
  const dropIn = conf('pptdevs="1/0/0 9/0/0"\n', DROP_IN);
  const files = [main, dropIn];
  // Editing loader.conf: the drop-in's pptdevs is read later and wins.
  const lost = editLoaderConf(files, LOADER_CONF, reserve(dev(2, 0, 0)));
  assert.deepEqual([lost.lostTo?.file, lost.lostTo?.key, lost.lostTo?.line], [
    DROP_IN,
    "pptdevs",
    1,
  ]);
  // A release of a device the later file keeps is lost too, even when nothing changes here.
  const kept = editLoaderConf(files, LOADER_CONF, release(dev(9, 0, 0)));
  assert.equal(kept.changed, false);
  assert.equal(kept.lostTo?.file, DROP_IN);
  // Where pptdevs lives, the edit counts.
  assert.equal(pptdevsHome(files), DROP_IN);
  const home = editLoaderConf(files, DROP_IN, reserve(dev(2, 0, 0)));
  assert.equal(home.lostTo, null);
  assert.deepEqual(home.reserved.map((d) => d.bsf), ["1/0/0", "9/0/0", "2/0/0"]);
  // vmm_load="NO" read later makes any reservation useless.
  const vmm = editLoaderConf(
    [conf(""), conf('vmm_load="NO"\n', LOADER_CONF_LOCAL)],
    LOADER_CONF,
    reserve(dev(1, 0, 0)),
  );
  assert.deepEqual([vmm.lostTo?.file, vmm.lostTo?.key], [LOADER_CONF_LOCAL, "vmm_load"]);
  assert.equal(pptdevsHome([conf('vmm_load="YES"\n')]), null);
});

Deno.test("#17.12 a UTF-8 BOM: kept byte for byte, new lines after the first line", () => {
  const text = '\uFEFF# pptkit\nvmm_load="YES"\n';
  const c = conf(text);
  assert.equal(renderLoaderConf(c), text);
  assert.equal(c.lines[0].kind, "malformed", "the loader reads the mark as part of line 1");
  const e = editLoaderConf([c], LOADER_CONF, reserve(dev(3, 0, 0)));
  assert.equal(e.text, '\uFEFF# pptkit\npptdevs="3/0/0"\nvmm_load="YES"\n');
  // A mark in front of pptdevs: that line sets nothing, and pptkit will not rewrite it.
  const onLine = conf('\uFEFFpptdevs="1/0/0"\n');
  assert.deepEqual(reservedDevices(loaderValues([onLine])), []);
  const [f] = pptdevsFindings(loaderValues([onLine]));
  assert.equal(f.code, "pptdevs-syntax");
  assert.match(f.fix ?? "", /without the byte order mark/);
  const refused = thrown(() => editLoaderConf([onLine], LOADER_CONF, reserve(dev(3, 0, 0))));
  assert.equal(refused.exitCode, 65);
  assert.match(
    refused.message,
    /cannot update pptdevs: the loader rejects this line \(a UTF-8 byte/,
  );
});

Deno.test("#15.5 typoFindings(): case, separators and one-edit typos of the variables pptkit reads", () => {
  const v = values(conf(
    'vmm_laod="YES"\nPPTDEVS="1/0/0 2/0/0"\nppt_devs="3/0/0"\nhw.vmm.amdvi.enabled=1\n' +
      'nmdm_load="YES"\nvmm_load="YES"\n',
  ));
  assert.deepEqual(typoFindings(v).map((f) => [f.line, f.message.split(" (")[1]]), [
    [1, "did you mean vmm_load?): the line does nothing"],
    [2, "did you mean pptdevs?): the line does nothing"],
    [3, "did you mean pptdevs?): the line does nothing"],
    [4, "did you mean hw.vmm.amdvi.enable?): the line does nothing"],
  ]);
  assert.equal(
    typoFindings(v)[1].fix,
    "remove the line and reserve the devices: pptkit reserve 1/0/0 2/0/0",
  );
});

Deno.test("#15.5 a comma or semicolon in pptdevs: the fix keeps every device", () => {
  for (const [text, sep] of [["1/0/0,1/0/1", "a comma"], ["1/0/0;1/0/1", "a semicolon"]]) {
    const [f] = pptdevsFindings(values(conf(`pptdevs="${text}"\n`)));
    assert.equal(f.level, "error");
    assert.match(
      f.message,
      new RegExp(`${sep} is not a separator: the kernel reserves 1/0/0 and never sees 1/0/1`),
    );
    assert.equal(f.fix, 'separate devices with single spaces: "1/0/0 1/0/1"');
  }
});
