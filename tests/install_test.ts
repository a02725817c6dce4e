/**
 * `deno task install` (install.ts) into a temporary DESTDIR: the port-like layout, the modes,
 * an installed launcher that finds its bundle, and a sample configuration pptkit accepts.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { defaultConfig, parseConfig } from "../core/config.ts";
import { install, SAMPLE_CONFIG } from "../install.ts";
import { ROOT, scratch } from "./helpers.ts";

const dec = new TextDecoder();

async function namesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  } catch {
    // a source directory that does not exist yet installs nothing
  }
  return names.sort();
}

async function runTask(env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      `${ROOT}install.ts`,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("install: bin, libexec, man page, hooks, plugins, sample config, with port modes", async () => {
  const [destdir, cleanup] = await scratch();
  try {
    const r = await runTask({ DESTDIR: destdir, PREFIX: "/usr/local" });
    assert.equal(r.code, 0, r.stderr);
    // Staged: the code cache is for the first run on the host (it is keyed by the final path).
    assert.match(r.stderr, /^note: V8's code cache is written by the first run on the host/);
    assert.equal(r.stderr.split("\n").filter((l) => l !== "").length, 1, r.stderr);
    const base = `${destdir}/usr/local`;
    const expected: [string, number][] = [
      ["bin/pptkit", 0o555],
      ["libexec/pptkit/pptkit.js", 0o444],
      ["libexec/pptkit/pptkit-hook.js", 0o444],
      ["etc/pptkit/pptkit.jsonc.sample", 0o644],
    ];
    if ((await namesIn(`${ROOT}docs`)).includes("pptkit.8")) {
      expected.push(["share/man/man8/pptkit.8", 0o444]);
    }
    for (const name of await namesIn(`${ROOT}hooks`)) {
      expected.push([`share/pptkit/hooks/${name}`, 0o555]);
    }
    for (const name of await namesIn(`${ROOT}plugins`)) {
      expected.push([`share/pptkit/plugins/${name}`, 0o444]);
    }
    for (const [path, mode] of expected) {
      const info = await Deno.stat(`${base}/${path}`);
      assert.equal((info.mode! & 0o7777).toString(8), mode.toString(8), path);
      assert.match(r.stdout, new RegExp(`^0${mode.toString(8)} ${base}/${path}$`, "m"));
    }
    assert.equal(r.stdout.trimEnd().split("\n").length, expected.length, "nothing else");
    for (const name of ["pptkit.js", "pptkit-hook.js"]) {
      assert.equal(
        await Deno.readTextFile(`${base}/libexec/pptkit/${name}`),
        await Deno.readTextFile(`${ROOT}dist/${name}`),
      );
    }
    for (const dir of ["bin", "libexec/pptkit", "etc/pptkit", "share/pptkit"]) {
      assert.equal(((await Deno.stat(`${base}/${dir}`)).mode! & 0o777).toString(8), "755", dir);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("install: the installed launcher runs its bundle from ../libexec (--version)", async () => {
  const [destdir, cleanup] = await scratch();
  try {
    for (const prefix of ["/usr/local", "/opt/pptkit"]) {
      await install({ prefix, destdir });
      const out = await new Deno.Command(`${destdir}${prefix}/bin/pptkit`, {
        args: ["--version"],
        env: { PPTKIT_DENO: Deno.execPath() },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, dec.decode(out.stderr));
      assert.match(dec.decode(out.stdout), /^pptkit \d+\.\d+\.\d+\n$/);
    }
    // A second install over the first (read-only files included) works.
    await install({ prefix: "/usr/local", destdir });
  } finally {
    await cleanup();
  }
});

Deno.test("install: in place, it warms the code cache of both bundles for their first runs", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const cache = `${dir}/cache`;
    await Deno.mkdir(cache);
    const prefix = `${dir}/usr/local`;
    const r = await runTask({
      PREFIX: prefix,
      PPTKIT_CACHE_DIR: cache,
      PATH: `${Deno.execPath().replace(/\/[^/]+$/, "")}:/usr/bin:/bin`,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /code cache/, "warmed, no note");
    const db = new DatabaseSync(`${cache}/v8_code_cache_v2`, { readOnly: true });
    try {
      const specifiers = db.prepare("SELECT specifier FROM codecache").all().map((row) =>
        String(row.specifier)
      ).sort();
      assert.deepEqual(specifiers, [
        `file://${prefix}/libexec/pptkit/pptkit-hook.js`,
        `file://${prefix}/libexec/pptkit/pptkit.js`,
      ]);
    } finally {
      db.close();
    }
    // Without deno to run, the install still succeeds and says the first run warms it.
    const bare = await runTask({
      PREFIX: `${dir}/bare`,
      PPTKIT_CACHE_DIR: cache,
      PPTKIT_DENO: `${dir}/no-deno`,
    });
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stderr, /^note: V8's code cache is not warmed \(pptkit --version exited 69/);
  } finally {
    await cleanup();
  }
});

Deno.test("install: PREFIX and DESTDIR must be absolute; a missing bundle says so", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const relative = await runTask({ DESTDIR: dir, PREFIX: "usr/local" });
    assert.equal(relative.code, 64);
    assert.equal(relative.stderr, "pptkit: PREFIX=usr/local is not an absolute path\n");
    await assert.rejects(install({ prefix: "/usr/local", destdir: dir, source: dir }));
  } finally {
    await cleanup();
  }
});

/** The sample with every commented-out setting switched on. */
function uncommented(sample: string): string {
  return sample.split("\n").map((line) => {
    const m = /^(\s*)\/\/ (\s*)(["}].*)$/.exec(line);
    return m === null ? line : m[1] + m[2] + m[3];
  }).join("\n");
}

Deno.test("install: the sample config is valid as shipped and with every setting on", () => {
  const shipped = parseConfig(SAMPLE_CONFIG, "pptkit.jsonc.sample");
  assert.deepEqual({ ...shipped, file: null }, defaultConfig());
  const on = uncommented(SAMPLE_CONFIG);
  assert.notEqual(on, SAMPLE_CONFIG);
  const all = parseConfig(on, "pptkit.jsonc.sample");
  const defaults = defaultConfig();
  // Every key of the configuration appears, with its default where it has one.
  for (const key of Object.keys(defaults).filter((k) => k !== "file")) {
    assert.match(SAMPLE_CONFIG, new RegExp(`"${key}"`), key);
  }
  assert.deepEqual(all.sources, ["native", "hoster", "vm-bhyve", "cbsd"]);
  assert.deepEqual(all.hoster.configDirs, defaults.hoster.configDirs);
  assert.equal(all.native.dir, defaults.native.dir);
  assert.equal(all.stateDir, defaults.stateDir);
  assert.equal(all.runDir, defaults.runDir);
  assert.deepEqual(all.pluginDirs, defaults.pluginDirs);
  assert.equal(all.quirksDir, defaults.quirksDir);
  assert.equal(all.vmBhyve.vmDir, "zfs:zroot/vm");
});
