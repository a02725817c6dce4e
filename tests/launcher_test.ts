/**
 * End-to-end tests of the launcher dist/pptkit (DESIGN §14): the permissions it gives the bundle
 * hold, and its own failures follow the one-line error contract.
 *
 * Live runs use stub commands on PATH (pciconf prints the demo host), so they are the same on
 * Linux and FreeBSD and never touch the real /boot or /var/run. What no pptkit code path does
 * (fetch, run rm, read an arbitrary variable) is tried by a probe script that the launcher runs
 * in place of the bundle (PPTKIT_BUNDLE): the launcher's exact deno flags, a script of ours.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  copyDir,
  DEMO,
  errorLines,
  exists,
  LAUNCHER,
  pptkit,
  ROOT,
  type RunResult,
  scratch,
  TEST_CACHE,
} from "./helpers.ts";

/** One `pptkit:` line, maybe a `hint:` line, no trace, nothing on stdout, the exit code. */
function assertError(r: RunResult, code: number, pattern: RegExp) {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = errorLines(r.stderr);
  assert.ok(lines.length >= 1 && lines.length <= 2, `one or two lines: ${r.stderr}`);
  assert.match(lines[0], /^pptkit: /);
  assert.match(lines[0], pattern);
  if (lines.length === 2) assert.match(lines[1], /^hint: /);
  assert.doesNotMatch(r.stderr, /\bat .*:\d+:\d+|Stack backtrace|error: /);
  assert.equal(r.stdout, "");
}

interface Stubs {
  /** PATH with the stubs first. */
  readonly path: string;
  /** What the devctl stub was asked to do. */
  readonly devctlLog: string;
  /** Written by the rm stub if it ever ran. */
  readonly rmLog: string;
}

/** Stub FreeBSD commands in DIR/bin: the demo host's captures; devctl and rm log their calls. */
async function stubCommands(dir: string): Promise<Stubs> {
  const bin = `${dir}/bin`;
  const devctlLog = `${dir}/devctl.log`;
  const rmLog = `${dir}/rm.log`;
  await Deno.mkdir(bin, { recursive: true });
  const stub = async (name: string, body: string) => {
    await Deno.writeTextFile(`${bin}/${name}`, `#!/bin/sh\n${body}\n`);
    await Deno.chmod(`${bin}/${name}`, 0o755);
  };
  for (const name of ["pciconf", "acpidump", "kenv", "sysctl", "kldstat", "uname"]) {
    await stub(name, `exec cat '${DEMO}/${name}.txt'`);
  }
  await stub("ps", "echo '  PID COMMAND'");
  await stub("cbsd", "exit 1");
  await stub("netstat", "exit 0");
  await stub("devctl", `echo "devctl $*" >>'${devctlLog}'`);
  await stub("rm", `echo "rm $*" >>'${rmLog}'`);
  return { path: `${bin}:/usr/bin:/bin`, devctlLog, rmLog };
}

Deno.test("launcher: a VM directory outside the allowed paths is refused (77, one line)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const { path } = await stubCommands(dir);
    await Deno.mkdir(`${dir}/vms`);
    await Deno.writeTextFile(`${dir}/vms/vm1.jsonc`, '{ "passthru": ["1/0/0", "1/0/1"] }\n');
    const config = `${dir}/pptkit.jsonc`;
    await Deno.writeTextFile(config, `{ "native": { "dir": "${dir}/vms" } }\n`);
    // --config is granted (the command line names it); the directory it points at is not.
    const denied = await pptkit(
      ["hook", "prestart", "--wrapper", "native", "--config", config, "vm1"],
      { env: { PATH: path } },
    );
    assertError(
      denied,
      77,
      /^pptkit: cannot read .*vm1\.jsonc: outside the paths the launcher allows$/,
    );
    assert.match(denied.stderr, /hint: add it to PPTKIT_ALLOW_READ/);
    // PPTKIT_ALLOW_READ grants it (list only reads: nothing is written on this machine).
    const allowed = await pptkit(["list", "--config", config], {
      env: { PATH: path, PPTKIT_ALLOW_READ: `${dir}/vms`, NO_COLOR: "1" },
    });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /│ ppt0 .*│ In use by: vm1 │/);
  } finally {
    await cleanup();
  }
});

Deno.test("launcher: a path with a comma is refused (77), never split into two grants", async () => {
  // "/tmp/x,/" would otherwise grant read access to / and write access to //root.
  for (const args of [["list", "--snapshot", "/tmp/x,/"], ["list", "--snapshot=/tmp/x,/"]]) {
    assertError(await pptkit(args), 77, /^pptkit: cannot grant access to "\/tmp\/x,\/": .*comma/);
  }
  assertError(
    await pptkit(["snapshot", "/tmp/a,/etc"]),
    77,
    /cannot grant access to "\/tmp\/a,\/etc"/,
  );
});

Deno.test("launcher: an empty option value reaches pptkit (64), not a deno error", async () => {
  assertError(await pptkit(["list", "--snapshot", ""]), 64, /--snapshot needs a value/);
  assertError(await pptkit(["list", "--snapshot="]), 64, /--snapshot needs a value/);
  // Empty elements of the PPTKIT_ALLOW_* lists are skipped.
  const r = await pptkit(["list", "--json", "--snapshot", DEMO], {
    env: { PPTKIT_ALLOW_READ: ",/tmp,,", PPTKIT_ALLOW_WRITE: "," },
  });
  assert.equal(r.code, 0, r.stderr);
});

Deno.test("launcher: --root DIR runs devctl and writes only DIR's loader.conf (reserve --now)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const stubs = await stubCommands(dir);
    const root = `${dir}/root`;
    await Deno.mkdir(`${root}/boot`, { recursive: true });
    await Deno.copyFile(`${DEMO}/root/boot/loader.conf`, `${root}/boot/loader.conf`);
    // An LD_* variable would make deno refuse every command: the launcher drops it.
    const r = await pptkit(["reserve", "--now", "3/0/1", "--root", root], {
      env: { PATH: stubs.path, LD_BIND_NOW: "1", NO_COLOR: "1" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await Deno.readTextFile(stubs.devctlLog),
      "devctl set driver -f pci0:3:0:1 ppt\n",
    );
    const conf = await Deno.readTextFile(`${root}/boot/loader.conf`);
    assert.match(conf, /^pptdevs="1\/0\/0 1\/0\/1 3\/0\/1"$/m);
    assert.ok(await exists(`${root}/boot/loader.conf.bak`), "backup next to it");
  } finally {
    await cleanup();
  }
});

Deno.test("launcher: snapshot DIR runs the capture commands and writes DIR", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const stubs = await stubCommands(dir);
    const out = `${dir}/out`;
    await Deno.writeTextFile(`${dir}/empty.jsonc`, "{}\n");
    // A global option between the command and DIR: DIR is still the one granted.
    const r = await pptkit(["snapshot", "--config", `${dir}/empty.jsonc`, out], {
      env: { PATH: stubs.path, LD_PRELOAD: "" },
    });
    // deno refuses /dev/vmm to anything short of --allow-all: the snapshot must record it as
    // not captured (as readRunningVms does), not fail with 77.
    assert.equal(r.code, 0, `snapshot under the launcher: ${r.stderr}`);
    for (const name of ["pciconf", "acpidump", "kenv", "sysctl", "kldstat", "uname"]) {
      assert.equal(
        await Deno.readTextFile(`${out}/${name}.txt`),
        await Deno.readTextFile(`${DEMO}/${name}.txt`),
        name,
      );
    }
  } finally {
    await cleanup();
  }
});

/** What the probe script saw under the launcher's flags. */
interface ProbeReport {
  readonly net: string;
  readonly remoteImport: string;
  /** `typeof gc`: a function only if deno took V8 flags from the environment. */
  readonly gc: string;
  /** Set once a Worker without permissions was made (deno needs --unstable-worker-options). */
  readonly worker: string;
  readonly env: Record<string, string>;
  readonly run: Record<string, string>;
  readonly read: Record<string, string>;
  readonly write: Record<string, string>;
}

const PROBE = `
const report = { env: {}, run: {}, read: {}, write: {} };
// The launcher passes every argument on: ours come after the command name "probe".
const [port, ...paths] = Deno.args.slice(Deno.args.indexOf("probe") + 1);
const why = (e) => e?.constructor?.name ?? String(e);
if (port !== "0") {
  try {
    const res = await fetch("http://127.0.0.1:" + port + "/");
    await res.body?.cancel();
    report.net = "fetched";
  } catch (e) { report.net = why(e); }
}
try { await import("http://127.0.0.1:" + port + "/x.js"); report.remoteImport = "imported"; }
catch (e) { report.remoteImport = why(e); }
report.gc = typeof globalThis.gc;
// Without --unstable-worker-options asking for this ends the process (70).
const workerUrl = URL.createObjectURL(new Blob(["close()"], { type: "text/javascript" }));
new Worker(workerUrl, { type: "module", deno: { permissions: "none" } }).terminate();
report.worker = "no permissions";
for (const name of ["NO_COLOR", "HOME", "PPTKIT_PROBE", "PPTKIT_UNSTABLE_WORKER_OPTIONS", "COLUMNS", "TERM", "PATH", "SECRET", "USER"]) {
  try { report.env[name] = "value:" + (Deno.env.get(name) ?? "unset"); }
  catch (e) { report.env[name] = why(e); }
}
for (const cmd of ["devctl", "netstat", "rm", "/bin/rm", "sh"]) {
  try {
    const out = await new Deno.Command(cmd, { args: ["probe"] }).output();
    report.run[cmd] = "ran:" + out.code;
  } catch (e) { report.run[cmd] = why(e); }
}
for (const path of paths) {
  report.read[path] = (await Deno.permissions.query({ name: "read", path })).state;
  report.write[path] = (await Deno.permissions.query({ name: "write", path })).state;
}
console.log(JSON.stringify(report));
`;

Deno.test("launcher flags: no network, only the listed commands, only NO_COLOR/PPTKIT_*/HOME (its own)/COLUMNS/TERM", async () => {
  const [dir, cleanup] = await scratch();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })();
  try {
    const stubs = await stubCommands(dir);
    await Deno.writeTextFile(`${dir}/probe.js`, PROBE);
    const snap = `${dir}/snap`;
    await Deno.mkdir(snap);
    const paths = [
      "/boot/loader.conf",
      "/usr/local/etc/pptkit/pptkit.jsonc",
      "/var/run/pptkit/x.lock",
      "/etc/master.passwd",
      `${snap}/pciconf.txt`,
      `${snap}/root/boot/loader.conf`,
    ];
    const port = String((listener.addr as Deno.NetAddr).port);
    const r = await pptkit(["--snapshot", snap, "probe", port, ...paths], {
      env: {
        PATH: stubs.path,
        PPTKIT_BUNDLE: `${dir}/probe.js`,
        PPTKIT_PROBE: "yes",
        // The launcher says whether deno has the flag, not the caller.
        PPTKIT_UNSTABLE_WORKER_OPTIONS: "0",
        NO_COLOR: "1",
        HOME: dir,
        SECRET: "hunter2",
        COLUMNS: "100",
        TERM: "dumb",
        // What would change deno itself: ignored (the launcher sets its cache and HOME).
        DENO_V8_FLAGS: "--expose-gc",
        DENO_DIR: `${dir}/deno-dir`,
        LD_LIBRARY_PATH: dir,
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const report: ProbeReport = JSON.parse(r.stdout);
    assert.equal(report.gc, "undefined", "DENO_V8_FLAGS is not passed to deno");
    assert.equal(report.worker, "no permissions", "plugins' Workers can be made without any");
    assert.ok(!(await exists(`${dir}/deno-dir`)), "DENO_DIR is not deno's cache");
    assert.equal(report.net, "NotCapable");
    assert.equal(connections, 0, "nothing reached the listener");
    assert.match(report.remoteImport, /Error/);
    assert.deepEqual(report.env, {
      NO_COLOR: "value:1",
      HOME: "value:/var/empty",
      PPTKIT_PROBE: "value:yes",
      PPTKIT_UNSTABLE_WORKER_OPTIONS: "value:1",
      COLUMNS: "value:100",
      TERM: "value:dumb",
      PATH: "NotCapable",
      SECRET: "NotCapable",
      USER: "NotCapable",
    });
    assert.deepEqual(report.run, {
      devctl: "ran:0",
      netstat: "ran:0",
      rm: "NotCapable",
      "/bin/rm": "NotCapable",
      sh: "NotCapable",
    });
    assert.equal(await Deno.readTextFile(stubs.devctlLog), "devctl probe\n");
    assert.ok(!(await exists(stubs.rmLog)), "the rm stub never ran");
    // A snapshot run reads the host's config and its snapshot, writes only DIR/root.
    assert.deepEqual(report.read, {
      "/boot/loader.conf": "granted",
      "/usr/local/etc/pptkit/pptkit.jsonc": "granted",
      "/var/run/pptkit/x.lock": "granted",
      "/etc/master.passwd": "prompt",
      [`${snap}/pciconf.txt`]: "granted",
      [`${snap}/root/boot/loader.conf`]: "granted",
    });
    assert.deepEqual(report.write, {
      "/boot/loader.conf": "prompt",
      "/usr/local/etc/pptkit/pptkit.jsonc": "prompt",
      "/var/run/pptkit/x.lock": "prompt",
      "/etc/master.passwd": "prompt",
      [`${snap}/pciconf.txt`]: "prompt",
      [`${snap}/root/boot/loader.conf`]: "granted",
    });
  } finally {
    listener.close();
    await accepting.catch(() => {});
    await cleanup();
  }
});

Deno.test("launcher flags: a live run writes loader.conf files and state dirs, nothing else", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await Deno.writeTextFile(`${dir}/probe.js`, PROBE);
    const paths = [
      "/boot/loader.conf",
      "/boot/loader.conf.tmp",
      "/boot/loader.conf.d/pptkit.conf",
      "/boot/kernel/kernel",
      "/var/db/pptkit/slots/vm1.json",
      "/var/run/pptkit/1-0-0.lock",
      "/usr/local/etc/pptkit/pptkit.jsonc",
      "/etc/rc.conf",
      "/usr/jails/var/db/local.sqlite",
    ];
    const r = await pptkit(["probe", "0", ...paths], {
      env: { PPTKIT_BUNDLE: `${dir}/probe.js` },
    });
    assert.equal(r.code, 0, r.stderr);
    const report: ProbeReport = JSON.parse(r.stdout);
    assert.deepEqual(report.write, {
      "/boot/loader.conf": "granted",
      "/boot/loader.conf.tmp": "granted",
      "/boot/loader.conf.d/pptkit.conf": "granted",
      "/boot/kernel/kernel": "prompt",
      "/var/db/pptkit/slots/vm1.json": "granted",
      "/var/run/pptkit/1-0-0.lock": "granted",
      "/usr/local/etc/pptkit/pptkit.jsonc": "prompt",
      "/etc/rc.conf": "prompt",
      "/usr/jails/var/db/local.sqlite": "prompt",
    });
    for (const path of paths) assert.equal(report.read[path], "granted", path);

    // Under --root DIR the same files below DIR, and no longer the real ones.
    const root = `${dir}/jail`;
    const rooted = await pptkit(
      ["--root", root, "probe", "0", "/boot/loader.conf", `${root}/boot/loader.conf`, `${root}/x`],
      { env: { PPTKIT_BUNDLE: `${dir}/probe.js` } },
    );
    assert.equal(rooted.code, 0, rooted.stderr);
    assert.deepEqual((JSON.parse(rooted.stdout) as ProbeReport).write, {
      "/boot/loader.conf": "prompt",
      [`${root}/boot/loader.conf`]: "granted",
      [`${root}/x`]: "prompt",
    });
  } finally {
    await cleanup();
  }
});

Deno.test("launcher flags: report writes its -o file, else ./pptkit-report.jsonc, and nothing else", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await Deno.writeTextFile(`${dir}/probe.js`, PROBE);
    const env = { PPTKIT_BUNDLE: `${dir}/probe.js` };
    const cases: [string[], string][] = [
      [["report", "-o", `${dir}/gpu.jsonc`], `${dir}/gpu.jsonc`],
      [["report", "--output", `${dir}/gpu.jsonc`], `${dir}/gpu.jsonc`],
      [["report", `--output=${dir}/gpu.jsonc`], `${dir}/gpu.jsonc`],
      [["report"], `${dir}/pptkit-report.jsonc`],
    ];
    for (const [args, file] of cases) {
      const paths = [`${dir}/gpu.jsonc`, `${dir}/pptkit-report.jsonc`, `${dir}/other`];
      const r = await pptkit([...args, "probe", "0", ...paths], { env, cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const expected = Object.fromEntries(paths.map((p) => [p, p === file ? "granted" : "prompt"]));
      assert.deepEqual((JSON.parse(r.stdout) as ProbeReport).write, expected, args.join(" "));
    }
    // -o before the command is not report's option: nothing is granted for it.
    const before = await pptkit(["-o", `${dir}/gpu.jsonc`, "probe", "0", `${dir}/gpu.jsonc`], {
      env,
      cwd: dir,
    });
    assert.equal(before.code, 0, before.stderr);
    assert.deepEqual((JSON.parse(before.stdout) as ProbeReport).write, {
      [`${dir}/gpu.jsonc`]: "prompt",
    });
  } finally {
    await cleanup();
  }
});

Deno.test("launcher: PPTKIT_DENO missing or not deno -> 69, one line and a hint", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await Deno.writeTextFile(`${dir}/not-executable`, "#!/bin/sh\n");
    for (const deno of [`${dir}/nonexistent`, dir, `${dir}/not-executable`, "no-such-deno"]) {
      const r = await pptkit(["--version"], { env: { PPTKIT_DENO: deno } });
      assertError(r, 69, /^pptkit: PPTKIT_DENO=.* is not an executable file$/);
      assert.match(r.stderr, /hint: set PPTKIT_DENO to the deno binary/);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("launcher: PPTKIT_BUNDLE runs another bundle; a missing one -> 69", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await Deno.writeTextFile(
      `${dir}/other.js`,
      'console.log("other bundle", Deno.args.join(" "));\n',
    );
    const r = await pptkit(["list", "--json"], { env: { PPTKIT_BUNDLE: `${dir}/other.js` } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "other bundle list --json\n");
    assertError(
      await pptkit(["--version"], { env: { PPTKIT_BUNDLE: `${dir}/missing.js` } }),
      69,
      /^pptkit: PPTKIT_BUNDLE=.*missing\.js: no such file$/,
    );
    // A launcher without a bundle next to it (nor in ../libexec/pptkit) says so.
    await Deno.copyFile(LAUNCHER, `${dir}/pptkit`);
    await Deno.chmod(`${dir}/pptkit`, 0o755);
    const out = await new Deno.Command(`${dir}/pptkit`, {
      args: ["--version"],
      env: { PPTKIT_DENO: Deno.execPath() },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assertError(
      { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) },
      69,
      /^pptkit: cannot find pptkit\.js next to .*\/pptkit$/,
    );
  } finally {
    await cleanup();
  }
});

/** deno's code cache in `dir`: bundle file name -> size of its V8 code, as deno stored it. */
function codeCache(dir: string): Map<string, number> {
  const entries = new Map<string, number>();
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(`${dir}/v8_code_cache_v2`, { readOnly: true });
  } catch {
    return entries; // no database: nothing was written
  }
  try {
    const rows = db.prepare("SELECT specifier, length(data) AS size FROM codecache").all();
    for (const row of rows) {
      const specifier = String(row.specifier);
      if (specifier.startsWith("file://")) {
        entries.set(specifier.slice(specifier.lastIndexOf("/") + 1), Number(row.size));
      }
    }
  } finally {
    db.close();
  }
  return entries;
}

/** The bytes of deno's code cache database and its write-ahead log, to see whether a run wrote. */
async function cacheBytes(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const name of ["v8_code_cache_v2", "v8_code_cache_v2-wal"]) {
    const bytes = await Deno.readFile(`${dir}/${name}`).catch(() => new Uint8Array());
    parts.push(`${name}:${bytes.length}:${await crypto.subtle.digest("SHA-256", bytes).then(hex)}`);
  }
  return parts.join(" ");
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** dist/ copied into DIR/bin, with a launcher whose own cache directory is `cache`. */
async function launcherCopy(dir: string, cache: string): Promise<string> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  for (const name of ["pptkit.js", "pptkit-hook.js"]) {
    await Deno.copyFile(`${ROOT}dist/${name}`, `${bin}/${name}`);
  }
  const launcher = await Deno.readTextFile(LAUNCHER);
  const line = "cache_dir=/var/db/pptkit/cache";
  assert.equal(launcher.split(line).length, 2, `the launcher names its cache in "${line}"`);
  await Deno.writeTextFile(`${bin}/pptkit`, launcher.replace(line, `cache_dir=${cache}`));
  await Deno.chmod(`${bin}/pptkit`, 0o755);
  return bin;
}

/** Runs a launcher (not dist/pptkit) without the tests' PPTKIT_CACHE_DIR, with `env` added. */
async function run(launcher: string, args: readonly string[], env: Record<string, string> = {}) {
  const base = Deno.env.toObject();
  delete base.PPTKIT_CACHE_DIR;
  const out = await new Deno.Command(launcher, {
    args: [...args],
    env: { ...base, PPTKIT_DENO: Deno.execPath(), ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A copy of the demo host the hook may write its locks into, and the two runs of these tests. */
async function cacheRuns(dir: string) {
  const snap = `${dir}/snap`;
  await copyDir(DEMO, snap);
  return [
    ["hook", "prestart", "--snapshot", snap, "--devices", "1/0/0,1/0/1", "vm1"],
    ["list", "--json", "--snapshot", snap],
  ];
}

Deno.test("launcher: V8's code cache of each bundle goes to PPTKIT_CACHE_DIR, once", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const cache = `${dir}/cache`;
    await Deno.mkdir(cache);
    const env = { PPTKIT_CACHE_DIR: cache, HOME: `${dir}/home`, DENO_DIR: `${dir}/deno-dir` };
    const runs = await cacheRuns(dir);
    const first = [];
    for (const args of runs) {
      const r = await pptkit(args, { env });
      assert.equal(r.code, 0, r.stderr);
      first.push(r.stdout);
    }
    // One entry per bundle, each holding the compiled code of every function (the hook's is
    // compiled whole, --no-lazy), and nothing where HOME or DENO_DIR point.
    const entries = codeCache(cache);
    assert.deepEqual([...entries.keys()].sort(), ["pptkit-hook.js", "pptkit.js"]);
    assert.ok(
      entries.get("pptkit-hook.js")! > 100_000,
      `hook entry: ${entries.get("pptkit-hook.js")}`,
    );
    assert.ok(!(await exists(`${dir}/home`)) && !(await exists(`${dir}/deno-dir`)));
    // The next runs find it: same output, and the cache is read, not written again.
    const before = await cacheBytes(cache);
    for (const [i, args] of runs.entries()) {
      const r = await pptkit(args, { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, first[i], args.join(" "));
    }
    assert.equal(await cacheBytes(cache), before, "a warm run writes nothing");
  } finally {
    await cleanup();
  }
});

Deno.test("launcher: a cache that cannot be used costs speed only (read-only, broken, in the way)", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const runs = await cacheRuns(dir);
    const expected = [];
    for (const args of runs) expected.push(await pptkit(args));
    // Read-only, warm: root may still write it, any other user only reads it.
    const readOnly = `${dir}/read-only`;
    await Deno.mkdir(readOnly);
    for (const args of runs) await pptkit(args, { env: { PPTKIT_CACHE_DIR: readOnly } });
    for await (const e of Deno.readDir(readOnly)) {
      if (e.isFile) await Deno.chmod(`${readOnly}/${e.name}`, 0o444);
    }
    await Deno.chmod(readOnly, 0o555);
    // Broken: garbage where the databases are; in the way: directories where they are.
    const broken = `${dir}/broken`, blocked = `${dir}/blocked`;
    await Deno.mkdir(broken);
    await Deno.mkdir(blocked);
    for (const name of ["v8_code_cache_v2", "dep_analysis_cache_v2", "node_analysis_cache_v2"]) {
      await Deno.writeFile(`${broken}/${name}`, new Uint8Array(4096).fill(0x5a));
      await Deno.mkdir(`${blocked}/${name}`);
    }
    for (const cache of [readOnly, broken, blocked]) {
      for (const [i, args] of runs.entries()) {
        const r = await pptkit(args, { env: { PPTKIT_CACHE_DIR: cache } });
        assert.equal(r.code, expected[i].code, `${cache}: ${args.join(" ")}: ${r.stderr}`);
        assert.equal(r.stdout, expected[i].stdout, `${cache}: ${args.join(" ")}`);
        assert.equal(r.stderr, expected[i].stderr, `${cache}: ${args.join(" ")}`);
      }
    }
    await Deno.chmod(readOnly, 0o755);
    // A cache directory that cannot be made (a file in its path): a launcher whose own cache
    // directory is there (PPTKIT_CACHE_DIR must exist to be taken as root).
    const bin = await launcherCopy(dir, `${dir}/a-file/cache`);
    await Deno.writeTextFile(`${dir}/a-file`, "");
    for (const [i, args] of runs.entries()) {
      const r = await run(`${bin}/pptkit`, args);
      assert.equal(r.code, expected[i].code, `under a file: ${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, expected[i].stdout, `under a file: ${args.join(" ")}`);
      assert.equal(r.stderr, expected[i].stderr, `under a file: ${args.join(" ")}`);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("launcher: hook runs pptkit-hook.js, every other command pptkit.js", async () => {
  const [dir, cleanup] = await scratch();
  try {
    await Deno.copyFile(LAUNCHER, `${dir}/pptkit`);
    await Deno.chmod(`${dir}/pptkit`, 0o755);
    const bundle = (name: string) => `console.log("${name}", Deno.args.join(" "));\n`;
    await Deno.writeTextFile(`${dir}/pptkit.js`, bundle("main"));
    const env = { PPTKIT_CACHE_DIR: TEST_CACHE };
    const which = async (...args: string[]) =>
      (await run(`${dir}/pptkit`, args, env)).stdout.trim();
    // Without a hook bundle (an older install) the main one runs the hook too.
    assert.equal(await which("hook", "prestart", "vm1"), "main hook prestart vm1");
    await Deno.writeTextFile(`${dir}/pptkit-hook.js`, bundle("hook"));
    // The command is found as pptkit finds it: the first word that is not an option or the
    // value of a global one (--snapshot, --root, --config).
    for (
      const [args, bundle] of [
        [["hook", "prestart", "vm1"], "hook"],
        [["--snapshot", "/tmp/s", "hook", "poststop", "vm1"], "hook"],
        [["-q", "--config=/x.jsonc", "hook", "--help"], "hook"],
        [["--vm", "hook", "list"], "hook"],
        [["--config", "hook", "list"], "main"],
        [["list", "hook"], "main"],
        [["help", "hook"], "main"],
        [["--version"], "main"],
      ] as const
    ) {
      assert.equal(await which(...args), `${bundle} ${args.join(" ")}`, args.join(" "));
    }
  } finally {
    await cleanup();
  }
});

/** The overrides the launcher checks as root: only a test run as root can see it check. */
const NOT_ROOT = Deno.uid() !== 0;
const ROOT_TEST =
  "launcher as root: PPTKIT_DENO, PPTKIT_BUNDLE, PPTKIT_CACHE_DIR of another user are ignored";
// `deno test --quiet` hides output printed outside a test: the reason is in the name too.
if (NOT_ROOT) console.log(`${ROOT_TEST}: skipped, the tests do not run as root`);

Deno.test({
  name: NOT_ROOT ? `${ROOT_TEST} (skipped: the tests do not run as root)` : ROOT_TEST,
  ignore: NOT_ROOT,
  async fn() {
    const [dir, cleanup] = await scratch();
    try {
      // A private directory of root's: what may be trusted.
      const own = `${dir}/own`;
      await Deno.mkdir(own, { mode: 0o755 });
      const log = `${dir}/ran.log`;
      const wrapper = (name: string) =>
        `#!/bin/sh\necho ${name} >>'${log}'\nexec '${Deno.execPath()}' "$@"\n`;
      const probe = 'console.log("probe bundle");\n';
      await Deno.writeTextFile(`${own}/deno`, wrapper("own"));
      await Deno.chmod(`${own}/deno`, 0o755);
      await Deno.writeTextFile(`${own}/probe.js`, probe);
      // Another user's file, a file anyone may write, a file in a directory anyone may write.
      const open = `${dir}/open`;
      await Deno.mkdir(open);
      await Deno.chmod(open, 0o777);
      for (
        const [path, mode, uid] of [
          [`${dir}/theirs`, 0o755, 65534],
          [`${dir}/writable`, 0o777, 0],
          [`${open}/deno`, 0o755, 0],
        ] as const
      ) {
        await Deno.writeTextFile(path, path.endsWith("deno") ? wrapper("open") : wrapper(path));
        await Deno.chmod(path, mode);
        await Deno.chown(path, uid, uid);
      }
      const path = `${Deno.execPath().replace(/\/[^/]+$/, "")}:/usr/bin:/bin`;
      const version = /^pptkit \d+\.\d+\.\d+\n$/;
      for (const deno of [`${dir}/theirs`, `${dir}/writable`, `${open}/deno`]) {
        const r = await pptkit(["--version"], { env: { PPTKIT_DENO: deno, PATH: path } });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, version, "the deno on PATH ran pptkit");
        assert.match(r.stderr, /^pptkit: warning: ignoring PPTKIT_DENO=.*: run as root/);
      }
      assert.ok(!(await exists(log)), "none of those ran");
      const trusted = await pptkit(["--version"], { env: { PPTKIT_DENO: `${own}/deno` } });
      assert.equal(trusted.stderr, "");
      assert.equal(await Deno.readTextFile(log), "own\n", "root's own deno ran");

      for (
        const [file, mode, uid] of [[`${dir}/b1.js`, 0o644, 65534], [
          `${dir}/b2.js`,
          0o666,
          0,
        ]] as const
      ) {
        await Deno.writeTextFile(file, probe);
        await Deno.chmod(file, mode);
        await Deno.chown(file, uid, uid);
        const r = await pptkit(["--version"], { env: { PPTKIT_BUNDLE: file } });
        assert.match(r.stdout, version, "pptkit's own bundle ran");
        assert.match(r.stderr, /^pptkit: warning: ignoring PPTKIT_BUNDLE=/);
      }
      const own_bundle = await pptkit(["--version"], { env: { PPTKIT_BUNDLE: `${own}/probe.js` } });
      assert.equal(own_bundle.stdout, "probe bundle\n");

      // An ignored cache directory falls back to the launcher's own; a copy of the launcher
      // whose own is in this scratch directory keeps the host's cache out of the test.
      const bin = await launcherCopy(dir, `${dir}/default-cache`);
      const theirs = `${dir}/their-cache`;
      await Deno.mkdir(theirs);
      await Deno.chmod(theirs, 0o777);
      const out = await run(`${bin}/pptkit`, ["--version"], { PPTKIT_CACHE_DIR: theirs });
      assert.match(out.stderr, /ignoring PPTKIT_CACHE_DIR=.*their-cache/);
      assert.deepEqual([...codeCache(theirs).keys()], [], "nothing written where others may write");
      assert.deepEqual([...codeCache(`${dir}/default-cache`).keys()], ["pptkit.js"]);
    } finally {
      await cleanup();
    }
  },
});
