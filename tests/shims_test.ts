/**
 * The wrapper shims in hooks/ (POSIX sh), run with stub `pptkit` and `bhyve` scripts on PATH
 * that record how they were called; and bhyve-run once with the real pptkit on a snapshot.
 */
import assert from "node:assert/strict";
import { DEMO, LAUNCHER, ROOT, scratch, snapshotWith } from "./helpers.ts";

const HOOKS = `${ROOT}hooks`;
const SHIMS = ["vm-bhyve-prestart", "cbsd-master_prestart", "cbsd-master_poststop", "bhyve-run"];

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
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const calls = (await Deno.readTextFile(log)).split("\n").filter((l) => l !== "");
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), calls };
}

Deno.test("every shim is executable POSIX sh with an install header", async () => {
  for (const name of SHIMS) {
    const info = await Deno.stat(`${HOOKS}/${name}`);
    assert.ok((info.mode ?? 0) & 0o111, `${name} is executable`);
    const text = await Deno.readTextFile(`${HOOKS}/${name}`);
    assert.ok(text.startsWith("#!/bin/sh\n"), name);
    assert.match(text, /\n# Install: /, `${name} says how to install it`);
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

Deno.test("vm-bhyve-prestart runs hook prestart --wrapper vm-bhyve and logs a go", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const dataset = `${dir}/vm/vm1`;
    await Deno.mkdir(dataset, { recursive: true });
    const r = await shim(dir, "vm-bhyve-prestart", ["vm1", dataset]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.calls, [`pptkit hook prestart --wrapper vm-bhyve -- vm1 ${dataset}`]);
    const log = await Deno.readTextFile(`${dataset}/vm-bhyve.log`);
    assert.match(
      log,
      /^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d: pptkit: prestart ok: vm1 may have its passthru devices\n$/,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("vm-bhyve-prestart writes a veto to the guest's vm-bhyve.log and stderr", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const dataset = `${dir}/vm/vm1`;
    await Deno.mkdir(dataset, { recursive: true });
    await Deno.writeTextFile(`${dataset}/vm-bhyve.log`, "Nov 27 02:36:00: initialising\n");
    const err = "pptkit: VM vm1 cannot start: 3/0/1 is not on ppt(4): igb1 (igb) has it\n" +
      "hint: reserve it: pptkit reserve 3/0/1";
    const r = await shim(dir, "vm-bhyve-prestart", ["vm1", dataset], {
      STUB_PRESTART_RC: "1",
      STUB_PRESTART_ERR: err,
    });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, err + "\n");
    const log = (await Deno.readTextFile(`${dataset}/vm-bhyve.log`)).split("\n");
    assert.equal(log[0], "Nov 27 02:36:00: initialising", "the log is appended to");
    assert.match(
      log[1],
      /^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d: pptkit: VM vm1 cannot start: 3\/0\/1 is not on ppt\(4\)/,
    );
    assert.match(log[2], /: hint: reserve it: pptkit reserve 3\/0\/1$/);
    // No dataset directory: the verdict still goes to stderr.
    const bare = await shim(dir, "vm-bhyve-prestart", ["vm1"], {
      STUB_PRESTART_RC: "75",
      STUB_PRESTART_ERR: "pptkit: busy",
    });
    assert.equal(bare.code, 75);
    assert.equal(bare.stderr, "pptkit: busy\n");
    const none = await shim(dir, "vm-bhyve-prestart", []);
    assert.equal(none.code, 64);
    assert.deepEqual(none.calls, []);
  } finally {
    await cleanup();
  }
});

Deno.test("cbsd shims pass $jname to hook prestart / poststop --wrapper cbsd", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const pre = await shim(dir, "cbsd-master_prestart", [], { jname: "win10" });
    assert.equal(pre.code, 0, pre.stderr);
    assert.deepEqual(pre.calls, ["pptkit hook prestart --wrapper cbsd -- win10"]);
    const veto = await shim(dir, "cbsd-master_prestart", [], {
      jname: "win10",
      STUB_PRESTART_RC: "1",
    });
    assert.equal(veto.code, 1, "CBSD sees the veto");
    const post = await shim(dir, "cbsd-master_poststop", [], {
      jname: "win10",
      PPTKIT_HOOK_ARGS: "--rebind --log /var/log/pptkit.log",
    });
    assert.equal(post.code, 0, post.stderr);
    assert.deepEqual(post.calls, [
      "pptkit hook poststop --wrapper cbsd --rebind --log /var/log/pptkit.log -- win10",
    ]);
    for (const name of ["cbsd-master_prestart", "cbsd-master_poststop"]) {
      const r = await shim(dir, name, []);
      assert.equal(r.code, 64, name);
      assert.match(r.stderr, /jname is not set/);
      assert.deepEqual(r.calls, []);
    }
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
