/**
 * Test helpers: run the shipped CLI (dist/pptkit launcher + dist/pptkit.js bundle, built by
 * `deno task bundle` before the tests) as a subprocess, and scratch directories.
 *
 * @module
 */

export const ROOT = new URL("../", import.meta.url).pathname;
export const LAUNCHER = `${ROOT}dist/pptkit`;
export const FIXTURES = `${ROOT}fixtures`;
export const SAMPLES = `${FIXTURES}/samples`;
export const DEMO = `${FIXTURES}/demo`;

/** What a run of pptkit printed and returned. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode pptkit}. */
export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly stdin?: string;
  readonly cwd?: string;
  /** Run main.ts with deno instead of the bundle (for tests of the source itself). */
  readonly source?: boolean;
}

/** Runs the bundled CLI through its launcher. */
export async function pptkit(
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const cmd = options.source
    ? new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "-A", `${ROOT}main.ts`, ...args],
      env: { NO_COLOR: "1", ...options.env },
      cwd: options.cwd,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command(LAUNCHER, {
      args: [...args],
      env: { PPTKIT_DENO: Deno.execPath(), ...options.env },
      cwd: options.cwd,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    });
  const child = cmd.spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A fresh temporary directory, removed by the returned function. */
export async function scratch(): Promise<[string, () => Promise<void>]> {
  const dir = await Deno.makeTempDir({ prefix: "pptkit-test-" });
  return [dir, () => Deno.remove(dir, { recursive: true })];
}

/** Copies a fixture directory into a scratch directory (so a test may write into it). */
export async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(`${from}/${e.name}`, `${to}/${e.name}`);
    else await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** Makes a snapshot directory holding only the given pciconf text (and optional extras). */
export async function snapshotWith(
  dir: string,
  files: Record<string, string | Uint8Array>,
): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
  }
  return dir;
}

/** Asserts the one-line error contract: `pptkit: ...`, optional `hint:`, no stack trace. */
export function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l !== "");
}

/** Small seeded PRNG (mulberry32): random tests and synthetic hosts are the same every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** True when a path exists (a dangling symlink counts). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
