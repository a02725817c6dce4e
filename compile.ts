/**
 * `deno task compile`: dist/pptkit.js as one self-contained binary, `dist/pptkit-<target>`, with
 * the permissions of the launcher baked in (its default read and write paths, commands,
 * environment variables; no network).
 *
 * `deno compile` needs `denort`, the runtime it appends the program to. It is taken from
 * `DENORT_BIN`, else from next to deno (FreeBSD's deno package installs
 * `/usr/local/bin/denort`), else from PATH, else from deno's own download cache. pptkit never
 * downloads it: without one this prints one line, points at the bundle, and exits 69.
 *
 * A compiled binary cannot widen its permissions at run time the way the launcher does for the
 * paths named on a command line (`--snapshot DIR`, `snapshot DIR`, `--config FILE`,
 * `PPTKIT_ALLOW_READ`): those must lie inside the default paths, or use the bundle.
 *
 * Options: `--target TARGET` (default: this machine's), `--output FILE` (default:
 * `dist/pptkit-TARGET`). After a build for this machine the binary must answer `--version`
 * with pptkit's version, or it is removed (a `DENORT_BIN` that is not denort builds a binary
 * that runs something else).
 *
 * @module
 */

const ROOT = new URL(".", import.meta.url).pathname;
const BUNDLE = `${ROOT}dist/pptkit.js`;

/** The lines of launcher.sh that hold its default permissions. */
const PERMISSION_LINE = /^(read_paths|write_paths|run_commands|env_names|sys_names)="([^"]*)"$/;

/**
 * The launcher's default permission flags, read from its `name="..."` / `name="$name,..."`
 * lines (so the two cannot drift apart).
 */
export function permissionFlags(launcher: string): string[] {
  const values = new Map<string, string>();
  for (const line of launcher.split("\n")) {
    const m = PERMISSION_LINE.exec(line);
    if (m === null) continue;
    const [, name, value] = m;
    const expanded = value.replaceAll(/\$([a-z_]+)/g, (_, ref: string) => values.get(ref) ?? "");
    values.set(name, expanded);
  }
  const flag = (option: string, name: string) => {
    const value = values.get(name);
    if (value === undefined || value === "" || value.split(",").includes("")) {
      throw new Error(`launcher.sh: no usable ${name}="..." line`);
    }
    return `--allow-${option}=${value}`;
  };
  return [
    flag("read", "read_paths"),
    flag("write", "write_paths"),
    flag("run", "run_commands"),
    flag("env", "env_names"),
    flag("sys", "sys_names"),
  ];
}

function fail(code: number, message: string, hint?: string): never {
  console.error(`pptkit: ${message}`);
  if (hint !== undefined) console.error(`hint: ${hint}`);
  Deno.exit(code);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** deno's directory of caches (`deno info --json`), for a denort it downloaded before. */
async function denoDir(): Promise<string | null> {
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? JSON.parse(new TextDecoder().decode(out.stdout)).denoDir ?? null : null;
  } catch {
    return null;
  }
}

/** Where denort is: a path for DENORT_BIN, "cached" for deno's download cache, or null. */
async function findDenort(target: string): Promise<string | "cached" | null> {
  const given = Deno.env.get("DENORT_BIN");
  if (given !== undefined && given !== "") {
    if (await isFile(given)) return given;
    fail(
      69,
      `DENORT_BIN=${given}: no such file`,
      "point DENORT_BIN at denort (FreeBSD: /usr/local/bin/denort, from pkg install deno)",
    );
  }
  if (target === Deno.build.target) {
    const beside = Deno.execPath().replace(/[^/]+$/, "denort");
    const onPath = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "")
      .map((d) => `${d}/denort`);
    for (const candidate of [beside, ...onPath]) if (await isFile(candidate)) return candidate;
  }
  const dir = await denoDir();
  const cached = `${dir}/dl/release/v${Deno.version.deno}/denort-${target}.zip`;
  if (dir !== null && await isFile(cached)) return "cached";
  return null;
}

function parseOptions(args: readonly string[]): { target: string; output?: string } {
  let target = Deno.build.target as string;
  let output: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--target" && i + 1 < args.length) target = args[++i];
    else if (args[i] === "--output" && i + 1 < args.length) output = args[++i];
    else {fail(
        64,
        `compile: unexpected argument "${args[i]}"`,
        "usage: deno task compile [--target TARGET] [--output FILE]",
      );}
  }
  return { target, output };
}

async function main(): Promise<void> {
  const { target, output = `${ROOT}dist/pptkit-${target}` } = parseOptions(Deno.args);
  const denort = await findDenort(target);
  if (denort === null) {
    fail(
      69,
      `cannot compile a single binary for ${target}: no denort (DENORT_BIN unset, none next ` +
        "to deno, on PATH or in deno's cache), and pptkit does not download it",
      "ship dist/pptkit.js with the launcher dist/pptkit (deno task bundle), or build on a " +
        "FreeBSD host: pkg install deno; DENORT_BIN=/usr/local/bin/denort deno task compile",
    );
  }
  if (!(await isFile(BUNDLE))) {
    fail(66, "dist/pptkit.js is missing", "run deno task bundle first");
  }
  const flags = permissionFlags(await Deno.readTextFile(`${ROOT}launcher.sh`));
  const env: Record<string, string> = denort === "cached" ? {} : { DENORT_BIN: denort };
  const built = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--no-remote",
      "--no-npm",
      "--no-prompt",
      // The launcher's V8 tier for most commands (a binary cannot pick one per command).
      "--v8-flags=--no-opt",
      ...flags,
      "--target",
      target,
      "--output",
      output,
      BUNDLE,
    ],
    env,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!built.success) fail(built.code || 1, `deno compile failed for ${target}`);

  if (target === Deno.build.target) {
    const { VERSION } = await import("./cli/version.ts");
    const run = await new Deno.Command(output, {
      args: ["--version"],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output().catch(() => null);
    const said = run === null ? "" : new TextDecoder().decode(run.stdout).trim();
    if (said !== `pptkit ${VERSION}`) {
      await Deno.remove(output).catch(() => {});
      fail(
        69,
        `${output} does not run pptkit (it said "${said.split("\n")[0]}"): ` +
          `${denort === "cached" ? "deno's cached denort" : `DENORT_BIN=${denort}`} is not denort`,
        "point DENORT_BIN at denort, not deno (FreeBSD: /usr/local/bin/denort)",
      );
    }
  }
  const size = (await Deno.stat(output)).size;
  console.log(
    `${output}: pptkit for ${target}, ${(size / 1048576).toFixed(0)} MB, with the launcher's ` +
      "default permissions",
  );
}

if (import.meta.main) await main();
