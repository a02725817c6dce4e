/**
 * Where pptkit's own files live by default: one home for every default path, so help text,
 * `snapshot`, the config defaults and the install layout name the same places.
 *
 * @module
 */

/** pptkit's configuration directory. */
export const CONFIG_DIR = "/usr/local/etc/pptkit";
/** pptkit.jsonc, when `--config` is not given. */
export const DEFAULT_CONFIG_FILE = `${CONFIG_DIR}/pptkit.jsonc`;
/** pptkit's own VM configs: `<dir>/<vm>.jsonc`. */
export const DEFAULT_NATIVE_VM_DIR = `${CONFIG_DIR}/vms`;
/** Community code plugins (`*.ts`, `*.js`). */
export const DEFAULT_PLUGIN_DIR = `${CONFIG_DIR}/plugins`;
/** Community quirk rules (`*.jsonc`). */
export const DEFAULT_QUIRKS_DIR = `${CONFIG_DIR}/quirks.d`;
/** Saved slot maps (`<stateDir>/slots/<vm>.json`). */
export const DEFAULT_STATE_DIR = "/var/db/pptkit";
/** Device locks of the hooks (`<runDir>/<domain:bus:slot:function>.lock`). */
export const DEFAULT_RUN_DIR = "/var/run/pptkit";

/** The administrator's loader configuration: pptkit's default target. */
export const LOADER_CONF = "/boot/loader.conf";
/** `loader_conf_dirs`: its `*.conf` files are read after loader.conf. */
export const LOADER_CONF_DIR = "/boot/loader.conf.d";
/** `local_loader_conf_files`: read last from 14.1 on, before loader.conf.d before that. */
export const LOADER_CONF_LOCAL = "/boot/loader.conf.local";

/** Hoster's own search order for `host_config.json` (HosterCore `locations.GetConfigFolders`). */
export const HOSTER_CONFIG_DIRS: readonly string[] = [
  "/opt/hoster-core/config_files",
  "/opt/hoster/config_files",
  "/usr/local/etc/hoster",
  "/usr/local/hoster",
  "/etc/hoster",
  "/root/hoster/config_files",
];

/** Joins a directory and a name into a host path. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}
