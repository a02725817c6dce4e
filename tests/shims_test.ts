/**
 * The shims in hooks/ (POSIX sh): their headers, shellcheck, what they pass to a stub `pptkit`
 * that records how it was called, and bhyve-run with the real pptkit on a snapshot. How each
 * wrapper calls its shim, with the real pptkit: tests/wrappers_test.ts.
 */
import assert from "node:assert/strict";
import { DEMO, LAUNCHER, ROOT, scratch, snapshotWith } from "./helpers.ts";

const HOOKS = `${ROOT}hooks`;
/** The shims a wrapper calls, each citing the wrapper's source and commit. */
const WRAPPER_SHIMS = [
  "vm-bhyve-prestart",
  "cbsd-bhyverun",
  "cbsd-master_prestart",
  "cbsd-master_poststop",
  "bmd-hook",
  "libvirt-bhyve",
];
const SHIMS = [...WRAPPER_SHIMS, "bhyve-run"];

/**
 * Stub pptkit: logs its arguments; `hook prestart` exits $STUB_PRESTART_RC after printing
 * $STUB_PRESTART_ERR on stderr; `plan` prints $STUB_PLAN. Stub bhyve: logs, exits $STUB_BHYVE_RC.
 */
async function stubBin(dir: string): Promise<string> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  const scripts: Record<string, string> = {
    pptkit: `echo "pptkit $*" >> "$STUB_LOG"
case "$1 $2" in
"hook prestart")
\t[ -z "\${STUB_PRESTART_ERR:-}" ] || echo "$STUB_PRESTART_ERR" >&2
\texit "\${STUB_PRESTART_RC:-0}" ;;
"plan "*) echo "\${STUB_PLAN:-}" ;;
esac
exit 0`,
    bhyve: `echo "bhyve $*" >> "$STUB_LOG"\nexit "\${STUB_BHYVE_RC:-0}"`,
    // Never the host's syslog.
    logger: `echo "logger $*" >> "$STUB_LOG.logger"`,
  };
  for (const [name, body] of Object.entries(scripts)) {
    await Deno.writeTextFile(`${bin}/${name}`, `#!/bin/sh\n${body}\n`);
    await Deno.chmod(`${bin}/${name}`, 0o755);
  }
  return bin;
}

interface ShimRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The stub calls, one line each. */
  readonly calls: string[];
}

async function shim(
  dir: string,
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ShimRun> {
  const bin = await stubBin(dir);
  const log = `${dir}/calls.log`;
  await Deno.writeTextFile(log, "");
  const out = await new Deno.Command(`${HOOKS}/${name}`, {
    args,
    env: { PATH: `${bin}:/usr/bin:/bin`, STUB_LOG: log, ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const calls = (await Deno.readTextFile(log)).split("\n").filter((l) => l !== "");
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), calls };
}

Deno.test("every shim is executable POSIX sh with an install header", async () => {
  const installed = [...Deno.readDirSync(HOOKS)].map((e) => e.name).sort();
  assert.deepEqual(installed, [...SHIMS].sort(), "every file of hooks/ is tested here");
  for (const name of SHIMS) {
    const info = await Deno.stat(`${HOOKS}/${name}`);
    assert.ok((info.mode ?? 0) & 0o111, `${name} is executable`);
    const text = await Deno.readTextFile(`${HOOKS}/${name}`);
    assert.ok(text.startsWith("#!/bin/sh\n"), name);
    assert.match(text, /\n# Install: /, `${name} says how to install it`);
  }
  for (const name of WRAPPER_SHIMS) {
    const text = await Deno.readTextFile(`${HOOKS}/${name}`);
    const header = text.slice(0, text.indexOf("\nset -u"));
    assert.match(header, /\n# What \S+ passes and honours \(/, `${name} states its wrapper's side`);
    assert.match(header, /\b[0-9a-f]{7}\b/, `${name} names the wrapper's commit`);
    assert.match(header, /\b[a-z_/-]+\.(c|subr|sh)\b|lib\/vm-run|sudoexec\/bstart/, name);
    assert.match(header, /\n# What this shim does: /, `${name} says what it does`);
    assert.match(header, /\n# Exit status: /, name);
  }
});

const shellcheck = (() => {
  try {
    return new Deno.Command("shellcheck", { args: ["--version"], stdout: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "every shim is shellcheck-clean as POSIX sh",
  ignore: !shellcheck,
  async fn() {
    const out = await new Deno.Command("shellcheck", {
      args: ["-s", "sh", ...SHIMS.map((s) => `${HOOKS}/${s}`)],
      stdout: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stdout));
  },
});

Deno.test("the wrapper shims pass the VM, its devices and a holder to pptkit hook", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const conf = `${dir}/jails-system/win10/bhyve.conf`;
    const cases: [string, string[], Record<string, string>, string][] = [
      [
        "cbsd-bhyverun",
        ["-c", conf, "-e", "1", "-l", `${dir}/bstart.log`],
        { PPTKIT_CBSD_BHYVERUN: "/bin/true" },
        "pptkit hook prestart --wrapper cbsd --holder PID -- win10",
      ],
      [
        "cbsd-master_poststop",
        [],
        { jname: "win10", PPTKIT_HOOK_ARGS: "--rebind --log /var/log/pptkit.log" },
        "pptkit hook poststop --wrapper cbsd --rebind --log /var/log/pptkit.log -- win10",
      ],
      [
        "bmd-hook",
        ["vm1", "PRESTART"],
        { VM_NPASSTHRUES: "2", VM_PASSTHRUES1: "1/0/0", VM_PASSTHRUES2: "ppt1" },
        "pptkit hook prestart --holder PID --devices 1/0/0,ppt1 -- vm1",
      ],
      ["bmd-hook", ["vm1", "PRESTART"], {}, "pptkit hook prestart --holder PID -- vm1"],
      ["bmd-hook", ["vm1", "POSTSTOP"], {}, "pptkit hook poststop -- vm1"],
      ["libvirt-bhyve", ["vm1", "release", "end", "-"], {}, "pptkit hook poststop -- vm1"],
      [
        "libvirt-bhyve",
        ["vm1", "prepare", "begin", "-"],
        { PPTKIT_LIBVIRT_DIR: `${dir}/none` },
        "pptkit hook prestart --holder PID -- vm1",
      ],
    ];
    for (const [name, args, env, call] of cases) {
      const r = await shim(dir, name, args, env);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.deepEqual(r.calls.map((c) => c.replace(/--holder \d+/, "--holder PID")), [call], name);
    }
    // States and operations that are not theirs: nothing happens.
    for (
      const [name, args] of [
        ["bmd-hook", ["vm1", "RUN"]],
        ["libvirt-bhyve", ["vm1", "started", "begin", "-"]],
        ["libvirt-bhyve", ["vm1", "stopped", "end", "-"]],
      ] as const
    ) {
      const r = await shim(dir, name, [...args]);
      assert.equal(r.code, 0, name);
      assert.deepEqual(r.calls, [], `${name} ${args.join(" ")}`);
    }
    // bmd: a VM without devices has nothing to check.
    const none = await shim(dir, "bmd-hook", ["vm1", "PRESTART"], { VM_NPASSTHRUES: "0" });
    assert.equal(none.code, 0);
    assert.deepEqual(none.calls, []);
  } finally {
    await cleanup();
  }
});

Deno.test("the wrapper shims refuse a bad call with 64, running nothing", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const cases: [string, string[], Record<string, string>, RegExp][] = [
      ["vm-bhyve-prestart", [], {}, /usage: vm-bhyve-prestart NAME/],
      ["cbsd-bhyverun", ["-e", "1"], {}, /usage: cbsd-bhyverun -c /],
      ["cbsd-bhyverun", ["-c", "bhyve.conf"], {}, /cannot tell the VM from -c bhyve\.conf/],
      ["cbsd-master_prestart", [], {}, /jname is not set/],
      ["cbsd-master_poststop", [], {}, /jname is not set/],
      ["bmd-hook", [], {}, /usage: bmd-hook VM PRESTART\|POSTSTOP/],
      ["bmd-hook", ["vm1", "PRESTART"], { VM_NPASSTHRUES: "2x" }, /bad VM_NPASSTHRUES "2x"/],
      ["libvirt-bhyve", ["vm1"], {}, /usage: libvirt-bhyve NAME/],
    ];
    for (const [name, args, env, pattern] of cases) {
      const r = await shim(dir, name, args, env);
      assert.equal(r.code, 64, `${name} ${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern, name);
      assert.deepEqual(r.calls, [], `${name} ran nothing`);
    }
    // A host address in the domain XML that is not a number is never evaluated by the shell.
    await Deno.writeTextFile(
      `${dir}/vm1.xml`,
      "<domain type='bhyve'>\n<hostdev mode='subsystem' type='pci'>\n<source>\n" +
        `<address domain='0x0000' bus='x[$(touch ${dir}/owned)]' slot='0x00' function='0x0'/>\n` +
        "</source>\n</hostdev>\n</domain>\n",
    );
    const r = await shim(dir, "libvirt-bhyve", ["vm1", "prepare", "begin", "-"], {
      PPTKIT_LIBVIRT_DIR: dir,
    });
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, /vm1\.xml has a host address that is not a number/);
    assert.deepEqual(r.calls, []);
    await assert.rejects(Deno.stat(`${dir}/owned`), Deno.errors.NotFound);
  } finally {
    await cleanup();
  }
});

Deno.test("bhyve-run: plan, prestart, bhyve with the plan before the VM name, poststop, bhyve's status", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const r = await shim(dir, "bhyve-run", ["-c", "2", "-m", "4G", "-s", "0,hostbridge", "vm1"], {
      STUB_PLAN: "-S -s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1",
      STUB_BHYVE_RC: "3",
    });
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(r.calls, [
      // The plan is given the command line, so it leaves the slots of its -s free.
      "pptkit plan vm1 --format args -- -c 2 -m 4G -s 0,hostbridge",
      "pptkit hook prestart -- vm1",
      "bhyve -c 2 -m 4G -s 0,hostbridge -S -s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1 vm1",
      "pptkit hook poststop -- vm1",
    ]);
  } finally {
    await cleanup();
  }
});

Deno.test("bhyve-run with PPTKIT_DEVICES builds simple -S -s arguments itself", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const r = await shim(dir, "bhyve-run", ["-H", "vm1"], {
      PPTKIT_DEVICES: "1/0/0,1/0/1 3/0/0",
      PPTKIT_FIRST_SLOT: "7",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.calls, [
      "pptkit hook prestart --devices 1/0/0,1/0/1,3/0/0 -- vm1",
      "bhyve -H -S -s 7:0,passthru,1/0/0 -s 7:1,passthru,1/0/1 -s 8:0,passthru,3/0/0 vm1",
      "pptkit hook poststop -- vm1",
    ]);
    // The -s slots of the command line stay free: 6 and 7 are taken, 0:8:1 leaves 8 taken too.
    const around = await shim(
      dir,
      "bhyve-run",
      [
        "-s",
        "6,virtio-blk,/vm/a.img",
        "-s7:0,virtio-net,tap0",
        "-s",
        "0:8:1,hda",
        "-s",
        "1:9:0,x",
        "vm1",
      ],
      { PPTKIT_DEVICES: "1/0/0,1/0/1,3/0/0" },
    );
    assert.equal(around.code, 0, around.stderr);
    assert.equal(
      around.calls[1],
      "bhyve -s 6,virtio-blk,/vm/a.img -s7:0,virtio-net,tap0 -s 0:8:1,hda -s 1:9:0,x -S " +
        "-s 9:0,passthru,1/0/0 -s 9:1,passthru,1/0/1 -s 10:0,passthru,3/0/0 vm1",
    );
    const bad = await shim(dir, "bhyve-run", ["vm1"], { PPTKIT_DEVICES: "pci0:1:0:0" });
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /bad device "pci0:1:0:0" in PPTKIT_DEVICES/);
    assert.deepEqual(bad.calls, []);
  } finally {
    await cleanup();
  }
});

Deno.test("bhyve-run stops on a veto: no bhyve, no poststop, pptkit's status", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const r = await shim(dir, "bhyve-run", ["-H", "vm1"], {
      PPTKIT_DEVICES: "1/0/0",
      STUB_PRESTART_RC: "75",
      STUB_PRESTART_ERR: "pptkit: VM vm1 cannot start: 1/0/0 is held by running VM vm2",
    });
    assert.equal(r.code, 75);
    assert.equal(r.stderr, "pptkit: VM vm1 cannot start: 1/0/0 is held by running VM vm2\n");
    assert.deepEqual(r.calls, ["pptkit hook prestart --devices 1/0/0 -- vm1"]);
    const usage = await shim(dir, "bhyve-run", []);
    assert.equal(usage.code, 64);
    const noName = await shim(dir, "bhyve-run", ["-H"]);
    assert.equal(noName.code, 64);
    assert.match(noName.stderr, /the last argument must be the VM name/);
  } finally {
    await cleanup();
  }
});

for (
  const [how, env] of [
    ["the VM's config and pptkit plan", {}],
    ["PPTKIT_DEVICES", { PPTKIT_DEVICES: "1/0/0,1/0/1" }],
  ] as const
) {
  Deno.test(`bhyve-run with the real pptkit (${how}): locks while bhyve runs, none after`, async () => {
    const [dir, cleanup] = await scratch();
    try {
      const snap = `${dir}/demo`;
      await Deno.mkdir(`${snap}/root/boot`, { recursive: true });
      for (
        const name of ["pciconf.txt", "acpidump.txt", "kldstat.txt", "sysctl.txt", "uname.txt"]
      ) {
        await Deno.copyFile(`${DEMO}/${name}`, `${snap}/${name}`);
      }
      await Deno.copyFile(`${DEMO}/root/boot/loader.conf`, `${snap}/root/boot/loader.conf`);
      await snapshotWith(snap, {
        "ps.txt": "  PID COMMAND\n",
        "vmm.txt": "",
        "root/usr/local/etc/pptkit/vms/vm1.jsonc": '{ "passthru": ["1/0/0", "1/0/1"] }\n',
      });
      const bin = `${dir}/bin`;
      await Deno.mkdir(bin);
      // bhyve copies the run dir's lock files aside while it "runs".
      await Deno.writeTextFile(
        `${bin}/bhyve`,
        `#!/bin/sh\necho "$*" > ${dir}/bhyve.args\nls ${snap}/root/var/run/pptkit > ${dir}/locks.during\nexit 1\n`,
      );
      await Deno.chmod(`${bin}/bhyve`, 0o755);
      const out = await new Deno.Command(`${HOOKS}/bhyve-run`, {
        args: ["-H", "-s", "0,hostbridge", "-s", "6,virtio-blk,/vm/vm1.img", "vm1"],
        env: {
          PATH: `${bin}:${Deno.env.get("PATH")}`,
          PPTKIT: LAUNCHER,
          PPTKIT_DENO: Deno.execPath(),
          PPTKIT_ARGS: `--snapshot ${snap}`,
          ...env,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 1, new TextDecoder().decode(out.stderr));
      assert.equal(
        await Deno.readTextFile(`${dir}/bhyve.args`),
        // Slot 6 is the disk's: the devices go to 7, with the plan and with PPTKIT_DEVICES.
        "-H -s 0,hostbridge -s 6,virtio-blk,/vm/vm1.img -S -s 7:0,passthru,1/0/0 " +
          "-s 7:1,passthru,1/0/1 vm1\n",
      );
      assert.equal(await Deno.readTextFile(`${dir}/locks.during`), "0:1:0:0.lock\n0:1:0:1.lock\n");
      const after = [...Deno.readDirSync(`${snap}/root/var/run/pptkit`)].map((e) => e.name);
      assert.deepEqual(after.filter((n) => n.endsWith(".lock")), [], "poststop released them");
    } finally {
      await cleanup();
    }
  });
}

Deno.test("README's Hooks table and the man page's HOOKS name every shim, and which can stop a start", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const section = readme.slice(readme.indexOf("\n## Hooks\n"), readme.indexOf("\n## Snapshots\n"));
  const rows = section.split("\n").filter((l) => l.startsWith("| "));
  const man = await Deno.readTextFile(`${ROOT}docs/pptkit.8`);
  const hooks = man.slice(man.indexOf(".Sh HOOKS"), man.indexOf(".Sh ENVIRONMENT"));
  for (const name of SHIMS) {
    assert.ok(rows.some((r) => r.includes(`\`${name}`)), `README's Hooks table names ${name}`);
    assert.match(hooks, new RegExp(`\\n\\.It Pa ${name}\\n`), `the man page's HOOKS names ${name}`);
  }
  // What tests/wrappers_test.ts shows: vm-bhyve and master_prestart.d cannot stop a start,
  // CBSD's bhyverun_wrapper, bmd and libvirt can.
  const row = (shim: string) => rows.find((r) => r.includes(`\`${shim}\``))!;
  for (const shim of ["vm-bhyve-prestart", "cbsd-master_prestart"]) {
    assert.match(row(shim), /\*\*cannot stop the start\*\*/, shim);
  }
  for (const shim of ["cbsd-bhyverun", "bmd-hook", "libvirt-bhyve"]) {
    assert.match(row(shim), /\| stops it|fail the start/, shim);
  }
  assert.match(hooks, /vm-bhyve ignores its exit status, so a veto cannot stop the start/);
  assert.match(hooks, /advisory, CBSD ignores its exit status/);
});
