/**
 * Issue #17, a hostile host: symbolic links planted where pptkit writes or reads, snapshots and
 * `--root` trees that lead outside themselves, FIFOs and devices, files too deep or too big,
 * names with control characters, and state directories other users can write. Each test is
 * named after its point of the issue; a race is planted at the step it would be won.
 */

import assert from "node:assert/strict";
import { PptkitError } from "../core/errors.ts";
import { JSON_LIMITS, parseJsonDoc } from "../core/jsonc.ts";
import { LiveHost } from "../core/host/live.ts";
import { writeSnapshot } from "../core/host/snapshot.ts";
import { escapeControls, escapeOutput } from "../core/text.ts";
import { isVmName, MAX_VM_NAME } from "../core/vms/types.ts";
import { copyDir, DEMO, errorLines, exists, fileTree, pptkit, scratch } from "./helpers.ts";
import { TRUSTED_HOME, trustedScratch } from "./trusted.ts";
import { assertOneLine, hook, lockNames, lockRecordText, SNAP_RUN } from "./locks.ts";

const LOADER = 'vmm_load="YES"\npptdevs="1/0/0"\n';

/** A copy of the demo snapshot in `dir/host`, with `files` (path -> text) written into it. */
async function demo(dir: string, files: Record<string, string> = {}): Promise<string> {
  const snap = `${dir}/host`;
  await copyDir(DEMO, snap);
  for (const [path, text] of Object.entries(files)) {
    const full = `${snap}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
  return snap;
}

/** A directory outside the snapshot that an attacker points a link at, with a loader.conf. */
async function victim(dir: string): Promise<string> {
  const v = `${dir}/victim`;
  await Deno.mkdir(`${v}/boot`, { recursive: true });
  await Deno.writeTextFile(`${v}/boot/loader.conf`, LOADER);
  return v;
}

// ---------------------------------------------------------------------------------------------
// 1. snapshot DIR writes only into a directory it made

Deno.test("#17.1 snapshot refuses a DIR that exists, even empty, and writes nothing there", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await Deno.mkdir(`${dir}/out`);
    const r = await pptkit(["snapshot", `${dir}/out`, "--snapshot", DEMO]);
    assertOneLine(r, 73, /^pptkit: snapshot directory .*\/out already exists$/);
    assert.deepEqual([...Deno.readDirSync(`${dir}/out`)], []);
    const made = await pptkit(["snapshot", `${dir}/new`, "--snapshot", DEMO]);
    assert.equal(made.code, 0, made.stderr);
    assert.equal((await Deno.stat(`${dir}/new`)).mode! & 0o777, 0o700, "made mode 0700");
  } finally {
    await cleanup();
  }
});

Deno.test("#17.1 snapshot: a link planted in DIR as it is written is never followed", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const target = `${dir}/profile`;
    await Deno.writeTextFile(target, "# root's .profile\n");
    const captures = new Map([["pciconf", "pciconf\n"], ["ps", "ps output\n"]] as const);
    const files = new Map([["/boot/loader.conf", LOADER]]);
    const out = `${dir}/snap`;
    // The step the old emptiness check lost: right after the directory is made.
    await assert.rejects(
      () =>
        writeSnapshot(out, captures, files, (at) => {
          if (at === out) Deno.symlinkSync(target, `${out}/ps.txt`);
        }),
      (e) =>
        e instanceof PptkitError && e.exitCode === 73 &&
        /ps.txt: something is already/.test(e.message),
    );
    assert.equal(await Deno.readTextFile(target), "# root's .profile\n");
    // A link for root/ itself, planted before the first host file.
    const v = await victim(dir);
    await assert.rejects(
      () =>
        writeSnapshot(`${dir}/snap2`, captures, files, (at) => {
          if (at === "root/boot/loader.conf") Deno.symlinkSync(v, `${dir}/snap2/root`);
        }),
      (e) => e instanceof PptkitError && /it is a symbolic link, not a directory/.test(e.message),
    );
    assert.equal(await Deno.readTextFile(`${v}/boot/loader.conf`), LOADER);
    // The whole directory swapped for a link to another one between two files.
    await assert.rejects(
      () =>
        writeSnapshot(`${dir}/snap3`, captures, files, (at) => {
          if (at !== "ps.txt") return;
          Deno.renameSync(`${dir}/snap3`, `${dir}/moved`);
          Deno.symlinkSync(v, `${dir}/snap3`);
        }),
      (e) => e instanceof PptkitError && /no longer the directory pptkit made/.test(e.message),
    );
    assert.deepEqual([...Deno.readDirSync(v)].map((e) => e.name), ["boot"]);
  } finally {
    await cleanup();
  }
});

Deno.test("#17.1 snapshot refuses a parent another user could swap DIR in", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await Deno.mkdir(`${dir}/open`);
    await Deno.chmod(`${dir}/open`, 0o777);
    await assert.rejects(
      () => writeSnapshot(`${dir}/open/snap`, new Map([["pciconf", "x\n"]]), new Map()),
      (e) => e instanceof PptkitError && /open is writable by others \(mode 0777\)/.test(e.message),
    );
    assert.equal(await exists(`${dir}/open/snap`), false);
    // The sticky bit (/tmp) keeps others from renaming what root made there.
    await Deno.chmod(`${dir}/open`, 0o1777);
    await writeSnapshot(`${dir}/open/snap`, new Map([["pciconf", "x\n"]]), new Map());
    assert.equal(await Deno.readTextFile(`${dir}/open/snap/pciconf.txt`), "x\n");
  } finally {
    await cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// 2. a snapshot or --root tree stays inside itself

Deno.test("#17.2 a snapshot whose root/ leads outside: no command reads or writes there", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    const v = await victim(dir);
    await Deno.mkdir(`${v}/usr/local/etc/pptkit/vms`, { recursive: true });
    await Deno.writeTextFile(`${v}/usr/local/etc/pptkit/vms/vm1.jsonc`, '{"passthru": ["1/0/0"]}');
    await Deno.remove(`${snap}/root`, { recursive: true });
    await Deno.symlink(v, `${snap}/root`);
    const before = await fileTree(v);
    const commands: [string[], number][] = [
      [["reserve", "3/0/0"], 65],
      [["list"], 65],
      // The run dir is checked before anything is read or written in it.
      [["hook", "prestart", "--devices", "1/0/0", "vm1"], 65],
      [["plan", "vm1"], 65],
    ];
    for (const [args, code] of commands) {
      const r = await pptkit([...args, "--snapshot", snap]);
      assertOneLine(r, code, /leads outside the snapshot \(to .*victim/);
    }
    assert.deepEqual(await fileTree(v), before, "nothing written outside");
  } finally {
    await cleanup();
  }
});

Deno.test("#17.2 a device, a FIFO or a huge file as a snapshot file is refused in one line", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    await Deno.remove(`${snap}/pciconf.txt`);
    await Deno.symlink("/dev/zero", `${snap}/pciconf.txt`);
    assertOneLine(await pptkit(["list", "--snapshot", snap]), 65, /leads outside the snapshot/);
    await Deno.remove(`${snap}/pciconf.txt`);
    const mkfifo = await new Deno.Command("mkfifo", { args: [`${snap}/pciconf.txt`] }).output();
    assert.equal(mkfifo.code, 0);
    assertOneLine(
      await pptkit(["list", "--snapshot", snap]),
      65,
      /cannot read .*pciconf.txt: it is a FIFO, not a regular file/,
    );
    await Deno.remove(`${snap}/pciconf.txt`);
    await Deno.copyFile(`${DEMO}/pciconf.txt`, `${snap}/pciconf.txt`);
    // A sparse 17 MiB loader.conf: refused by its size, without reading it.
    const big = await Deno.open(`${snap}/root/boot/loader.conf`, { write: true, truncate: true });
    await big.truncate(17 << 20);
    big.close();
    assertOneLine(
      await pptkit(["check", "--snapshot", snap]),
      65,
      /loader.conf: 17825792 bytes, more than the 16 MiB pptkit reads from one file/,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("#17.2 --root DIR: files linked outside are neither read nor written", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const root = `${dir}/jail`;
    const v = await victim(dir);
    await Deno.mkdir(`${root}/boot`, { recursive: true });
    await Deno.symlink(`${v}/boot/loader.conf`, `${root}/boot/loader.conf`);
    await Deno.symlink(v, `${root}/var`);
    const host = new LiveHost(root);
    await assert.rejects(
      () => host.readText("/boot/loader.conf"),
      (e) => e instanceof PptkitError && /leads outside the --root directory/.test(e.message),
    );
    await assert.rejects(
      () => host.writeFileAtomic("/boot/loader.conf", "x\n"),
      (e) => e instanceof PptkitError && e.exitCode === 73,
    );
    await assert.rejects(
      () => host.ensureDir("/var/run/pptkit"),
      (e) =>
        e instanceof PptkitError && /jail\/var leads outside the --root directory/.test(e.message),
    );
    await assert.rejects(
      () => host.createExclusive("/var/x.lock", "x"),
      (e) => e instanceof PptkitError && /leads outside/.test(e.message),
    );
    assert.deepEqual([...Deno.readDirSync(v)].map((e) => e.name), ["boot"], "nothing made there");
    assert.equal(await Deno.readTextFile(`${v}/boot/loader.conf`), LOADER);
  } finally {
    await cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// 8. one bad file is a finding about that file

/** JSON nested `depth` deep. */
function deep(depth: number): string {
  return '{"passthru": ' + "[".repeat(depth) + "]".repeat(depth) + "}\n";
}

/** An object with `n` copies of one key. */
function duplicates(n: number): string {
  return '{"passthru": ["3/0/0"], ' + Array(n).fill('"x": 1').join(", ") + "}\n";
}

Deno.test("#17.8 parseJsonDoc() refuses what is too deep, too big or too many, never crashes", () => {
  const ok = parseJsonDoc("[".repeat(JSON_LIMITS.depth) + "]".repeat(JSON_LIMITS.depth), "f");
  assert.ok(!("message" in ok));
  const cases: [string, RegExp][] = [
    [deep(100_000), /nested deeper than 64 levels/],
    [duplicates(200_000), /larger than 1 MiB|more than 20000 values/],
    ["[" + "1,".repeat(JSON_LIMITS.values) + "1]", /more than 20000 values/],
    ["// [[[[ in a comment\n" + '"[[[[ in a string"', /^$/],
  ];
  for (const [text, pattern] of cases) {
    const doc = parseJsonDoc(text, "f.jsonc");
    const message = "message" in doc ? doc.message : "";
    assert.match(message, pattern);
  }
});

Deno.test("#17.8 a deep or huge VM config is a finding about its file; other VMs work on", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      "root/usr/local/etc/pptkit/vms/deep.jsonc": deep(100_000),
      "root/usr/local/etc/pptkit/vms/many.jsonc": duplicates(200_000),
    });
    const list = await pptkit(["list", "--snapshot", snap]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /In use by: test-vm-1/);
    const check = await pptkit(["check", "--snapshot", snap]);
    assert.match(check.stdout, /vm-config: \/usr\/local\/etc\/pptkit\/vms\/deep.jsonc:1: .*deeper/);
    assert.match(check.stdout, /vms\/many.jsonc:1: bad JSONC: (larger|more)/);
    assert.ok(!/internal error/.test(check.stderr), check.stderr);
    const reserve = await pptkit(["reserve", "--dry-run", "3/0/0", "--snapshot", snap]);
    assert.equal(reserve.code, 0, reserve.stderr);
    const start = await hook(snap, "prestart", "--wrapper", "hoster", "test-vm-1");
    assert.equal(start.code, 0, start.stderr);
  } finally {
    await cleanup();
  }
});

Deno.test("#17.8 a deep quirks.d file is a warning about it, not a veto; pptkit.jsonc a 78", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      "root/usr/local/etc/pptkit/quirks.d/deep.jsonc": '{"rules": ' + deep(100_000) + "}",
    });
    const start = await hook(snap, "prestart", "--wrapper", "hoster", "test-vm-1");
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stderr, /warning: .*quirks.d\/deep.jsonc:1: bad JSONC: nested deeper/);
    await Deno.writeTextFile(`${snap}/root/usr/local/etc/pptkit/pptkit.jsonc`, deep(100_000));
    assertOneLine(
      await pptkit(["list", "--snapshot", snap]),
      78,
      /pptkit.jsonc:1: bad JSONC: nested deeper than 64 levels/,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("#17.8 a deep slot map stops the plan of its VM only, with its name (65)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      "root/var/db/pptkit/slots/test-vm-1.json": deep(100_000),
    });
    assertOneLine(
      await pptkit(["plan", "test-vm-1", "--snapshot", snap]),
      65,
      /slots\/test-vm-1.json:1: bad slot map: nested deeper than 64 levels/,
    );
    assert.equal((await pptkit(["list", "--snapshot", snap])).code, 0);
  } finally {
    await cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// 10. names from files and processes are printed escaped

Deno.test("#17.10 escapeControls() and escapeOutput() show what a terminal would act on", () => {
  assert.equal(escapeControls("vm1\npptkit: forged"), "vm1\\npptkit: forged");
  assert.equal(
    escapeControls("a\x1b]0;t\x07b\x7f\u0085\u202e"),
    "a\\x1b]0;t\\x07b\\u007f\\u0085\\u202e",
  );
  // The net before stdout keeps lines, tabs and pptkit's own colours, and stays valid JSON.
  assert.equal(
    escapeOutput("a\tb\n\x1b[31mred\x1b[39m\x1b[2J"),
    "a\tb\n\x1b[31mred\x1b[39m\\x1b[2J",
  );
  assert.deepEqual(JSON.parse(escapeOutput(JSON.stringify({ v: "\u0085\u202e" }))), {
    v: "\u0085\u202e",
  });
});

Deno.test("#17.10 a newline in a VM name splits neither the error nor the --log line", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    const log = `${dir}/hook.log`;
    const r = await hook(snap, "prestart", "--log", log, "--devices", "1/0/0", "vm1\npptkit: ok");
    assertOneLine(r, 64, /^pptkit: bad VM name "vm1\\npptkit: ok"$/);
    const lines = (await Deno.readTextFile(log)).trimEnd().split("\n");
    assert.equal(lines.length, 1, lines.join("|"));
    assert.match(lines[0], /vm1\\npptkit: ok/);
  } finally {
    await cleanup();
  }
});

Deno.test("a --log FILE planted as a symlink is never followed, and said once (through the launcher)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    await Deno.writeTextFile(`${dir}/victim`, "root's file\n");
    await Deno.symlink(`${dir}/victim`, `${dir}/hook.log`);
    const r = await hook(snap, "prestart", "--log", `${dir}/hook.log`, "--devices", "1/0/0", "vm1");
    // A log that cannot be written is a warning, never a veto.
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await Deno.readTextFile(`${dir}/victim`), "root's file\n");
    const said = r.stderr.split("\n").filter((l) => l.includes("hook.log"));
    assert.deepEqual(said, [
      `pptkit: warning: cannot write ${dir}/hook.log: it is a symbolic link, not a regular file`,
    ]);
  } finally {
    await cleanup();
  }
});

Deno.test("#17.10 escape sequences in a Hoster directory never reach the terminal", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const evil = "evil\x1b]0;pwned\x07\x1b[2J";
    const snap = await demo(dir, {
      [`root/zroot/vm-encrypted/${evil}/vm_config.json`]: '{"passthru": ["3/0/0"]}\n',
    });
    for (const args of [["list", "--all"], ["check"], ["show", "3/0/0"], ["list", "--json"]]) {
      const r = await pptkit([...args, "--snapshot", snap]);
      assert.ok(!(r.stdout + r.stderr).includes("\x1b"), `${args.join(" ")}: raw ESC printed`);
      assert.ok(!(r.stdout + r.stderr).includes("\x07"), `${args.join(" ")}: raw BEL printed`);
    }
    const json = await pptkit(["list", "--all", "--json", "--snapshot", snap]);
    assert.doesNotThrow(() => JSON.parse(json.stdout));
  } finally {
    await cleanup();
  }
});

Deno.test("#17.10 a 5 MB VM name in a lock file is no record, not a 5 MB line", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir, {
      [`${SNAP_RUN}/0:1:0:0.lock`]: lockRecordText("x".repeat(5 << 20), Date.now()),
    });
    for (const args of [["list"], ["show", "1/0/0"]]) {
      const r = await pptkit([...args, "--snapshot", snap]);
      const longest = Math.max(...(r.stdout + r.stderr).split("\n").map((l) => l.length));
      assert.ok(longest < 1000, `${args.join(" ")}: a ${longest}-character line`);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("#17.10 VM names fit every file pptkit builds from them: 246 characters, no more", async () => {
  assert.equal(isVmName("v".repeat(MAX_VM_NAME)), true);
  assert.equal(isVmName("v".repeat(MAX_VM_NAME + 1)), false);
  assert.equal(isVmName("é".repeat(124)), false, "248 bytes in UTF-8");
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    for (const n of [247, 251, 255]) {
      const r = await hook(snap, "prestart", "--devices", "1/0/0", "v".repeat(n));
      assertOneLine(r, 64, /bad VM name .*\(\d+ characters\)/);
    }
    assert.deepEqual(lockNames(snap), []);
    const name = "v".repeat(MAX_VM_NAME);
    await Deno.writeTextFile(
      `${snap}/root/usr/local/etc/pptkit/vms/${name}.jsonc`,
      '{"passthru": ["1/0/0", "1/0/1"]}\n',
    ).catch(async () => {
      await Deno.mkdir(`${snap}/root/usr/local/etc/pptkit/vms`, { recursive: true });
      await Deno.writeTextFile(
        `${snap}/root/usr/local/etc/pptkit/vms/${name}.jsonc`,
        '{"passthru": ["1/0/0", "1/0/1"]}\n',
      );
    });
    const plan = await pptkit(["plan", name, "--snapshot", snap]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.ok(await exists(`${snap}/root/var/db/pptkit/slots/${name}.json`));
  } finally {
    await cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// 11. state and run directories

Deno.test("#17.11 a run dir others can write is refused with the fix; prestart takes no lock", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const snap = await demo(dir);
    await Deno.mkdir(`${snap}/${SNAP_RUN}`, { recursive: true });
    await Deno.chmod(`${snap}/${SNAP_RUN}`, 0o777);
    const r = await hook(snap, "prestart", "--devices", "1/0/0", "vm1");
    assertOneLine(
      r,
      77,
      /^pptkit: refusing \/var\/run\/pptkit: it is writable by others \(mode 0777\)$/,
    );
    assert.match(errorLines(r.stderr)[1], /^hint: chmod o-w \/var\/run\/pptkit /);
    assert.deepEqual(lockNames(snap), []);
    assertOneLine(await pptkit(["list", "--snapshot", snap]), 77, /refusing \/var\/run\/pptkit/);
    // Made by pptkit, it is 0755 and the user's.
    await Deno.remove(`${snap}/${SNAP_RUN}`);
    assert.equal((await hook(snap, "prestart", "--devices", "1/0/0", "vm1")).code, 0);
    const made = await Deno.stat(`${snap}/${SNAP_RUN}`);
    assert.equal(made.mode! & 0o022, 0);
    assert.equal(made.uid, Deno.uid());
  } finally {
    await cleanup();
  }
});

Deno.test("#17.11 a slot map planted in a slots directory others can write is not used", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const slots = "root/var/db/pptkit/slots";
    const planted = JSON.stringify({
      schema: "pptkit.slots/1",
      vm: "test-vm-1",
      devices: {
        "0:1:0:0": {
          slot: 29,
          function: 0,
          vendorId: null,
          deviceId: null,
          subvendorId: null,
          subdeviceId: null,
        },
      },
    });
    const snap = await demo(dir, { [`${slots}/test-vm-1.json`]: planted });
    await Deno.chmod(`${snap}/${slots}`, 0o777);
    const r = await pptkit(["plan", "test-vm-1", "--snapshot", snap]);
    assertOneLine(r, 77, /refusing \/var\/db\/pptkit\/slots: it is writable by others/);
    assert.ok(!r.stdout.includes("29:0"));
    await Deno.chmod(`${snap}/${slots}`, 0o755);
    await Deno.chmod(`${snap}/root/var/db/pptkit`, 0o757);
    assertOneLine(
      await pptkit(["plan", "test-vm-1", "--snapshot", snap]),
      77,
      /refusing \/var\/db\/pptkit: it is writable by others \(mode 0757\)/,
    );
  } finally {
    await cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// 6. community plugins run contained (through the launcher, on a live host under --root)

const TRUSTED = TRUSTED_HOME;

/** A live host under `--root`, with commands stubbed from the demo host and `plugins` installed. */
async function liveRoot(dir: string, plugins: Record<string, string>) {
  const [root, remove] = await trustedScratch();
  const bin = `${dir}/bin`;
  const devctl = `${dir}/devctl.log`;
  await Deno.mkdir(bin, { recursive: true });
  const stubs: Record<string, string> = { ps: "echo '  PID COMMAND'", cbsd: "exit 1" };
  for (const name of ["pciconf", "acpidump", "kenv", "sysctl", "kldstat", "uname"]) {
    stubs[name] = `exec cat '${DEMO}/${name}.txt'`;
  }
  stubs.devctl = `echo "devctl $*" >>'${devctl}'`;
  for (const [name, body] of Object.entries(stubs)) {
    await Deno.writeTextFile(`${bin}/${name}`, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  const etc = `${root}/usr/local/etc/pptkit`;
  await Deno.mkdir(`${etc}/plugins`, { recursive: true, mode: 0o755 });
  await Deno.mkdir(`${etc}/vms`, { mode: 0o755 });
  await Deno.mkdir(`${root}/boot`, { mode: 0o755 });
  await Deno.writeTextFile(`${root}/boot/loader.conf`, LOADER);
  await Deno.writeTextFile(`${etc}/vms/vm1.jsonc`, '{"passthru": ["1/0/0", "1/0/1"]}\n');
  for (const [name, text] of Object.entries(plugins)) {
    await Deno.writeTextFile(`${etc}/plugins/${name}`, text, { mode: 0o644 });
  }
  const run = (...args: string[]) =>
    pptkit([...args, "--root", root], { env: { PATH: `${bin}:/usr/bin:/bin`, NO_COLOR: "1" } });
  const locks = () => {
    try {
      return [...Deno.readDirSync(`${root}/var/run/pptkit`)].filter((e) =>
        e.name.endsWith(".lock")
      );
    } catch {
      return [];
    }
  };
  return { root, run, locks, devctl, remove };
}

const NVIDIA = `matches: (d) => d.vendorId === "10de"`;

Deno.test({
  name: "#17.6 a plugin that never answers, never loads or exits is stopped and named: never a go",
  ignore: TRUSTED === null,
  async fn() {
    const [dir, cleanup] = await scratch();
    const hosts = await Promise.all([
      liveRoot(`${dir}/a`, {
        "loop.ts":
          `export default { name: "loop", version: "1", ${NVIDIA}, prestart() { for (;;) {} } };`,
      }),
      liveRoot(`${dir}/b`, {
        "exit.js":
          `export default { name: "exit", version: "1", ${NVIDIA}, prestart() { Deno.exit(0); } };`,
      }),
      liveRoot(`${dir}/c`, { "wait.js": "await new Promise(() => {});\nexport default {};\n" }),
    ]);
    try {
      const [loop, exit, wait] = await Promise.all(
        hosts.map((h) => h.run("hook", "prestart", "--wrapper", "native", "vm1")),
      );
      const dirOf = "/usr/local/etc/pptkit/plugins";
      assertOneLine(
        loop,
        1,
        new RegExp(
          `^pptkit: VM vm1 cannot start: plugin loop \\(${dirOf}/loop.ts\\) prestart failed: ` +
            "did not answer within 2 s \\(pptkit stopped using it\\)$",
        ),
      );
      assertOneLine(exit, 1, /plugin exit \(.*exit.js\) prestart failed: Deno is not defined$/);
      assert.deepEqual(hosts[0].locks(), []);
      assert.deepEqual(hosts[1].locks(), []);
      // A plugin that never loads is a finding about its file, not a veto of the VM.
      assert.equal(wait.code, 0, wait.stderr);
      assert.match(
        wait.stderr,
        /^pptkit: warning: VM vm1: cannot load plugin .*wait.js: did not load within 2 s/m,
      );
      assert.equal(hosts[2].locks().length, 2);
    } finally {
      for (const h of hosts) await h.remove();
      await cleanup();
    }
  },
});

Deno.test({
  name: "#17.6 a plugin is stopped at its memory limit, and can neither run devctl nor write files",
  ignore: TRUSTED === null,
  async fn() {
    const [dir, cleanup] = await scratch();
    const tries = [
      `() => new Deno.Command("devctl", { args: ["set", "driver", "-f", "pci0:3:0:1", "ppt"] }).outputSync()`,
      `() => Deno.writeTextFileSync("/boot/loader.conf", "")`,
      `() => fetch("file:///boot/loader.conf")`,
      `() => (function () {}).constructor("return Deno")()`,
      `() => globalThis.process.exit(0)`,
      `() => new Worker("data:text/javascript,1")`,
      `() => setTimeout("Deno.exit(0)")`,
    ];
    const hosts = await Promise.all([
      liveRoot(`${dir}/a`, {
        "bomb.js": `export default { name: "bomb", version: "1", ${NVIDIA}, prestart() {
          const a = []; for (;;) a.push(new Array(1 << 20).fill(1.5)); } };`,
      }),
      liveRoot(`${dir}/b`, {
        "evil.js": `const tries = [${tries.join(", ")}];
          export default { name: "evil", version: "1", ${NVIDIA}, prestart() {
            const out = tries.map((t) => { try { t(); return "done"; } catch (e) { return e.message; } });
            return [{ level: "warn", code: "plugin", message: "evil: " + out.join(" | ") }];
          } };`,
        "fs.js": `import { writeFileSync } from "node:fs";\nexport default {};\n`,
      }),
    ]);
    try {
      const [bomb, evil] = await Promise.all(
        hosts.map((h) => h.run("hook", "prestart", "--wrapper", "native", "vm1")),
      );
      assertOneLine(bomb, 1, /plugin bomb .* prestart failed: used more than 256 MiB/);
      assert.equal(evil.code, 0, evil.stderr);
      const said = evil.stderr.split("\n").find((l) => l.includes("evil: "))!;
      assert.ok(!said.includes("done"), said);
      assert.match(said, /Deno is not defined .*fetch is not defined/);
      assert.match(said, /may not make code from strings/);
      assert.match(said, /setTimeout takes a function/);
      assert.match(evil.stderr, /cannot load plugin .*fs.js: it imports/);
      assert.equal(await exists(hosts[1].devctl), false, "devctl never ran");
      assert.equal(await Deno.readTextFile(`${hosts[1].root}/boot/loader.conf`), LOADER);
    } finally {
      for (const h of hosts) await h.remove();
      await cleanup();
    }
  },
});
