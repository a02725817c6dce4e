/**
 * Loading plugins: the built-in ones the caller passes in (plugins/builtin.ts), then the
 * community files the config points at, each checked like sshd's StrictModes before use (here
 * on the listing, and by the host on the opened file and every directory up to /,
 * core/host/trust.ts). A community code plugin runs in a sandbox (core/host/sandbox.ts) from
 * the bytes that were checked. Code is never loaded from a snapshot (`--snapshot DIR`): a
 * snapshot is data from someone's host.
 *
 * @module
 */

import type { PptkitConfig } from "../config.ts";
import { PptkitError } from "../errors.ts";
import type { Finding } from "../findings.ts";
import type { Host } from "../host/host.ts";
import type { SandboxLimits } from "../host/sandbox.ts";
import { untrustedReason } from "../host/trust.ts";
import { joinPath } from "../paths.ts";
import { compareText } from "../text.ts";
import { type Plugin, pluginShapeProblem } from "./api.ts";
import { parseQuirks, type QuirkRule } from "./quirks.ts";
import { createRegistry, errorText, type LoadedPlugin, type PluginRegistry } from "./registry.ts";
import { sandboxedPlugin } from "./sandboxed.ts";

export { untrustedReason };

/** What pptkit ships: the code plugins by name, and the rules of plugins/quirks.jsonc. */
export interface BuiltinPlugins {
  readonly plugins: readonly LoadedPlugin[];
  readonly rules: readonly QuirkRule[];
}

function refused(path: string, reason: string, fix: string): Finding {
  return {
    level: "error",
    code: "plugin",
    message: `refusing ${path}: ${reason}`,
    fix,
    file: path,
  };
}

/** Options of {@linkcode loadPlugins}. */
export interface LoadPluginsOptions {
  readonly host: Pick<Host, "kind" | "readDir" | "stat" | "readTrusted" | "startPlugin">;
  readonly config: Pick<PptkitConfig, "pluginDirs" | "quirksDir">;
  /** What pptkit ships (plugins/builtin.ts). */
  readonly builtin: BuiltinPlugins;
  /** The user running pptkit (`Host.uid()`); null when unknown: then only root may own files. */
  readonly uid: number | null;
  /** Time and memory each community plugin gets (core/host/sandbox.ts has the defaults). */
  readonly limits?: SandboxLimits;
}

/** A refusal or a failure to read a community file, as its finding. */
function unreadable(path: string, e: unknown, what: string): Finding {
  if (e instanceof PptkitError && e.message.startsWith("refusing ")) {
    return { level: "error", code: "plugin", message: e.message, fix: e.hint, file: path };
  }
  return {
    level: "error",
    code: "plugin",
    message: `cannot load ${what} ${path}: ${errorText(e)}`,
    fix: `fix or remove ${path}`,
    file: path,
  };
}

/** Lists `dir` for community files, after checking the directory itself. */
async function trustedFiles(
  options: LoadPluginsOptions,
  dir: string,
  accept: (name: string) => boolean,
  findings: Finding[],
): Promise<string[]> {
  const { host, uid } = options;
  const dirInfo = await host.stat(dir);
  if (dirInfo === null) return [];
  const names = (await host.readDir(dir)) ?? [];
  const wanted = names.filter((n) => !n.startsWith(".") && accept(n));
  if (wanted.length === 0) return [];
  const dirProblem = !dirInfo.isDirectory
    ? `${dir} is not a directory`
    : untrustedReason(dirInfo, uid, `directory ${dir}`);
  if (dirProblem !== null) {
    findings.push(refused(dir, dirProblem, `chown root ${dir} && chmod go-w ${dir}`));
    return [];
  }
  const out: string[] = [];
  for (const name of wanted) {
    const path = joinPath(dir, name);
    const info = await host.stat(path);
    const problem = info !== null && !info.isFile
      ? "not a regular file (symbolic links are not followed)"
      : untrustedReason(info, uid, path);
    if (problem !== null) {
      findings.push(refused(path, problem, `chown root ${path} && chmod go-w ${path}`));
      continue;
    }
    out.push(path);
  }
  return out;
}

/**
 * Takes the built-in plugins and rules, loads the community ones the config points at, and
 * returns the registry. Never throws for a bad community file: it is refused with a finding.
 */
export async function loadPlugins(options: LoadPluginsOptions): Promise<PluginRegistry> {
  const { host, config } = options;
  const findings: Finding[] = [];
  const plugins = [...options.builtin.plugins];
  const rules = [...options.builtin.rules];
  const names = new Set(plugins.map((p) => p.plugin.name).concat("quirks"));

  const isCode = (n: string) => n.endsWith(".ts") || n.endsWith(".js");
  for (const dir of config.pluginDirs) {
    const files = await trustedFiles(options, dir, isCode, findings);
    if (files.length > 0 && host.kind === "snapshot") {
      findings.push({
        level: "info",
        code: "plugin",
        message: `not loading code plugins from a snapshot: ${files.join(", ")}`,
        fix: "a snapshot is data from another host; install plugins on this host to use them",
      });
      continue;
    }
    for (const path of files.sort(compareText)) {
      let mod: Record<string, unknown>;
      try {
        const source = await host.readTrusted(path);
        mod = { default: sandboxedPlugin(await host.startPlugin(path, source, options.limits)) };
      } catch (e) {
        findings.push(unreadable(path, e, "plugin"));
        continue;
      }
      const problem = pluginShapeProblem(mod.default);
      if (problem !== null) {
        findings.push({
          level: "error",
          code: "plugin",
          message: `cannot use plugin ${path}: ${problem}`,
          fix: "export default { name, version, matches(device), inspect?, group?, prestart? }",
          file: path,
        });
        continue;
      }
      const plugin = mod.default as Plugin;
      if (names.has(plugin.name)) {
        findings.push({
          level: "error",
          code: "plugin",
          message: `cannot use plugin ${path}: the name "${plugin.name}" is already taken`,
          fix: "give the plugin a name of its own",
          file: path,
        });
        continue;
      }
      names.add(plugin.name);
      plugins.push({ plugin, origin: "community", path });
    }
  }

  const quirkFiles = await trustedFiles(
    options,
    config.quirksDir,
    (n) => n.endsWith(".jsonc"),
    findings,
  );
  for (const path of quirkFiles.sort(compareText)) {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(await host.readTrusted(path));
    } catch (e) {
      findings.push(unreadable(path, e, "quirk rules"));
      continue;
    }
    const parsed = parseQuirks(text, path);
    rules.push(...parsed.rules);
    findings.push(...parsed.findings);
  }
  return createRegistry(plugins, rules, findings);
}
