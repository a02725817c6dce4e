/**
 * The Ansible collection (contrib/ansible) with real Ansible: ansible-playbook on localhost
 * (`connection: local`) against three inventory hosts, each with its own snapshot directory
 * made from fixtures/demo:
 *
 * - `gpu`: the demo's NVIDIA Quadro P600 and its audio function on their host drivers
 *   (vgapci1, hdac0), not reserved, no VM config: the playbook reserves them;
 * - `nogpu`: the demo as it is (the GPU is already test-vm-1's): nothing to do;
 * - `broken`: like `gpu`, but loader.conf has a malformed pptdevs line, so reserve fails with
 *   pptkit's own message and changes nothing.
 *
 * The collection is built (`ansible-galaxy collection build`) and installed from the tarball
 * into a temporary ANSIBLE_COLLECTIONS_PATH; HOME, Ansible's temp directories and its
 * configuration point into the same directory, so the run touches nothing outside it and needs
 * no network. Without ansible-playbook on PATH every test here is reported as ignored, never
 * passed.
 */
import assert from "node:assert/strict";
import { copyDir, DEMO, errorLines, fileTree, pptkit, ROOT } from "./helpers.ts";

const COLLECTION = `${ROOT}contrib/ansible`;
const PLAYBOOK = `${COLLECTION}/playbooks/reserve-nvidia.yml`;
const HOSTS = ["gpu", "nogpu", "broken"] as const;
const LOADER = "root/boot/loader.conf";

function onPath(name: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (dir !== "" && Deno.statSync(`${dir}/${name}`).isFile) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

const missing = ["ansible-playbook", "ansible-galaxy", "ansible-doc"].filter((t) => !onPath(t));
const ignore = missing.length > 0;
if (ignore) {
  // `deno test --quiet` (deno task test) hides output printed outside a test, so the reason is
  // also the name of an ignored test: the summary shows it.
  const reason = `ansible tests skipped: ${missing[0]} not found`;
  console.log(reason);
  Deno.test({ name: reason, ignore, fn() {} });
}

/** What a command printed and returned. */
interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The scratch world every test shares: snapshots, inventory, installed collection. */
interface World {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly inventory: string;
  snapshot(host: string): string;
}

let world: Promise<World> | undefined;

async function run(cmd: string, args: readonly string[], w: World): Promise<Run> {
  const out = await new Deno.Command(cmd, {
    args: [...args],
    env: w.env,
    cwd: w.dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The demo with its GPU and audio on their host drivers, not reserved, used by no VM. */
async function gpuHost(to: string): Promise<void> {
  await copyDir(DEMO, to);
  const pciconf = await Deno.readTextFile(`${to}/pciconf.txt`);
  await Deno.writeTextFile(
    `${to}/pciconf.txt`,
    pciconf.replace(/^ppt0@pci0:1:0:0:/m, "vgapci1@pci0:1:0:0:")
      .replace(/^ppt1@pci0:1:0:1:/m, "hdac0@pci0:1:0:1:"),
  );
  for (const file of [LOADER, "kenv.txt"]) {
    const text = await Deno.readTextFile(`${to}/${file}`);
    await Deno.writeTextFile(`${to}/${file}`, text.replace(/^pptdevs=.*\n/m, ""));
  }
  await Deno.remove(`${to}/root/opt`, { recursive: true });
  await Deno.remove(`${to}/root/zroot`, { recursive: true });
}

async function setUp(): Promise<World> {
  const dir = await Deno.makeTempDir({ prefix: "pptkit-ansible-" });
  const snapshot = (host: string) => `${dir}/hosts/${host}`;
  await gpuHost(snapshot("gpu"));
  await copyDir(DEMO, snapshot("nogpu"));
  await gpuHost(snapshot("broken"));
  const conf = `${snapshot("broken")}/${LOADER}`;
  await Deno.writeTextFile(conf, 'pptdevs="3:0:0"\n' + await Deno.readTextFile(conf));

  const inventory = `${dir}/inventory.yml`;
  await Deno.writeTextFile(
    inventory,
    [
      "all:",
      "  vars:",
      "    ansible_connection: local",
      '    ansible_python_interpreter: "{{ ansible_playbook_python }}"',
      `    pptkit_binary: ${ROOT}dist/pptkit`,
      "  hosts:",
      ...HOSTS.map((h) => `    ${h}: { pptkit_snapshot: ${snapshot(h)} }`),
      "",
    ].join("\n"),
  );
  await Deno.mkdir(`${dir}/home`);
  await Deno.writeTextFile(`${dir}/ansible.cfg`, "[defaults]\n");
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: `${dir}/home`,
    LANG: "C.UTF-8",
    PPTKIT_DENO: Deno.execPath(),
    ANSIBLE_CONFIG: `${dir}/ansible.cfg`,
    ANSIBLE_COLLECTIONS_PATH: `${dir}/collections`,
    ANSIBLE_COLLECTIONS_SCAN_SYS_PATH: "false",
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_LOCAL_TEMP: `${dir}/tmp`,
    ANSIBLE_REMOTE_TEMP: `${dir}/tmp`,
    ANSIBLE_RETRY_FILES_ENABLED: "false",
    ANSIBLE_FORKS: "3",
  };
  const w: World = { dir, env, inventory, snapshot };
  // Build the tarball, then install it: what a user does with a release of the collection.
  const build = await run("ansible-galaxy", [
    "collection",
    "build",
    COLLECTION,
    "--output-path",
    `${dir}/dist`,
  ], w);
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const tarball = `${dir}/dist/pptkit-pptkit-0.1.0.tar.gz`;
  const install = await run("ansible-galaxy", [
    "collection",
    "install",
    "--offline",
    tarball,
    "-p",
    `${dir}/collections`,
  ], w);
  assert.equal(install.code, 0, install.stdout + install.stderr);
  return w;
}

function shared(): Promise<World> {
  return world ??= setUp();
}

async function trees(w: World): Promise<Map<string, Map<string, string>>> {
  return new Map(
    await Promise.all(HOSTS.map(async (h) => [h, await fileTree(w.snapshot(h))] as const)),
  );
}

/** `changed=N failed=N ...` of one host's line in the PLAY RECAP. */
function recap(stdout: string, host: string): Record<string, number> {
  const tail = stdout.slice(stdout.lastIndexOf("PLAY RECAP"));
  const line = tail.split("\n").find((l) => l.startsWith(`${host} `));
  assert.ok(line !== undefined, `${host} in the PLAY RECAP:\n${tail}`);
  return Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

/** The result the default callback printed for a failed task of `host`. */
function fatal(stdout: string, host: string): Record<string, unknown> {
  const prefix = `fatal: [${host}]: FAILED! => `;
  const line = stdout.split("\n").find((l) => l.startsWith(prefix));
  assert.ok(line !== undefined, `${host} failed a task:\n${stdout}`);
  return JSON.parse(line.slice(prefix.length));
}

/** Module results as JSON data: the assertions say what shape they expect. */
// deno-lint-ignore no-explicit-any
type Json = any;

/** What the last task of fixtures/ansible/modules.yml printed for each host. */
function printed(stdout: string): Map<string, Json> {
  const out = new Map();
  const tail = stdout.slice(stdout.indexOf("TASK [Print what the modules returned]"));
  for (const m of tail.matchAll(/^ok: \[(\w+)\] => (\{\n[^]*?\n\})\n/gm)) {
    out.set(m[1], JSON.parse(m[2]).msg);
  }
  return out;
}

/** The message of the one debug task the playbook runs once, after the reservations. */
function rebootReport(stdout: string): string {
  const m = stdout.match(
    /TASK \[Say which hosts need a reboot\][^\n]*\nok: \[\w+\] => \{\n\s+"msg": (".*")\n/,
  );
  assert.ok(m !== null, stdout);
  return JSON.parse(m[1]);
}

function playbook(w: World, ...extra: string[]): Promise<Run> {
  return run("ansible-playbook", ["-i", w.inventory, PLAYBOOK, ...extra], w);
}

/** What pptkit itself says about a reservation of the GPU's slot, as a dry run. */
async function dryRun(w: World, host: string) {
  return await pptkit(["reserve", "--dry-run", "1/0/0", "1/0/1", "--snapshot", w.snapshot(host)]);
}

Deno.test({
  name: "ansible: the modules return pptkit's facts, findings, dry-run diff and errors",
  ignore,
  async fn() {
    const w = await shared();
    const before = await trees(w);
    const r = await run(
      "ansible-playbook",
      ["-i", w.inventory, `${ROOT}fixtures/ansible/modules.yml`],
      w,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await trees(w), before, "no snapshot file changed");
    const results = printed(r.stdout);
    assert.deepEqual([...results.keys()].sort(), [...HOSTS].sort());
    for (const host of HOSTS) {
      const got = results.get(host)!;
      const snap = w.snapshot(host);
      const list = JSON.parse(
        (await pptkit(["list", "--all", "--json", "--snapshot", snap])).stdout,
      );
      const checked = await pptkit(["check", "--json", "--snapshot", snap]);
      const check = JSON.parse(checked.stdout);
      // Facts: the inventory's host (plus check's verdict) and every device object.
      assert.deepEqual(got.facts.devices, list.devices, host);
      assert.deepEqual(got.facts.host, { ...list.host, ok: check.ok }, host);
      // pptkit_check: failed exactly when pptkit check exits 1, with the findings as data.
      assert.equal(got.check.failed === true, checked.code === 1, host);
      assert.equal(got.check.rc, checked.code, host);
      assert.equal(got.check.changed, false);
      const findings = [
        ...check.host.findings,
        ...check.devices.flatMap((d: { findings: unknown[] }) => d.findings),
      ];
      assert.deepEqual(got.check.findings, findings, host);
    }
    const gpu = results.get("gpu")!;
    const gpuDevice = gpu.facts.devices.find((d: { bsf: string }) => d.bsf === "1/0/0");
    assert.equal(gpuDevice.driver, "vgapci");
    assert.deepEqual(gpuDevice.usedBy, []);
    assert.equal(gpu.facts.host.iommu, "vt-d");

    const broken = results.get("broken")!;
    assert.equal(broken.check.failed, true);
    assert.equal(broken.check.rc, 1);
    assert.deepEqual(broken.check.errors.map((f: { code: string }) => f.code), ["pptdevs-syntax"]);
    assert.match(broken.check.msg, /^pptkit check failed: 1 error: .*"3:0:0"/);
    assert.equal(broken.check.hint, "use / not : (did you mean 3/0/0?)");
    assert.equal(broken.facts.host.ok, false);

    // check --vm: the demo's VM may start; its verdict's findings are returned.
    const nogpu = results.get("nogpu")!;
    const vm = JSON.parse(
      (await pptkit(["check", "--vm", "test-vm-1", "--json", "--snapshot", w.snapshot("nogpu")]))
        .stdout,
    );
    assert.equal(nogpu.check_vm.failed, false);
    assert.deepEqual(nogpu.check_vm.vm, vm.vm);
    assert.deepEqual(nogpu.check_vm.findings, vm.vm.findings);

    // state=absent in check mode: release --dry-run, exact changed, before/after diff.
    const release = JSON.parse(
      (await pptkit(["release", "--dry-run", "--json", "ppt1", "--snapshot", w.snapshot("nogpu")]))
        .stdout,
    );
    assert.equal(nogpu.release.changed, true);
    assert.equal(nogpu.release.reboot_needed, true);
    assert.deepEqual(nogpu.release.removed, ["1/0/1"]);
    assert.deepEqual(nogpu.release.diff, [{
      before_header: "/boot/loader.conf",
      after_header: "/boot/loader.conf",
      before: release.files[0].before,
      after: release.files[0].after,
    }]);
    assert.deepEqual(nogpu.release.files, [{
      path: "/boot/loader.conf",
      diff: release.diff,
      backup: "/boot/loader.conf.bak",
    }]);

    // Failures: pptkit's message and hint, its exit code as rc; the module's own checks.
    const cli = await pptkit(["reserve", "--json", "9/0/0", "--snapshot", w.snapshot("gpu")]);
    const error = JSON.parse(cli.stdout);
    assert.equal(gpu.unknown_device.failed, true);
    assert.equal(gpu.unknown_device.msg, error.message);
    assert.equal(gpu.unknown_device.hint, error.hint);
    assert.equal(gpu.unknown_device.rc, 65);
    assert.equal(`pptkit: ${gpu.unknown_device.msg}`, errorLines(cli.stderr)[0]);
    assert.equal(gpu.no_binary.failed, true);
    assert.equal(
      gpu.no_binary.msg,
      "cannot run pptkit: /nonexistent/pptkit is not an executable file",
    );
    assert.ok(!JSON.stringify(gpu.no_binary).includes("Traceback"));
    assert.equal(gpu.bad_state.failed, true);
    assert.match(
      gpu.bad_state.msg,
      /value of state must be one of: present, absent, got: reserved/,
    );
    assert.equal(gpu.empty.changed, false);
  },
});

Deno.test({
  name: "ansible: check mode changes no file; diff mode shows pptkit's diff; broken host fails",
  ignore,
  async fn() {
    const w = await shared();
    const before = await trees(w);
    const r = await playbook(w, "--check", "--diff");
    assert.equal(r.code, 2, "a host failed: ansible-playbook exits 2\n" + r.stdout + r.stderr);
    assert.deepEqual(await trees(w), before, "check mode wrote nothing, not even a lock");

    // The diff Ansible prints is the one pptkit reserve --dry-run prints, hunk for hunk.
    const pptkitDiff = (await dryRun(w, "gpu")).stdout.replace(/^dry run: .*\n/m, "");
    const [, hunks] = pptkitDiff.split(/^\+\+\+ \/boot\/loader\.conf\n/m);
    assert.match(hunks, /^@@ -1,3 \+1,4 @@\n\+pptdevs="1\/0\/0 1\/0\/1"\n vmm_load="YES"\n/);
    assert.ok(
      r.stdout.includes(
        "--- before: /boot/loader.conf\n+++ after: /boot/loader.conf\n" + hunks +
          "\nchanged: [gpu]",
      ),
      r.stdout,
    );
    assert.deepEqual(recap(r.stdout, "gpu"), {
      ok: 4,
      changed: 1,
      unreachable: 0,
      failed: 0,
      skipped: 1,
      rescued: 0,
      ignored: 0,
    });
    assert.equal(recap(r.stdout, "nogpu").changed, 0);
    assert.equal(recap(r.stdout, "nogpu").failed, 0);

    // The broken host fails its reservation with pptkit's own message, hint and exit code.
    const cli = await dryRun(w, "broken");
    const [message, hint] = errorLines(cli.stderr);
    const failed = fatal(r.stdout, "broken");
    assert.equal(`pptkit: ${failed.msg}`, message);
    assert.match(message, /cannot update pptdevs: token "3:0:0" is not a plain B\/S\/F/);
    assert.equal(`hint: ${failed.hint}`, hint);
    assert.equal(failed.rc, cli.code);
    assert.equal(failed.rc, 65);
    assert.equal(recap(r.stdout, "broken").failed, 1);
    assert.match(r.stdout, /TASK \[Reserve them in loader\.conf\][^]*fatal: \[broken\]/);
    assert.equal(
      rebootReport(r.stdout),
      "hosts that would need a reboot to attach their GPUs to ppt(4): gpu",
    );
  },
});

Deno.test({
  name: "ansible: the playbook reserves the free GPU and its audio; a second run changes nothing",
  ignore,
  async fn() {
    const w = await shared();
    const expected = (await pptkit([
      "reserve",
      "--dry-run",
      "--json",
      "1/0/0",
      "1/0/1",
      "--snapshot",
      w.snapshot("gpu"),
    ])).stdout;
    const before = await trees(w);
    const first = await playbook(w);
    assert.equal(first.code, 2, first.stdout + first.stderr);
    assert.equal(recap(first.stdout, "gpu").changed, 1);
    assert.equal(recap(first.stdout, "nogpu").changed, 0);
    assert.equal(recap(first.stdout, "broken").failed, 1);
    assert.equal(
      rebootReport(first.stdout),
      "hosts that need a reboot to attach their GPUs to ppt(4): gpu",
    );
    assert.match(first.stdout, /TASK \[Reboot\][^\n]*\nskipping: \[gpu\]/, "no reboot unasked");
    const after = await trees(w);
    assert.equal(
      await Deno.readTextFile(`${w.snapshot("gpu")}/${LOADER}`),
      JSON.parse(expected).files[0].after,
    );
    assert.equal(
      await Deno.readTextFile(`${w.snapshot("gpu")}/${LOADER}.bak`),
      JSON.parse(expected).files[0].before,
    );
    assert.deepEqual(after.get("nogpu"), before.get("nogpu"));
    assert.deepEqual(after.get("broken"), before.get("broken"), "a failure changes no file");
    const list = JSON.parse(
      (await pptkit(["list", "--json", "--snapshot", w.snapshot("gpu")])).stdout,
    );
    assert.deepEqual(
      list.devices.map((d: { bsf: string; statusText: string }) => [d.bsf, d.statusText]),
      [["1/0/0", "Reserved (reboot)"], ["1/0/1", "Reserved (reboot)"]],
    );

    const second = await playbook(w);
    assert.equal(second.code, 2, second.stdout + second.stderr);
    for (const host of HOSTS) assert.equal(recap(second.stdout, host).changed, 0, host);
    assert.equal(rebootReport(second.stdout), "no host needs a reboot");
    assert.deepEqual(await trees(w), after, "the second run wrote nothing");
  },
});

Deno.test({
  name: "ansible: installed from the directory, ansible-doc renders the three modules",
  ignore,
  async fn() {
    const shared_ = await shared();
    // This time the collection comes straight from the source directory.
    const path = `${shared_.dir}/from-source`;
    const w = { ...shared_, env: { ...shared_.env, ANSIBLE_COLLECTIONS_PATH: path } };
    const install = await run(
      "ansible-galaxy",
      ["collection", "install", COLLECTION, "-p", path],
      w,
    );
    assert.equal(install.code, 0, install.stdout + install.stderr);
    const names = ["pptkit_facts", "pptkit_check", "pptkit_reservation"];
    const r = await run("ansible-doc", names.map((n) => `pptkit.pptkit.${n}`), w);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "", "no warning about the documentation");
    for (const n of names) {
      assert.match(r.stdout, new RegExp(`^> PPTKIT\\.PPTKIT\\.${n.toUpperCase()} `, "m"));
    }
    const reservation = r.stdout.slice(r.stdout.indexOf("> PPTKIT.PPTKIT.PPTKIT_RESERVATION"));
    for (
      const option of [
        "binary",
        "config",
        "devices",
        "loader_conf",
        "now",
        "root",
        "snapshot",
        "state",
      ]
    ) {
      assert.match(reservation, new RegExp(`^[-=] ${option}\\n`, "m"), option);
    }
    assert.match(reservation, /choices: \[present, absent\]/);
    assert.match(reservation, /^RETURN VALUES:\n[^]*^- reboot_needed\n/m);
    assert.match(reservation, /^EXAMPLES:\n/m);
    assert.match(r.stdout, /^= devices\n/m, "devices is required");
    // The documented options are the ones each module's argument_spec takes.
    const json = await run("ansible-doc", ["--json", ...names.map((n) => `pptkit.pptkit.${n}`)], w);
    const docs = JSON.parse(json.stdout);
    const common = ["binary", "config", "root", "snapshot"];
    const options: Record<string, string[]> = {
      pptkit_facts: common,
      pptkit_check: [...common, "vm"],
      pptkit_reservation: [...common, "devices", "loader_conf", "now", "state"],
    };
    for (const n of names) {
      const doc = docs[`pptkit.pptkit.${n}`];
      assert.deepEqual(Object.keys(doc.doc.options).sort(), options[n].sort(), n);
      assert.ok(Object.keys(doc.return ?? {}).length > 0, `${n} documents what it returns`);
      assert.ok(doc.examples.includes(`pptkit.pptkit.${n}:`), `${n} has examples`);
    }
    const list = await run("ansible-doc", ["-l", "pptkit.pptkit"], w);
    assert.deepEqual(
      list.stdout.trim().split("\n").map((l) => l.split(/\s+/)[0]).sort(),
      names.map((n) => `pptkit.pptkit.${n}`).sort(),
    );
  },
});

Deno.test.afterAll(async () => {
  if (world !== undefined) await Deno.remove((await world).dir, { recursive: true });
});
