/**
 * Community plugins run in a Worker (DESIGN §11, issue #17): pptkit checks the file
 * (core/host/trust.ts), hands the checked bytes to a Worker as a `data:` URL and calls each
 * hook synchronously, waiting on a SharedArrayBuffer with a deadline and a memory limit.
 *
 * What holds:
 * - A plugin gets {@linkcode SANDBOX_LIMITS} of time (loading and every call together) and
 *   of memory (the process's resident size while pptkit waits for it). One that goes over, that
 *   never settles its top-level await, throws or answers what a hook does not return, is
 *   stopped and reported by name; it is never a silent go.
 * - It cannot exit the process: `Deno.exit` in a Worker ends only the Worker, and the Worker
 *   has no `Deno` at all (core/host/sandbox_worker.ts takes it away with `process`, `fetch`,
 *   `Worker`, storage, `eval` and the Function constructors before the plugin runs), and its
 *   source may hold no `import` (no `node:` module, no other file) and no re-export.
 * - With deno's `--unstable-worker-options`, which the launcher passes, the Worker also has no
 *   permission at all (no file, no command, no environment). Without it (deno run main.ts, a
 *   compiled binary) a Worker shares the process's permissions, and the lockdown above is what
 *   contains it.
 *
 * What does not: deno 2.9.6 cannot stop a Worker that is busy (Worker.terminate() only wakes
 * its event loop, denoland/deno#35657), so a stopped plugin keeps its thread until pptkit exits
 * (main.ts always ends with Deno.exit), and memory is watched only while pptkit waits for it.
 *
 * @module
 */

import { env } from "./process.ts";
import { WORKER_SOURCE } from "./sandbox_worker.ts";

/** Time and memory a community plugin gets in one run of pptkit. */
export interface SandboxLimits {
  /** Milliseconds for loading and all calls together. */
  readonly timeMs: number;
  /** Bytes the process may grow while pptkit waits for the plugin. */
  readonly memoryBytes: number;
}

export const SANDBOX_LIMITS: SandboxLimits = { timeMs: 2000, memoryBytes: 256 << 20 };

/** The largest answer a plugin may give to one call. */
const ANSWER_BYTES = 4 << 20;
/** How often pptkit looks at the memory while it waits. */
const SLICE_MS = 10;

/** What a plugin's default export declares, as data. */
export interface SandboxExports {
  readonly name: string | null | undefined;
  readonly version: string | null | undefined;
  readonly description: string | null | undefined;
  /** `matches`, `inspect`, ...; `inspect:not-a-function` for one that is not a function. */
  readonly hooks: readonly string[];
}

/** What a context-taking hook is told about the host (core/plugins turns a context into it). */
export interface SandboxContextData {
  readonly devices: readonly unknown[];
  readonly vm: string | null;
  readonly release: string | null;
  /** `[domain:bus:slot:function, users]` for the devices that have users. */
  readonly users: readonly (readonly [string, unknown])[];
  /** `[domain:bus:slot:function, vm]` for the devices a lock names. */
  readonly locks: readonly (readonly [string, string])[];
}

/** A plugin running in a Worker. */
export interface SandboxedModule {
  /** Its default export as data; null when it is not an object. */
  readonly exports: SandboxExports | null;
  /** "no permissions" (a Worker without any), or "lockdown" (see the module comment). */
  readonly containment: "no permissions" | "lockdown";
  /** What `Deno.permissions` said in the Worker before the plugin ran (`run`: "denied"...). */
  readonly permissions: Readonly<Record<string, string>>;
  /**
   * Calls a hook with `args`, plus a context when `context` is given (`describe` tells it,
   * once per context object). Returns what it returned and what it reported; throws an Error
   * saying why when it failed, was stopped, or had been stopped before.
   */
  call(
    hook: string,
    args: readonly unknown[],
    context?: { readonly key: object; describe(): SandboxContextData },
  ): { value: unknown; reports: unknown[] };
}

type Answer = { ok: true; [key: string]: unknown } | { ok: false; error: string };

/**
 * Whether deno runs with `--unstable-worker-options`, without which asking for a Worker without
 * permissions ends the process (exit 70, nothing to catch). Deno tells a program nothing of its
 * own flags, so the launcher, which always passes this one, says so in
 * `PPTKIT_UNSTABLE_WORKER_OPTIONS=1` (set by it whatever the caller's environment held).
 */
function workerPermissionsAvailable(): boolean {
  return env("PPTKIT_UNSTABLE_WORKER_OPTIONS") === "1";
}

/** Why a plugin's source may not be run, or null: it imports or re-exports something. */
export function sourceProblem(source: string): string | null {
  if (/\bimport\b/.test(source)) {
    return "it imports (the word import appears): a community plugin is one self-contained " +
      "file and may load no other module";
  }
  if (/\bexport\s*(\*|\{)/.test(source)) {
    return "it re-exports (export * or export {...}): export only the default object";
  }
  return null;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

class WorkerSandbox implements SandboxedModule {
  exports: SandboxExports | null = null;
  readonly containment: "no permissions" | "lockdown";
  /** What `Deno.permissions` said in the Worker before the plugin ran (read, write, run...). */
  permissions: Record<string, string> = {};
  private readonly worker: Worker;
  private readonly header: Int32Array;
  private readonly sab: SharedArrayBuffer;
  private readonly rss: number;
  private spent = 0;
  private stopped: string | null = null;
  private nextId = 1;
  private readonly contexts = new WeakMap<object, number>();
  private readonly deviceLists = new WeakMap<object, number>();

  constructor(private readonly limits: SandboxLimits) {
    this.sab = new SharedArrayBuffer(8 + ANSWER_BYTES);
    this.header = new Int32Array(this.sab, 0, 2);
    this.rss = Deno.memoryUsage().rss;
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    this.containment = workerPermissionsAvailable() ? "no permissions" : "lockdown";
    const options = this.containment === "no permissions"
      ? { type: "module", deno: { permissions: "none" } }
      : { type: "module" };
    this.worker = new Worker(url, options as WorkerOptions);
    URL.revokeObjectURL(url);
    // A plugin's stray exception is its failure, not pptkit's: never let it end the process.
    this.worker.onerror = (e) => e.preventDefault();
    this.worker.onmessageerror = () => {};
  }

  /** Loads the plugin; throws why it could not be (naming `file`, not the data: URL). */
  load(file: string, source: Uint8Array, typescript: boolean): void {
    const media = typescript ? "application/typescript" : "text/javascript";
    const url = `data:${media};base64,${base64(source)}`;
    let answer: Answer & { ok: true };
    try {
      answer = this.request({ type: "init", sab: this.sab, url }, "load");
    } catch (e) {
      const text = (e instanceof Error ? e.message : String(e)).replaceAll(url, file);
      throw new Error(text.length > 300 ? text.slice(0, 297) + "..." : text);
    }
    this.exports = (answer.exports ?? null) as SandboxExports | null;
    this.permissions = (answer.permissions ?? {}) as Record<string, string>;
  }

  call(
    hook: string,
    args: readonly unknown[],
    context?: { readonly key: object; describe(): SandboxContextData },
  ): { value: unknown; reports: unknown[] } {
    const message: Record<string, unknown> = { hook, args };
    if (context !== undefined) {
      let id = this.contexts.get(context.key);
      if (id === undefined) {
        id = this.nextId++;
        this.contexts.set(context.key, id);
        const data = context.describe();
        let list = this.deviceLists.get(data.devices);
        if (list === undefined) {
          list = this.nextId++;
          this.deviceLists.set(data.devices, list);
          message.devices = { id: list, list: data.devices };
        }
        message.context = { ...data, devices: list, id };
      }
      message.contextId = id;
    }
    const answer = this.request(message, hook);
    return { value: answer.value, reports: (answer.reports ?? []) as unknown[] };
  }

  /** Posts a message and waits for the answer within what is left of the plugin's time. */
  private request(message: Record<string, unknown>, what: string): Answer & { ok: true } {
    if (this.stopped !== null) throw new Error(this.stopped);
    Atomics.store(this.header, 0, 0);
    try {
      this.worker.postMessage(message);
    } catch (e) {
      throw new Error(`cannot be given its arguments: ${e instanceof Error ? e.message : e}`);
    }
    const started = performance.now();
    try {
      while (Atomics.load(this.header, 0) === 0) {
        const left = this.limits.timeMs - this.spent - (performance.now() - started);
        if (left <= 0) {
          return this.stop(
            `${what === "load" ? "did not load" : "did not answer"} within ` +
              `${this.limits.timeMs / 1000} s (pptkit stopped using it)`,
          );
        }
        Atomics.wait(this.header, 0, 0, Math.min(left, SLICE_MS));
        if (Atomics.load(this.header, 0) !== 0) break;
        const grown = Deno.memoryUsage().rss - this.rss;
        if (grown > this.limits.memoryBytes) {
          return this.stop(
            `used more than ${this.limits.memoryBytes >> 20} MiB (pptkit stopped using it)`,
          );
        }
      }
    } finally {
      this.spent += performance.now() - started;
    }
    const length = Atomics.load(this.header, 1);
    const text = new TextDecoder().decode(new Uint8Array(this.sab, 8, length).slice());
    let answer: Answer;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new Error("gave an answer that is not JSON");
    }
    if (answer.ok !== true) throw new Error(String((answer as { error: unknown }).error));
    return answer as Answer & { ok: true };
  }

  private stop(reason: string): never {
    this.stopped = reason;
    this.worker.terminate();
    throw new Error(reason);
  }
}

/**
 * Starts a community plugin from the bytes of its file (`name` ends in .ts: TypeScript).
 * Throws an Error saying why it cannot be used: it imports, it did not load in time, its
 * top-level code threw.
 */
export function startSandbox(
  name: string,
  source: Uint8Array,
  limits: SandboxLimits = SANDBOX_LIMITS,
): SandboxedModule {
  const problem = sourceProblem(new TextDecoder().decode(source));
  if (problem !== null) throw new Error(problem);
  const sandbox = new WorkerSandbox(limits);
  sandbox.load(name, source, name.endsWith(".ts"));
  return sandbox;
}
