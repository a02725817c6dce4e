/**
 * The history of a loader file that `reserve` and `release` keep besides `FILE.bak` (the
 * previous contents): a timestamped copy of the contents before each change, in pptkit's state
 * directory (`stateDir/backups/boot/loader.conf.pptkit-YYYYMMDD-HHMMSS`, UTC), so a second run
 * never loses the original. At most {@linkcode MAX_HISTORY} copies per file are kept: the
 * oldest one (the file as it was before pptkit first changed it) and the newest others.
 *
 * They live in the state directory, not next to the file: the launcher lets pptkit write only
 * named files in /boot, and the state directory is pptkit's own.
 *
 * @module
 */

import type { Host } from "../core/host/host.ts";

/** Copies kept per file, the original included. */
export const MAX_HISTORY = 10;

/** `20261127-023602`: the UTC time of `ms` as the copies are named. */
export function stamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}-` +
    `${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
}

/** The directory of the copies of `file` (a host path) under `backupsDir`. */
function historyDir(backupsDir: string, file: string): string {
  const full = backupsDir.replace(/\/+$/, "") + file;
  return full.slice(0, full.lastIndexOf("/"));
}

function baseName(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1);
}

/**
 * The path the next copy of `file` takes: `DIR/boot/loader.conf.pptkit-STAMP`, with `-2`,
 * `-3` ... after the copies of the same second (never a number a removed copy had, so names
 * keep their time order).
 */
export async function historyPath(
  host: Host,
  backupsDir: string,
  file: string,
): Promise<string> {
  const dir = historyDir(backupsDir, file);
  const name = `${baseName(file)}.pptkit-${stamp(host.now())}`;
  let last = 0;
  for (const n of (await host.readDir(dir)) ?? []) {
    if (n === name) last = Math.max(last, 1);
    else if (n.startsWith(`${name}-`)) last = Math.max(last, Number(n.slice(name.length + 1)) || 0);
  }
  return last === 0 ? `${dir}/${name}` : `${dir}/${name}-${last + 1}`;
}

/**
 * Writes `text` (the file's exact previous contents) as the copy at `path`, with the file's
 * mode, then removes the copies beyond {@linkcode MAX_HISTORY}, never the oldest.
 */
export async function keepHistory(
  host: Host,
  backupsDir: string,
  file: string,
  path: string,
  text: string,
  mode: number,
): Promise<void> {
  const dir = historyDir(backupsDir, file);
  await host.ensureDir(dir);
  await host.writeFileAtomic(path, text, { mode });
  const prefix = `${baseName(file)}.pptkit-`;
  const copies = ((await host.readDir(dir)) ?? [])
    .filter((n) => n.startsWith(prefix) && !n.endsWith(".tmp"))
    .sort(byTime);
  const extra = copies.length - MAX_HISTORY;
  for (const name of copies.slice(1, 1 + Math.max(0, extra))) await host.remove(`${dir}/${name}`);
}

/** Time order of copy names: the stamp, then the `-N` of copies of the same second. */
function byTime(a: string, b: string): number {
  const key = (name: string) => {
    const at = name.lastIndexOf(".pptkit-") + 8;
    const rest = name.slice(at);
    const dash = rest.indexOf("-", 9);
    const n = dash < 0 ? 1 : Number(rest.slice(dash + 1)) || 1;
    return [dash < 0 ? rest : rest.slice(0, dash), n] as const;
  };
  const [sa, na] = key(a);
  const [sb, nb] = key(b);
  return sa < sb ? -1 : sa > sb ? 1 : na - nb;
}
