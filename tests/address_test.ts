import assert from "node:assert/strict";
import {
  addressKey,
  compareAddress,
  formatBsf,
  formatRawSelector,
  formatSelector,
  parseAddress,
  parseBsf,
  splitDeviceName,
  tryParseAddress,
} from "../core/address.ts";
import { ExitCode, PptkitError } from "../core/errors.ts";

function rejects(text: string, context: "any" | "bsf" = "any"): PptkitError {
  try {
    parseAddress(text, context);
  } catch (e) {
    assert.ok(e instanceof PptkitError, `expected PptkitError for ${text}`);
    assert.equal(e.exitCode, ExitCode.DataError);
    assert.ok(e.message.includes(`"${text}"`), `message quotes the token: ${e.message}`);
    return e;
  }
  assert.fail(`parseAddress(${JSON.stringify(text)}) should have thrown`);
}

Deno.test("parseAddress() reads the pciconf -l selector with its device name", () => {
  const t = parseAddress("vgapci0@pci0:0:2:0:");
  assert.equal(t.spelling, "pciconf");
  assert.equal(t.name, "vgapci0");
  assert.deepEqual(t.address, { domain: 0, bus: 0, slot: 2, function: 0 });
  assert.equal(formatBsf(t.address!), "0/2/0");
});

Deno.test("parseAddress() keeps digits in driver names (mlx5_core0)", () => {
  const t = parseAddress("mlx5_core1@pci0:1:0:1:");
  assert.equal(t.name, "mlx5_core1");
  assert.deepEqual(splitDeviceName("mlx5_core1"), { driver: "mlx5_core", unit: 1 });
  assert.deepEqual(splitDeviceName("ppt12"), { driver: "ppt", unit: 12 });
  assert.equal(splitDeviceName("ppt"), null);
  assert.equal(splitDeviceName("0ppt"), null);
});

Deno.test("parseAddress() reads selectors with and without domain and trailing colon", () => {
  assert.deepEqual(parseAddress("pci0:3:0:1").address, { domain: 0, bus: 3, slot: 0, function: 1 });
  assert.deepEqual(parseAddress("pci7:2:0:0:").address, {
    domain: 7,
    bus: 2,
    slot: 0,
    function: 0,
  });
  // pciconf(8): pcibus:device:function names domain 0.
  assert.deepEqual(parseAddress("pci3:0:1").address, { domain: 0, bus: 3, slot: 0, function: 1 });
  assert.equal(parseAddress("pci0:3:0:1").spelling, "selector");
});

Deno.test("parseAddress() reads B/S/F, the split and the pinned forms", () => {
  assert.equal(parseAddress("1/0/0").spelling, "bsf");
  const split = parseAddress("-1/0/1");
  assert.equal(split.spelling, "split");
  assert.equal(split.split, true);
  assert.deepEqual(split.address, { domain: 0, bus: 1, slot: 0, function: 1 });
  const pinned = parseAddress("1/0/0=6:0");
  assert.equal(pinned.spelling, "pinned");
  assert.deepEqual(pinned.pin, { slot: 6, function: 0 });
});

Deno.test("parseAddress() accepts SR-IOV / ARI functions above 7 on the host side", () => {
  assert.deepEqual(parseAddress("6/0/130").address, { domain: 0, bus: 6, slot: 0, function: 130 });
  assert.equal(parseAddress("ppt0@pci0:6:0:130:").address?.function, 130);
});

Deno.test("parseAddress() reads a device name such as ppt0", () => {
  const t = parseAddress("ppt0");
  assert.equal(t.spelling, "name");
  assert.equal(t.address, null);
  assert.equal(t.name, "ppt0");
});

Deno.test("parseAddress() rejects bad tokens naming them and the accepted spelling", () => {
  const e = rejects("2/0//0", "bsf");
  assert.equal(
    e.message,
    'bad PCI address "2/0//0": expected B/S/F like 2/0/0 (bus 0-255, slot 0-31, function 0-255)',
  );
  for (
    const bad of ["", "1/0", "1/0/0/0", "1/0/0x", "a/b/c", "1/0/0=", "1/0/0=6", "--1/0/0", "-ppt0"]
  ) {
    if (bad === "") assert.throws(() => parseAddress(bad), PptkitError);
    else rejects(bad);
  }
});

Deno.test("parseAddress() checks ranges: bus 0-255, slot 0-31, function 0-255", () => {
  assert.match(rejects("256/0/0").message, /bus 256 is out of range 0-255/);
  assert.match(rejects("1/32/0").message, /slot 32 is out of range 0-31/);
  assert.match(rejects("1/0/256").message, /function 256 is out of range 0-255/);
  assert.match(rejects("1/0/0=32:0").message, /guest slot 32 is out of range/);
  assert.match(rejects("1/0/0=6:8").message, /guest function 8 is out of range 0-7/);
  assert.match(rejects("pci0:300:0:0").message, /bus 300/);
});

Deno.test("parseAddress() hints 'did you mean 58/0/0?' for a selector where B/S/F is needed", () => {
  const e = rejects("pci0:58:0:0", "bsf");
  assert.match(e.hint ?? "", /did you mean 58\/0\/0\?/);
  assert.match(rejects("ppt0@pci0:1:0:0:", "bsf").hint ?? "", /did you mean 1\/0\/0\?/);
});

Deno.test("parseAddress() hints 'use / not :' for 129:0:0", () => {
  const e = rejects("129:0:0");
  assert.match(e.hint ?? "", /use \/ not :/);
  assert.match(e.hint ?? "", /129\/0\/0/);
});

Deno.test("parseAddress() explains Linux-style and hexadecimal addresses", () => {
  assert.match(rejects("01:00.0").hint ?? "", /hexadecimal/);
  assert.match(rejects("0x10/0/0").hint ?? "", /decimal/);
});

Deno.test("parseAddress() refuses split together with a pin, and overlong tokens", () => {
  rejects("-1/0/0=6:0");
  assert.throws(() => parseAddress("1".repeat(200)), /too long/);
});

Deno.test("parseBsf() takes only plain B/S/F", () => {
  assert.deepEqual(parseBsf("4/0/2"), { domain: 0, bus: 4, slot: 0, function: 2 });
  assert.throws(() => parseBsf("-4/0/2"), PptkitError);
  assert.throws(() => parseBsf("4/0/2=6:0"), PptkitError);
  assert.throws(
    () => parseBsf("pci0:4:0:2"),
    (e) => e instanceof PptkitError && /did you mean 4\/0\/2/.test(e.hint ?? ""),
  );
});

Deno.test("tryParseAddress() returns undefined instead of throwing", () => {
  assert.equal(tryParseAddress("nonsense/"), undefined);
  assert.equal(tryParseAddress("1/0/0")?.spelling, "bsf");
});

Deno.test("format functions give every spelling and the canonical key", () => {
  const a = { domain: 0, bus: 1, slot: 0, function: 1 };
  assert.equal(formatSelector(a), "pci0:1:0:1");
  assert.equal(formatRawSelector(a), "pci0:1:0:1:");
  assert.equal(formatBsf(a), "1/0/1");
  assert.equal(addressKey(a), "0:1:0:1");
  assert.equal(formatBsf({ ...a, domain: 7 }), null, "domain 7 has no B/S/F");
  assert.ok(compareAddress(a, { ...a, function: 2 }) < 0);
  assert.ok(compareAddress({ ...a, domain: 1 }, { ...a, bus: 200 }) > 0);
});

Deno.test("#15.5 parseAddress() suggests no device of domain 0 for a selector of domain 2", () => {
  for (const text of ["pci2:1:0:0", "mlx5_core0@pci2:1:0:0:", "2:1:0:0"]) {
    const hint = rejects(text, "bsf").hint ?? "";
    assert.doesNotMatch(hint, /did you mean/, text);
    assert.match(hint, /PCI domain 2: bhyve and pptdevs name devices of domain 0 only/, text);
  }
  // Domain 0 spelled out is the same device: its B/S/F is suggested.
  assert.match(rejects("pci0:1:0:0", "bsf").hint ?? "", /did you mean 1\/0\/0\?/);
  assert.match(rejects("0:1:0:0", "bsf").hint ?? "", /did you mean 1\/0\/0\?/);
});
