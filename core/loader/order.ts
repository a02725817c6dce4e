/**
 * The order in which the loader reads its configuration files, by FreeBSD release (facts §1.5).
 *
 * @module
 */

import type { Finding } from "../findings.ts";
import { LOADER_CONF, LOADER_CONF_DIR, LOADER_CONF_LOCAL } from "../paths.ts";
import { isAlnum } from "./lines.ts";

/** A FreeBSD release as far as the loader's file order cares. */
export interface ReleaseVersion {
  readonly major: number;
  readonly minor: number;
  /** `RELEASE`, `STABLE`, `CURRENT`, `BETA2`, ...; "" when absent. */
  readonly branch: string;
}

/** Reads `14.1-RELEASE-p3`, `15.0-CURRENT`, or `uname -mr` output (`14.1-RELEASE amd64`). */
export function parseRelease(text: string): ReleaseVersion | null {
  const t = text.trim();
  let i = 0;
  const number = (): number | null => {
    const start = i;
    while (i < t.length && t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57) i++;
    return i > start && i - start < 6 ? Number(t.slice(start, i)) : null;
  };
  const major = number();
  if (major === null || t[i] !== ".") return null;
  i++;
  const minor = number();
  if (minor === null) return null;
  let branch = "";
  if (t[i] === "-") {
    const start = ++i;
    while (i < t.length && isAlnum(t.charCodeAt(i))) i++;
    branch = t.slice(start, i);
  }
  return { major, minor, branch };
}

/** The loader configuration files in the order the loader reads them. */
export interface LoaderFileOrder {
  /** Host paths in read order. */
  readonly files: readonly string[];
  /** loader.conf.local is read after loader.conf.d (14.1 and later). */
  readonly localLast: boolean;
  /** Set when the order is assumed rather than known (`loader-order-assumed`, info). */
  readonly finding: Finding | null;
}

/**
 * True for the names `loader_conf_dirs` reads: the Lua pattern `.conf$`, i.e. any character then
 * `conf` at the end (so `ppt.conf`, but also `pptconf`; not `ppt.conf.bak`). The loader also
 * requires a regular file; the caller checks that.
 */
export function isLoaderConfDropIn(name: string): boolean {
  return name.length >= 5 && name.endsWith("conf") && !name.includes("/");
}

/**
 * The order in which the loader reads `/boot/loader.conf`, the drop-ins of `/boot/loader.conf.d`
 * and `/boot/loader.conf.local` (facts §1.5; `/boot/defaults/loader.conf` and device.hints come
 * first and do not concern pptkit). `dropIns` are file names in that directory in directory order
 * (the loader does not sort them); names the loader skips are left out.
 * - up to 14.0: loader.conf, loader.conf.local, loader.conf.d/*.conf
 * - 14.1 and later: loader.conf, loader.conf.d/*.conf, loader.conf.local (a25531db0fc2)
 * `release` null (unknown) assumes the current order and says so in an info finding; so does a
 * -STABLE or -CURRENT build older than 14.1, which may or may not have the change.
 */
export function loaderFileOrder(
  release: string | null,
  dropIns: readonly string[],
): LoaderFileOrder {
  const dir = dropIns.filter(isLoaderConfDropIn).map((name) => `${LOADER_CONF_DIR}/${name}`);
  const version = release === null ? null : parseRelease(release);
  let localLast = true;
  let finding: Finding | null = null;
  const assumed = (message: string, fix: string): Finding => ({
    level: "info",
    code: "loader-order-assumed",
    message,
    fix,
  });
  if (version === null) {
    finding = assumed(
      release === null
        ? `FreeBSD release unknown: assuming the loader reads ${LOADER_CONF_LOCAL} last, ` +
          "as 14.1 and later do"
        : `cannot read FreeBSD release ${JSON.stringify(release)}: assuming the loader reads ` +
          `${LOADER_CONF_LOCAL} last, as 14.1 and later do`,
      "give pptkit the output of uname -r (uname.txt in a snapshot)",
    );
  } else if (version.major < 14 || (version.major === 14 && version.minor < 1)) {
    localLast = false;
    if (version.branch === "STABLE" || version.branch === "CURRENT") {
      finding = assumed(
        `${release!.trim()}: assuming the ${version.major}.${version.minor} loader order ` +
          `(${LOADER_CONF_LOCAL} before ${LOADER_CONF_DIR}); a newer build of this branch ` +
          "may read it last",
        `avoid setting the same variable in ${LOADER_CONF_LOCAL} and ${LOADER_CONF_DIR}`,
      );
    }
  }
  const files = localLast
    ? [LOADER_CONF, ...dir, LOADER_CONF_LOCAL]
    : [LOADER_CONF, LOADER_CONF_LOCAL, ...dir];
  return { files, localLast, finding };
}
