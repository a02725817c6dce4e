/**
 * `deno task bench`: the performance budgets of DESIGN §15, measured in one run.
 *
 * Generates synthetic snapshot directories (bench/synth.ts: `pciconf -lbcv` text of 300, 1024
 * and 4096 devices) in a temporary directory, then runs, interleaved and repeated (after one
 * warm-up round that is not counted; the order rotates every round):
 *
 * - `deno run` of an empty script: the baseline every start-up ratio is taken against (and,
 *   with its cache directory removed before each run, the one of the empty-cache rows);
 * - through the launcher, `hook prestart` on 300 devices, `list` on 300 devices and
 *   `list --json` on 300 and 4096 devices, each with a warm code cache (the cache the runs
 *   before wrote) and with an empty one (the first run on a host that was not warmed); the hook
 *   also with a cache that holds deno's databases but none of pptkit's code (the first run
 *   after an upgrade). The launcher is a copy of dist/ in the temporary directory whose
 *   launchers differ from dist/pptkit in the one line that names the cache directory, so
 *   nothing else changes (an override through PPTKIT_CACHE_DIR would add the launcher's
 *   ownership check, two forks, to every run);
 * - `loadInventory` in a fresh process on the text of 1024 and 4096 devices (parse +
 *   inventory: the first call, as a command pays it, and warm calls, which show the cost per
 *   device without the compiler's fixed start);
 * - `plan` for a VM of 256 entries, in process (the command's `run`), when `plan` is built.
 *
 * Each figure is the median of the rounds with its spread (min-max). Each run of a row with a
 * ratio comes right after a run of its baseline (the empty run; for an empty-cache row the empty
 * run with its cache removed too): the ratio printed is the median of those pairs' ratios.
 * Nothing here is a test: the suite never asserts a time.
 *
 * Options: `--rounds N` (default 15), `--seed N` (default 1), `--keep` (leave the generated
 * snapshots and print where). Internal: `--probe inventory|plan DIR` (one timed call in this
 * process, printed as JSON).
 *
 * @module
 */

import { COMMANDS } from "../cli/commands.ts";
import type { Context } from "../cli/command.ts";
import { PptkitError } from "../core/errors.ts";
import type { Host } from "../core/host/host.ts";
import { SnapshotHost } from "../core/host/snapshot.ts";
import { loadConfig } from "../core/config.ts";
import { loadInventory } from "../app/host_state.ts";
import { parsePciconf } from "../core/pciconf.ts";
import { hostPlugins } from "../app/plugins.ts";
import { planVm } from "../core/slots/plan.ts";
import { loadVmConfig } from "../core/vms/index.ts";
import {
  generate,
  HOOK_VM,
  PLAN_VM,
  type SynthHost,
  type SynthOptions,
  writeHost,
} from "./synth.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DIST = `${ROOT}dist`;
const DENO = Deno.execPath();
/** deno first, as the launcher finds it on a host (PPTKIT_DENO would cost it a check). */
const SEARCH_PATH = `${DENO.slice(0, DENO.lastIndexOf("/"))}:/usr/bin:/bin`;
const decoder = new TextDecoder();
/** The launcher's line that names the cache directory: the one line the bench's copies change. */
const CACHE_LINE = "cache_dir=/var/db/pptkit/cache";
/** The launcher's V8 flags for every command but `hook`, which the probes run with too. */
let mainFlags = "";

// ---------------------------------------------------------------------------------------------
// Probes: one timed call in a fresh process

/**
 * A host held in memory, so the probe times parsing and inventory, not the disk. Only what
 * loadInventory asks of a host is answered; the rest is not needed here.
 */
function memoryHost(files: ReadonlyMap<string, string>): Host {
  const under = (path: string) => `root${path}`;
  const host = {
    kind: "snapshot" as const,
    description: "snapshot bench",
    realPath: (path: string) => under(path),
    capture: (name: string) => Promise.resolve(files.get(`${name}.txt`) ?? null),
    readText: (path: string) => Promise.resolve(files.get(under(path)) ?? null),
    readDir: (path: string) => {
      const prefix = under(path) + "/";
      const names = [...files.keys()].filter((f) => f.startsWith(prefix))
        .map((f) => f.slice(prefix.length).split("/")[0]);
      return Promise.resolve(names.length === 0 ? null : [...new Set(names)].sort());
    },
    stat: (path: string) => {
      const text = files.get(under(path));
      return Promise.resolve(
        text === undefined ? null : {
          isFile: true,
          isDirectory: false,
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: text.length,
          mtime: 0,
        },
      );
    },
  } satisfies Partial<Host>;
  return host as unknown as Host;
}

async function readTree(dir: string, prefix = ""): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory) { for (const [k, v] of await readTree(dir, rel)) files.set(k, v); }
    else files.set(rel, await Deno.readTextFile(`${dir}/${rel}`));
  }
  return files;
}

/** Prints `{cold, warm, devices}` for loadInventory on a snapshot held in memory. */
async function probeInventory(dir: string): Promise<void> {
  const host = memoryHost(await readTree(dir));
  let start = performance.now();
  const inventory = await loadInventory(host);
  const cold = performance.now() - start;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    start = performance.now();
    await loadInventory(host);
    warm.push(performance.now() - start);
  }
  console.log(JSON.stringify({ cold, warm: median(warm), devices: inventory.devices.length }));
}

/** Prints `{cold, warm, code, stderr}` for the plan command's run, in this process. */
/**
 * The planning itself (DESIGN §15 "plan for 256 entries"): guest slot allocation with the
 * plugins' grouping, for the plan VM of `dir`, timed on its first call in a fresh process once
 * the inputs (config, VM config, devices, plugins) are loaded.
 */
async function probePlanning(dir: string): Promise<void> {
  const host = await SnapshotHost.open(dir);
  const config = await loadConfig(host, undefined);
  const vm = await loadVmConfig(host, config, PLAN_VM);
  const devices = parsePciconf((await host.capture("pciconf")) ?? "", "pciconf.txt", {
    slots: vm.passthru.map((e) => e.address),
  }).devices;
  const plugins = await hostPlugins(host, config);
  const start = performance.now();
  // A refusal (a PptkitError: 256 entries cannot fit bus 0) is an answer too; only a bug is not.
  let code = 0;
  let stderr = "";
  try {
    planVm(vm, devices, { plugins });
  } catch (e) {
    if (!(e instanceof PptkitError)) code = 70;
    stderr = e instanceof Error ? e.message : String(e);
  }
  console.log(
    JSON.stringify({ cold: performance.now() - start, code, stderr, entries: vm.passthru.length }),
  );
}

async function probePlan(dir: string): Promise<void> {
  const entry = COMMANDS.find((c) => c.name === "plan");
  if (entry === undefined) {
    console.log(JSON.stringify({ missing: true }));
    return;
  }
  const command = await entry.load();
  const once = async () => {
    let stderr = "";
    const ctx: Context = {
      args: [PLAN_VM],
      options: command.options.some((o) => o.name === "format") ? { format: "json" } : {},
      global: {
        snapshot: dir,
        json: false,
        color: false,
        quiet: true,
        verbose: false,
      },
      out: {
        stdout: () => {},
        stderr: (text) => stderr += text,
        color: false,
        columns: null,
      },
      host: () => SnapshotHost.open(dir),
      config: async () => await loadConfig(await SnapshotHost.open(dir), undefined),
      stdin: () => Promise.resolve(""),
    };
    const start = performance.now();
    let code: number;
    try {
      code = await command.run(ctx);
    } catch (e) {
      // What main.ts would exit with: the error's code, or 70 for a bug.
      code = e instanceof PptkitError ? e.exitCode : 70;
      stderr += e instanceof Error ? e.message : String(e);
    }
    return { ms: performance.now() - start, code, stderr };
  };
  const first = await once();
  const warm: number[] = [];
  for (let i = 0; i < 4; i++) warm.push((await once()).ms);
  console.log(JSON.stringify({
    cold: first.ms,
    warm: median(warm),
    code: first.code,
    stderr: first.stderr.split("\n")[0],
  }));
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function ms(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

function spread(values: readonly number[]): string {
  const lo = Math.min(...values), hi = Math.max(...values);
  const f = (v: number) => (hi >= 100 ? v.toFixed(0) : v.toFixed(1));
  return `${f(lo)}-${f(hi)} ms`;
}

// ---------------------------------------------------------------------------------------------
// Measured rows

/** What one run of a row gives: the time that counts, and whether the run did its job. */
interface Sample {
  readonly ms: number;
  readonly ok: boolean;
  readonly note?: string;
  /** The baseline's run just before this one: the other half of the pair. */
  base?: number;
}

interface Row {
  readonly label: string;
  /** Compared with the baseline of the same round. */
  readonly ratio: boolean;
  /** That baseline, when not the empty run with a warm cache (the empty-cache rows). */
  baseline?: Row;
  readonly budget?: {
    readonly text: string;
    readonly pass: (median: number, ratio: number) => boolean;
  };
  readonly run: () => Promise<Sample>;
  readonly samples: Sample[];
}

/** Runs a command in an environment of `env` alone (nothing of the caller's leaks in). */
async function spawn(cmd: string, args: string[], env: Record<string, string> = {}, cwd?: string) {
  const start = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    env: { PATH: SEARCH_PATH, ...env },
    clearEnv: true,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wall = performance.now() - start;
  return {
    wall,
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** The first non-empty line, cut to fit the report. */
function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "";
  return line.length > 110 ? line.slice(0, 107) + "..." : line;
}

/** A command line timed from outside; `check` says whether its output is what it should be. */
function processRow(
  label: string,
  cmd: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    check?: (stdout: string) => boolean;
    budget?: Row["budget"];
    /** Before each run, untimed (an emptied cache). */
    before?: () => Promise<void>;
  } = {},
): Row {
  return {
    label,
    ratio: true,
    budget: options.budget,
    samples: [],
    async run() {
      await options.before?.();
      const r = await spawn(cmd, args, options.env, options.cwd);
      const ok = r.code === 0 && (options.check?.(r.stdout) ?? true);
      return {
        ms: r.wall,
        ok,
        note: ok ? undefined : `exit ${r.code}: ${firstLine(r.stderr) || "unexpected output"}`,
      };
    },
  };
}

/** What a probe times: parse + inventory, the planning alone, or the plan command in process. */
export type ProbeKind = "inventory" | "plan" | "planning";

/**
 * deno's arguments for one probe of `dir` in a fresh process, which may read and write only
 * `readDir` (tests/bench_test.ts runs each probe with them, so the bench cannot rot unseen).
 */
export function probeArgs(
  kind: ProbeKind,
  dir: string,
  readDir: string,
  v8Flags: string,
): string[] {
  return [
    "run",
    "--quiet",
    ...(v8Flags === "" ? [] : [`--v8-flags=${v8Flags}`]),
    `--allow-read=${readDir}`,
    `--allow-write=${readDir}`,
    "--allow-env=NO_COLOR,PPTKIT_*,HOME",
    "--allow-sys=uid",
    new URL(import.meta.url).pathname,
    "--probe",
    kind,
    dir,
  ];
}

/** A probe in a fresh process; the time is what the probe measured inside. */
function probeRow(
  label: string,
  kind: ProbeKind,
  dir: string,
  readDir: string,
  pick: (r: Record<string, number>) => number,
  budget?: Row["budget"],
): Row {
  return {
    label,
    ratio: false,
    budget,
    samples: [],
    async run() {
      // The V8 tiers the launcher runs list and plan with (launcher.sh): what ships is timed.
      const r = await spawn(DENO, probeArgs(kind, dir, readDir, mainFlags));
      if (r.code !== 0) return { ms: NaN, ok: false, note: firstLine(r.stderr) };
      const result = JSON.parse(r.stdout);
      const ok = result.code === undefined || result.code === 0;
      return {
        ms: pick(result),
        ok,
        note: ok ? undefined : `exit ${result.code}: ${firstLine(result.stderr)}`,
      };
    },
  };
}

function parseOptions(args: readonly string[]) {
  const options = { rounds: 15, seed: 1, keep: false };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--rounds") options.rounds = Math.max(1, Number(args[++i]) || 15);
    else if (args[i] === "--seed") options.seed = Number(args[++i]) || 1;
    else if (args[i] === "--keep") options.keep = true;
    else {
      console.error(`bench: unknown argument "${args[i]}"`);
      console.error("hint: deno task bench [--rounds N] [--seed N] [--keep]");
      Deno.exit(64);
    }
  }
  return options;
}

/**
 * Copies dist/ into `dir` with two launchers, `pptkit-warm` and `pptkit-cold`, which differ
 * from dist/pptkit only in the cache directory they name.
 */
async function stageDist(dir: string): Promise<{ warm: string; cold: string; coldCache: string }> {
  await Deno.mkdir(`${dir}/dist`, { recursive: true });
  for (const name of ["pptkit.js", "pptkit-hook.js"]) {
    await Deno.copyFile(`${DIST}/${name}`, `${dir}/dist/${name}`);
  }
  const launcher = await Deno.readTextFile(`${DIST}/pptkit`);
  if (launcher.split(CACHE_LINE).length !== 2) {
    throw new Error(`dist/pptkit does not name its cache directory in one line "${CACHE_LINE}"`);
  }
  const paths = { warm: "", cold: "", coldCache: `${dir}/cache-cold` };
  for (const kind of ["warm", "cold"] as const) {
    const path = `${dir}/dist/pptkit-${kind}`;
    await Deno.writeTextFile(path, launcher.replace(CACHE_LINE, `cache_dir=${dir}/cache-${kind}`));
    await Deno.chmod(path, 0o755);
    paths[kind] = path;
  }
  return paths;
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  try {
    for (const name of ["pptkit.js", "pptkit-hook.js", "pptkit"]) {
      await Deno.stat(`${DIST}/${name}`);
    }
  } catch {
    console.error("bench: dist/ is not built");
    console.error("hint: run deno task bench (it builds the bundles first)");
    Deno.exit(66);
  }
  // The flags of a run that finds its code cache: the command's, then the launcher's `eager`.
  const launcherText = await Deno.readTextFile(`${DIST}/pptkit`);
  const flags = /^\*\) v8_flags=(\S+) ;;$/m.exec(launcherText);
  const eager = /^eager=(\S+)$/m.exec(launcherText);
  if (flags === null || eager === null) throw new Error("dist/pptkit: no v8_flags/eager lines");
  mainFlags = flags[1] + eager[1];
  const tmp = await Deno.makeTempDir({ prefix: "pptkit-bench-" });
  // s300: list and hook (and plan of 256 virtual functions of 2 cards); splan: 25 cards of 8
  // virtual functions, the 200 entries that fill bus 0's guest slots 6-30 (8 functions each).
  const specs: [string, SynthOptions][] = [
    ["s300", { devices: 300, seed: options.seed, sriov: { cards: 2, vfsPerPort: 64 } }],
    ["splan", { devices: 300, seed: options.seed, sriov: { cards: 25, vfsPerPort: 4 } }],
    ["s1024", { devices: 1024, seed: options.seed }],
    ["s4096", { devices: 4096, seed: options.seed }],
  ];
  const hosts = new Map<string, SynthHost>();
  for (const [name, spec] of specs) {
    const host = generate(spec);
    hosts.set(name, host);
    await writeHost(`${tmp}/${name}`, host);
  }
  await Deno.writeTextFile(`${tmp}/empty.js`, "");
  const launchers = await stageDist(tmp);
  const emptyCache = async () => {
    await Deno.remove(launchers.coldCache, { recursive: true }).catch(() => {});
  };
  // deno's databases as an empty run leaves them: a cache with none of pptkit's code, as after
  // an upgrade of pptkit (its bundles changed) on a host whose cache deno made long ago.
  const template = `${tmp}/cache-template`;
  await spawn(DENO, ["run", "--quiet", "empty.js"], { DENO_DIR: template }, tmp);
  const foreignCache = async () => {
    await emptyCache();
    await Deno.mkdir(launchers.coldCache);
    for await (const e of Deno.readDir(template)) {
      if (e.isFile) {
        await Deno.copyFile(`${template}/${e.name}`, `${launchers.coldCache}/${e.name}`);
      }
    }
  };
  const has = (name: string) => COMMANDS.some((c) => c.name === name);
  const isInventory = (stdout: string) => JSON.parse(stdout).schema === "pptkit.inventory/1";
  const isTable = (stdout: string) => stdout.includes("Bhyve Passthru Devices");
  const env = { NO_COLOR: "1" };
  const s300 = `${tmp}/s300`;
  /** A command through the launcher, with a warm code cache and with an empty one. */
  const launched = (
    label: string,
    args: string[],
    check?: (stdout: string) => boolean,
    budgets: { warm?: Row["budget"]; cold?: Row["budget"] } = {},
  ): Row[] => [
    processRow(`${label} (warm cache)`, launchers.warm, args, { env, check, budget: budgets.warm }),
    {
      ...processRow(`${label} (empty cache)`, launchers.cold, args, {
        env,
        check,
        budget: budgets.cold,
        before: emptyCache,
      }),
      baseline: coldBaseline,
    },
  ];

  // The baseline's own cache (the code cache of an empty file) is warm after the warm-up round.
  const baseline = processRow("empty deno run (baseline)", DENO, ["run", "--quiet", "empty.js"], {
    cwd: tmp,
    env: { DENO_DIR: `${tmp}/cache-empty` },
  });
  // The empty-cache rows are also compared with an empty run whose cache directory is empty:
  // deno makes its databases there first, which is deno's cost, not pptkit's.
  const coldBaseline = processRow(
    "empty deno run, empty cache (baseline)",
    DENO,
    ["run", "--quiet", "empty.js"],
    {
      cwd: tmp,
      env: { DENO_DIR: `${tmp}/cache-empty-cold` },
      before: () => Deno.remove(`${tmp}/cache-empty-cold`, { recursive: true }).catch(() => {}),
    },
  );
  const hookBudgets = {
    warm: { text: "<= 1.5x empty", pass: (_m: number, r: number) => r <= 1.5 },
    cold: { text: "<= 2.0x empty", pass: (_m: number, r: number) => r <= 2.0 },
  };
  const hookArgs = ["hook", "prestart", "--snapshot", s300, "--wrapper", "native", HOOK_VM];
  const rows: Row[] = [
    baseline,
    coldBaseline,
    ...(has("hook")
      ? [
        ...launched("hook prestart, 300 devices", hookArgs, undefined, hookBudgets),
        processRow("hook prestart, 300 devices (no pptkit code cached)", launchers.cold, hookArgs, {
          env,
          before: foreignCache,
        }),
      ]
      : []),
    ...launched("list, 300 devices", ["list", "--snapshot", s300], isTable),
    processRow("list --json, 300 devices (warm cache)", launchers.warm, [
      "list",
      "--json",
      "--snapshot",
      s300,
    ], { env, check: isInventory }),
    ...launched(
      "list --json, 4096 devices",
      ["list", "--json", "--snapshot", `${tmp}/s4096`],
      isInventory,
    ),
    probeRow("  parse+inventory 1024, first call", "inventory", `${tmp}/s1024`, tmp, (r) => r.cold),
    probeRow(
      "  parse+inventory 4096, first call",
      "inventory",
      `${tmp}/s4096`,
      tmp,
      (r) => r.cold,
      { text: "< 100 ms", pass: (m) => m < 100 },
    ),
    probeRow("  parse+inventory 1024, warm", "inventory", `${tmp}/s1024`, tmp, (r) => r.warm),
    probeRow("  parse+inventory 4096, warm", "inventory", `${tmp}/s4096`, tmp, (r) => r.warm),
  ];
  const planBudget = { text: "< 20 ms", pass: (m: number) => m < 20 };
  const planRow = (label: string, dir: string) =>
    probeRow(label, "planning", dir, tmp, (r) => r.cold, planBudget);
  const later: (Row | string)[] = [
    ...(has("hook") ? [] : [placeholder("hook prestart, 300 devices", hookBudgets.warm.text)]),
    ...(has("plan")
      ? [
        planRow("plan 256 entries: planning (refused: > 8 per slot)", s300),
        planRow("plan 200 entries: planning", `${tmp}/splan`),
        probeRow("  plan 200 entries, whole command", "plan", `${tmp}/splan`, tmp, (r) => r.cold),
      ]
      : [placeholder("plan, 256 entries", planBudget.text)]),
  ];
  const measured = [...rows, ...later.filter((r): r is Row => typeof r !== "string")];

  // A warm cache is one the runs before wrote: a run finds no cache directory (deno makes it),
  // the next one writes the code, every run after it reads it.
  for (const row of measured.filter((r) => r.label.endsWith("(warm cache)"))) {
    for (let i = 0; i < 2; i++) await row.run();
  }
  // Every run of a row with a ratio comes right after a run of its baseline: the two are a
  // pair, and the ratio is the median of the pairs' ratios.
  const baselines = new Set([baseline, coldBaseline]);
  for (let round = 0; round <= options.rounds; round++) {
    for (let i = 0; i < measured.length; i++) {
      const row = measured[(i + round) % measured.length];
      const base = row.ratio && !baselines.has(row) ? await (row.baseline ?? baseline).run() : null;
      const sample = await row.run();
      if (base !== null) sample.base = base.ms;
      if (round > 0) row.samples.push(sample);
    }
  }

  const s300Host = hosts.get("s300")!, planHost = hosts.get("splan")!;
  console.log(
    `pptkit bench: ${options.rounds} rounds (+1 warm-up), interleaved; deno ${Deno.version.deno}` +
      ` ${Deno.build.target}, ${navigator.hardwareConcurrency} CPUs`,
  );
  console.log(
    `synthetic hosts (seed ${options.seed}, pciconf -lbcv): 300 devices (${s300Host.ppt} on ppt;` +
      ` hook VM ${s300Host.hookVm.length} devices, plan VM ${s300Host.planVm.length} virtual` +
      ` functions of 2 cards), 300 devices (plan VM ${planHost.planVm.length} virtual functions` +
      " of 25 cards), 1024 and 4096 devices",
  );
  console.log("");
  console.log(
    ["".padEnd(LABEL), "median".padEnd(10), "spread".padEnd(16), "x empty".padEnd(9), "budget"]
      .join(" ") + " (DESIGN §15)",
  );
  for (const row of rows) console.log(formatRow(row, baseline));
  const warm = (devices: number) =>
    median(rows.find((r) => r.label.includes(`${devices}, warm`))!.samples.map((s) => s.ms));
  const growth = warm(4096) / warm(1024);
  console.log(
    `  scaling, warm: ${(warm(1024) * 1000 / 1024).toFixed(1)} -> ` +
      `${(warm(4096) * 1000 / 4096).toFixed(1)} us per device; 4x the devices cost ` +
      `${growth.toFixed(2)}x (${growth <= 5 ? "linear" : "worse than linear"})`,
  );
  for (const row of later) console.log(typeof row === "string" ? row : formatRow(row, baseline));
  // What a warm start loads grows with the bundle (V8's code cache holds every function).
  const kb = async (name: string) =>
    `${Math.round((await Deno.stat(`${DIST}/${name}`)).size / 1000)} KB`;
  console.log(
    `\nbundles: dist/pptkit-hook.js ${await kb("pptkit-hook.js")}, dist/pptkit.js ` +
      `${await kb("pptkit.js")}; load average ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
  );
  console.log(
    `launchers: dist/pptkit with its cache directory at ${tmp}/cache-warm (kept between` +
      " runs) and at cache-cold (removed before each run); V8 flags as launcher.sh sets them." +
      "\nAn empty-cache row's x empty is to the empty run whose cache directory is removed too" +
      " (deno makes its databases first in both); the figure in brackets is to the warm one." +
      "\nNo pptkit code cached: deno's databases exist (made by an empty run) without pptkit's" +
      " code, as on the first run after an upgrade.",
  );
  if (options.keep) console.log(`\nsnapshots kept in ${tmp}`);
  else await Deno.remove(tmp, { recursive: true });
}

const LABEL = 42;

/** A row for a command that is not in cli/commands.ts yet. */
function placeholder(label: string, budget: string): string {
  return [label.padEnd(LABEL), "not built yet".padEnd(10 + 1 + 16 + 1 + 9), budget].join(" ");
}

/** One line (and a second with the reason when a run failed). */
function formatRow(row: Row, warmBaseline: Row): string {
  const baseline = row.baseline ?? warmBaseline;
  const failed = row.samples.find((s) => !s.ok);
  const values = row.samples.map((s) => s.ms).filter((v) => Number.isFinite(v));
  if (values.length === 0) return `${row.label.padEnd(LABEL)} failed: ${failed?.note ?? "?"}`;
  const m = median(values);
  const ratioTo = (base: Row) =>
    median(row.samples.map((s, i) => s.ms / base.samples[i].ms).filter((r) => Number.isFinite(r)));
  const paired = row.samples.map((s) => s.ms / (s.base ?? NaN)).filter((r) => Number.isFinite(r));
  const ratio = paired.length > 0 ? median(paired) : ratioTo(baseline);
  const alsoWarm = row.baseline === undefined
    ? ""
    : ` (${ratioTo(warmBaseline).toFixed(2)}x the empty run with a warm cache)`;
  const verdict = row.budget === undefined
    ? ""
    : `${row.budget.text.padEnd(15)} ${
      failed !== undefined ? "FAILED" : row.budget.pass(m, ratio) ? "PASS" : "OVER"
    }`;
  return [
    row.label.padEnd(LABEL),
    ms(m).padEnd(10),
    spread(values).padEnd(16),
    (row.ratio ? `${ratio.toFixed(2)}x` : "").padEnd(9),
    verdict + alsoWarm,
  ].join(" ").trimEnd() + (failed === undefined ? "" : `\n${"".padEnd(LABEL + 2)}${failed.note}`);
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--probe");
  if (at >= 0) {
    const [kind, dir] = Deno.args.slice(at + 1);
    await (kind === "plan"
      ? probePlan(dir)
      : kind === "planning"
      ? probePlanning(dir)
      : probeInventory(dir));
  } else {
    await main();
  }
}
