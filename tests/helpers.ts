/**
 * Test helpers: run the shipped CLI (dist/pptkit launcher + dist/pptkit.js bundle, built by
 * `deno task bundle` before the tests) as a subprocess, and scratch directories.
 *
 * @module
 */

import { detectIommu } from "../core/acpi.ts";
import { addressKey } from "../core/address.ts";
import type { Finding } from "../core/findings.ts";
import { buildInventory, type Inventory, runningKernelFacts } from "../core/inventory.ts";
import type { PciDevice } from "../core/pciconf.ts";
import type { PluginHooks } from "../core/plugins/api.ts";
import { type HostVerdict, judgeHost } from "../core/verdict.ts";
import type { VmConfig } from "../core/vms/types.ts";
import { computeUsage } from "../core/vms/usage.ts";

export const ROOT = new URL("../", import.meta.url).pathname;
export const LAUNCHER = `${ROOT}dist/pptkit`;
export const FIXTURES = `${ROOT}fixtures`;
export const SAMPLES = `${FIXTURES}/samples`;
export const DEMO = `${FIXTURES}/demo`;
/**
 * deno's cache for every launcher run of the tests (the launcher's default, /var/db/pptkit/cache,
 * is the host's). Set in this process's environment, so each child inherits it; a process that
 * imports this module without those permissions (the bench, for `prng`) runs no launcher.
 */
export const TEST_CACHE = `${ROOT}dist/cache`;
try {
  Deno.mkdirSync(TEST_CACHE, { recursive: true, mode: 0o755 });
  Deno.env.set("PPTKIT_CACHE_DIR", TEST_CACHE);
} catch (e) {
  if (!(e instanceof Deno.errors.NotCapable)) throw e;
}

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

/** Every file under a directory, by relative path, with its bytes (symlinks as their target). */
export async function fileTree(dir: string, prefix = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory) {
      for (const [k, v] of await fileTree(dir, rel)) out.set(k, v);
    } else if (e.isSymlink) {
      out.set(rel, `-> ${await Deno.readLink(`${dir}/${rel}`)}`);
    } else {
      const bytes = await Deno.readFile(`${dir}/${rel}`);
      out.set(rel, Array.from(bytes, (b) => b.toString(16)).join(""));
    }
  }
  return out;
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

/**
 * The verdict engine over a device listing and VM configs, without a host: an inventory of the
 * devices (VM users filled in, nothing known about loader.conf or the IOMMU) and every VM
 * judged as a config check, the way `check` files its findings.
 */
export function verdictsFor(
  devices: readonly PciDevice[],
  vms: readonly VmConfig[],
  plugins: PluginHooks | null = null,
  running: ReadonlySet<string> = new Set(),
): { inventory: Inventory; verdict: HostVerdict } {
  const usage = computeUsage(devices, vms, running);
  const usageFindings = new Map<string, readonly Finding[]>();
  for (const [key, u] of usage.byDevice) {
    if (u.findings.length > 0) usageFindings.set(key, u.findings);
  }
  const inventory = buildInventory({
    listing: { devices: [...devices], skipped: [], capabilitiesKnown: true },
    iommu: detectIommu(null),
    loader: runningKernelFacts(null),
    kldstat: null,
    sysctl: null,
    release: null,
    snapshot: false,
    usage: usage.usedBy,
    usageFindings,
  });
  return { inventory, verdict: judgeHost(vms, { inventory, plugins }) };
}

/**
 * What the VM configs make of one device (by its B/S/F): `conflict`, and the findings of each
 * VM that passes it (not on ppt(4), slots, plugins); not the device's own eligibility.
 */
export function deviceVerdict(
  devices: readonly PciDevice[],
  vms: readonly VmConfig[],
  bsf: string,
  plugins: PluginHooks | null = null,
): Finding[] {
  const { inventory, verdict } = verdictsFor(devices, vms, plugins);
  const entry = inventory.devices.find((d) => d.bsf === bsf);
  if (entry === undefined) throw new Error(`no device ${bsf}`);
  const key = addressKey(entry.device.address);
  const usage = computeUsage(devices, vms, new Set()).byDevice.get(key)?.findings ?? [];
  return [...usage, ...(verdict.byDevice.get(key) ?? [])];
}
