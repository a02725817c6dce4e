/**
 * `deno task install`: lays pptkit out under `DESTDIR` + `PREFIX` (default `/usr/local`) the way
 * a FreeBSD port stages it:
 *
 * ```
 * bin/pptkit                        the launcher (finds ../libexec/pptkit/pptkit.js)   0555
 * libexec/pptkit/pptkit.js          the bundle                                          0444
 * libexec/pptkit/pptkit-hook.js     the hook's bundle (the launcher runs it for hook)   0444
 * share/man/man8/pptkit.8           the man page (docs/pptkit.8)                        0444
 * share/pptkit/hooks/*              the wrapper shims (hooks/)                          0555
 * share/pptkit/plugins/*            the built-in plugins and quirk rules, for reading   0444
 * etc/pptkit/pptkit.jsonc.sample    a commented configuration                           0644
 * ```
 *
 * Directories are 0755. Installs what `deno task bundle` built (dist/), never builds; runs
 * again over an earlier install. pptkit reads `/usr/local/etc/pptkit/pptkit.jsonc` whatever
 * the PREFIX (use `--config` for another place).
 *
 * Without DESTDIR (pptkit installed where it runs) it then warms V8's code cache in the
 * launcher's cache directory (/var/db/pptkit/cache): it runs `pptkit --version` and
 * `pptkit hook --help` once, so that even the first hook finds its code compiled. A staged
 * install (DESTDIR) cannot, since the cache is keyed by the bundle's final path: the first
 * run there writes it. A cache that cannot be warmed is a note, never a failed install.
 *
 * @module
 */

const SOURCE = new URL(".", import.meta.url).pathname;

/** Options of {@linkcode install}. */
export interface InstallOptions {
  /** Where pptkit will live (`/usr/local`). */
  readonly prefix: string;
  /** Staging directory put in front of every path ("" for none). */
  readonly destdir: string;
  /** The source tree (with dist/ built); default: this file's directory. */
  readonly source?: string;
}

/** One installed file: its path under PREFIX and its mode. */
export interface InstalledFile {
  readonly path: string;
  readonly mode: number;
}

/** The commented sample of pptkit.jsonc (core/config.ts: every key, default or example). */
export const SAMPLE_CONFIG =
  `// pptkit.jsonc: pptkit's configuration, read from /usr/local/etc/pptkit/pptkit.jsonc (or
// --config FILE). JSON with comments; every key is optional. Each one below is commented out
// and shows its default, or an example where the default is to look it up; see pptkit(8).
{
  // VM config sources to read. Default: all four, each at its standard location; a source
  // named here that cannot be found is reported by pptkit check.
  // "sources": ["native", "hoster", "vm-bhyve", "cbsd"],

  // Hoster: where host_config.json is looked for (Hoster's own search order), which datasets
  // hold VMs (default: host_config.json "active_datasets"), or the VM directories themselves
  // (skips both). A VM is <mountpoint>/<vm>/vm_config.json.
  // "hoster": {
  //   "configDirs": ["/opt/hoster-core/config_files", "/opt/hoster/config_files",
  //     "/usr/local/etc/hoster", "/usr/local/hoster", "/etc/hoster",
  //     "/root/hoster/config_files"],
  //   "datasets": ["zroot/vm-encrypted", "zroot/vm-unencrypted"],
  //   "vmDirs": ["/zroot/vm-encrypted"],
  // },

  // vm-bhyve: its vm_dir (default: vm_dir from /etc/rc.conf and /etc/rc.conf.local), a path
  // or "zfs:pool/dataset".
  // "vmBhyve": { "vmDir": "zfs:zroot/vm" },

  // pptkit's own VM configs: <dir>/<vm>.jsonc with {"passthru": ["1/0/0", "1/0/1"]}.
  // "native": { "dir": "/usr/local/etc/pptkit/vms" },

  // Where ZFS datasets are mounted (pptkit runs no zfs(8)); without an entry a dataset is
  // taken to be mounted at /<dataset>, ZFS's default.
  // "zfsMountpoints": { "zroot/vm": "/vm" },

  // Saved guest slot maps (<stateDir>/slots/<vm>.json) and device locks (<runDir>/).
  // "stateDir": "/var/db/pptkit",
  // "runDir": "/var/run/pptkit",

  // Community code plugins (*.ts, *.js) and declarative quirk rules (*.jsonc). Files must
  // belong to root (or the user running pptkit) and not be writable by group or others.
  // "pluginDirs": ["/usr/local/etc/pptkit/plugins"],
  // "quirksDir": "/usr/local/etc/pptkit/quirks.d",
}
`;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function files(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

/** Installs pptkit; returns what it installed. Throws when dist/ has not been built. */
export async function install(options: InstallOptions): Promise<InstalledFile[]> {
  const source = (options.source ?? SOURCE).replace(/\/?$/, "/");
  const bundle = `${source}dist/pptkit.js`;
  const hookBundle = `${source}dist/pptkit-hook.js`;
  const launcher = `${source}dist/pptkit`;
  for (const file of [bundle, hookBundle, launcher]) {
    if (!(await isFile(file))) {
      throw new Deno.errors.NotFound(
        "dist/pptkit.js, dist/pptkit-hook.js and dist/pptkit are not built",
      );
    }
  }
  const base = options.destdir.replace(/\/+$/, "") + options.prefix.replace(/\/+$/, "");
  const installed: InstalledFile[] = [];
  const put = async (path: string, mode: number, from: string | { text: string }) => {
    const target = `${base}/${path}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true, mode: 0o755 });
    // A read-only file of an earlier install is replaced, not written through.
    await Deno.remove(target).catch(() => {});
    if (typeof from === "string") await Deno.copyFile(from, target);
    else await Deno.writeTextFile(target, from.text);
    await Deno.chmod(target, mode);
    installed.push({ path, mode });
  };

  await put("bin/pptkit", 0o555, launcher);
  await put("libexec/pptkit/pptkit.js", 0o444, bundle);
  await put("libexec/pptkit/pptkit-hook.js", 0o444, hookBundle);
  if (await isFile(`${source}docs/pptkit.8`)) {
    await put("share/man/man8/pptkit.8", 0o444, `${source}docs/pptkit.8`);
  }
  for (const name of await files(`${source}hooks`)) {
    await put(`share/pptkit/hooks/${name}`, 0o555, `${source}hooks/${name}`);
  }
  for (const name of await files(`${source}plugins`)) {
    await put(`share/pptkit/plugins/${name}`, 0o444, `${source}plugins/${name}`);
  }
  await put("etc/pptkit/pptkit.jsonc.sample", 0o644, { text: SAMPLE_CONFIG });
  return installed;
}

/** The runs that compile each bundle once with the V8 flags the launcher gives it. */
const WARM_UP: readonly (readonly string[])[] = [["--version"], ["hook", "--help"]];

/**
 * Runs the installed launcher once per bundle so that deno writes their code cache; returns
 * why it could not, or null. Only for an install in place: the cache is keyed by the bundle's
 * path.
 */
export async function warmCodeCache(prefix: string): Promise<string | null> {
  const launcher = `${prefix.replace(/\/+$/, "")}/bin/pptkit`;
  for (const args of WARM_UP) {
    try {
      const out = await new Deno.Command(launcher, {
        args: [...args],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      if (!out.success) {
        const why = new TextDecoder().decode(out.stderr).split("\n")[0];
        return `pptkit ${args.join(" ")} exited ${out.code}${why === "" ? "" : `: ${why}`}`;
      }
    } catch (e) {
      return `cannot run ${launcher}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return null;
}

function fail(code: number, message: string, hint?: string): never {
  console.error(`pptkit: ${message}`);
  if (hint !== undefined) console.error(`hint: ${hint}`);
  Deno.exit(code);
}

async function main(): Promise<void> {
  const prefix = Deno.env.get("PREFIX") || "/usr/local";
  const destdir = Deno.env.get("DESTDIR") ?? "";
  if (!prefix.startsWith("/")) fail(64, `PREFIX=${prefix} is not an absolute path`);
  if (destdir !== "" && !destdir.startsWith("/")) {
    fail(64, `DESTDIR=${destdir} is not an absolute path`);
  }
  let installed: InstalledFile[];
  try {
    installed = await install({ prefix, destdir });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      fail(66, "dist/ is not built", "run deno task bundle first");
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      fail(77, `cannot write under ${destdir}${prefix}: permission denied`, "run it as root");
    }
    throw e;
  }
  for (const f of installed) {
    console.log(`${f.mode.toString(8).padStart(4, "0")} ${destdir}${prefix}/${f.path}`);
  }
  if (destdir === "") {
    const why = await warmCodeCache(prefix);
    if (why !== null) {
      console.error(`note: V8's code cache is not warmed (${why}); the first run writes it`);
    }
  } else {
    console.error(
      "note: V8's code cache is written by the first run on the host " +
        "(or run there: pptkit --version; pptkit hook --help)",
    );
  }
  if (prefix !== "/usr/local") {
    console.error(
      `note: pptkit still reads /usr/local/etc/pptkit/pptkit.jsonc; ` +
        `run it with --config ${prefix}/etc/pptkit/pptkit.jsonc`,
    );
  }
}

if (import.meta.main) await main();
