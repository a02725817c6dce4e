/**
 * What the loader sets from its files (facts §1.4, §1.5): values as `processEnvVar` decodes
 * them (`\` takes the next character literally, `$name` / `${name}` expand from the loader
 * environment, a trailing `\` or `$` makes the loader refuse the value), module settings kept
 * as written (`X_load` upper-cased), and the last accepted assignment of a variable winning.
 *
 * @module
 */

import type { Finding } from "../findings.ts";
import { LOADER_CONF_DIR } from "../paths.ts";
import { isAlnum, isModuleSetting, isWordChar, type LoaderConf } from "./lines.ts";

/** The AMD-Vi switch and its `TUNABLE_INT` alias (`sys/amd64/vmm/amd/amdvi_hw.c`). */
export const AMDVI_TUNABLES = ["hw.vmm.amdvi.enable", "hw.vmm.amdvi_enable"] as const;

type Decoded = { value: string; error: null } | { value: null; error: string };

/**
 * `processEnvVar` of the Lua loader: `\x` -> `x`, `$name` and `${name}` -> the loader
 * environment (`lookup`, empty when unset). A `"`, or a `\` or `$` at the end, is an error.
 */
export function expandLoaderValue(
  raw: string,
  lookup: (name: string) => string | undefined,
): Decoded {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 92) {
      if (i === raw.length - 1) return { value: null, error: "stray escape at end of line" };
      out += raw[i + 1];
      i++;
    } else if (c === 34) {
      return { value: null, error: `stray quote at position ${i + 1}` };
    } else if (c === 36) {
      if (i === raw.length - 1) return { value: null, error: "unescaped $ at end of line" };
      let name: string;
      let next: number;
      if (raw.charCodeAt(i + 1) === 123) {
        const close = raw.indexOf("}", i + 2);
        if (close <= i + 2) {
          return { value: null, error: `malformed variable expression at position ${i + 1}` };
        }
        name = raw.slice(i + 2, close);
        next = close + 1;
      } else {
        let j = i + 1;
        if (!isAlnum(raw.charCodeAt(j))) {
          return { value: null, error: `malformed variable expression at position ${i + 1}` };
        }
        while (j < raw.length && isWordChar(raw.charCodeAt(j))) j++;
        name = raw.slice(i + 1, j);
        next = j;
      }
      out += lookup(name) ?? "";
      i = next - 1;
    } else {
      out += raw[i];
    }
  }
  return { value: out, error: null };
}

/** One accepted assignment: what the loader stored, and where. */
export interface Assignment {
  readonly key: string;
  /** The value the loader stores: quotes stripped, escapes and `$` applied, `X_load` upper-cased. */
  readonly value: string;
  /** The value as written between the quotes (or the bare word). */
  readonly raw: string;
  readonly quoted: boolean;
  /** The raw value uses `\` or `$`, so {@linkcode value} depends on the loader environment. */
  readonly expands: boolean;
  readonly file: string;
  readonly line: number;
}

/** A line that tries to set a variable but that the loader rejects. */
export interface RejectedLine {
  readonly key: string | null;
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

/** Everything the loader sets from a list of files, read in order. */
export interface LoaderValues {
  /** The files, in read order. */
  readonly files: readonly string[];
  /** Every accepted assignment of each variable, in read order: the last one is effective. */
  readonly assignments: ReadonlyMap<string, readonly Assignment[]>;
  /** Lines that set nothing because the loader rejects them, in read order. */
  readonly rejected: readonly RejectedLine[];
}

/**
 * Reads parsed files in loader order (see {@linkcode loaderFileOrder}) the way the loader does:
 * rejected lines set nothing, every accepted assignment replaces the previous value.
 * `$name` expands from what earlier lines set; the real loader environment also holds
 * `/boot/defaults/loader.conf` and the loader's own variables, so an {@linkcode Assignment} with
 * `expands` is a best guess.
 */
export function loaderValues(files: readonly LoaderConf[]): LoaderValues {
  const assignments = new Map<string, Assignment[]>();
  const rejected: RejectedLine[] = [];
  const env = new Map<string, string>();
  for (const conf of files) {
    for (const line of conf.lines) {
      if (line.kind === "malformed") {
        rejected.push({
          key: line.key,
          file: conf.path,
          line: line.number,
          text: line.text,
          reason: line.reason,
        });
        continue;
      }
      if (line.kind !== "assignment") continue;
      let value: string;
      if (isModuleSetting(line.key)) {
        value = line.key.endsWith("_load") ? line.raw.toUpperCase() : line.raw;
      } else {
        const decoded = expandLoaderValue(line.raw, (name) => env.get(name));
        if (decoded.value === null) {
          rejected.push({
            key: line.key,
            file: conf.path,
            line: line.number,
            text: line.text,
            reason: `the loader refuses the value: ${decoded.error}`,
          });
          continue;
        }
        value = decoded.value;
      }
      env.set(line.key, value);
      const list = assignments.get(line.key) ?? [];
      list.push({
        key: line.key,
        value,
        raw: line.raw,
        quoted: line.quoted,
        expands: line.raw.includes("\\") || line.raw.includes("$"),
        file: conf.path,
        line: line.number,
      });
      assignments.set(line.key, list);
    }
  }
  return { files: files.map((f) => f.path), assignments, rejected };
}

/** The effective (last accepted) assignment of a variable, or undefined when nothing sets it. */
export function effectiveAssignment(values: LoaderValues, key: string): Assignment | undefined {
  const list = values.assignments.get(key);
  return list?.[list.length - 1];
}

/** `file:line`, the way findings and messages name a place. */
export function lineRef(a: { file: string; line: number }): string {
  return `${a.file}:${a.line}`;
}

/** Variables pptkit reads or writes: their duplicates matter even inside one file. */
function isPptkitVariable(key: string): boolean {
  return key.startsWith("pptdev") || key === "vmm_load" ||
    (AMDVI_TUNABLES as readonly string[]).includes(key);
}

/**
 * `loader-conf-duplicate` warnings: a variable set in more than one file (any variable), or more
 * than once in one file (pptkit's own variables, where a second `pptdevs=` line silently
 * replaces the first instead of adding to it). Each finding points at the effective line.
 * `only` limits the variables looked at.
 */
export function duplicateFindings(
  values: LoaderValues,
  only: (key: string) => boolean = () => true,
): Finding[] {
  const out: Finding[] = [];
  for (const [key, list] of values.assignments) {
    if (list.length < 2 || !only(key)) continue;
    const files = new Set(list.map((a) => a.file));
    if (files.size < 2 && !isPptkitVariable(key)) continue;
    const last = list[list.length - 1];
    const earlier = list.slice(0, -1).map(lineRef);
    const dropIns = list.filter((a) => a.file.startsWith(LOADER_CONF_DIR + "/")).length;
    const unsorted = dropIns > 1
      ? `; ${LOADER_CONF_DIR} files are read in directory order, not sorted`
      : "";
    out.push({
      level: "warn",
      code: "loader-conf-duplicate",
      message: `${key} is set ${list.length} times: this line overrides ${earlier.join(", ")}` +
        unsorted,
      fix: `keep one ${key} line: the loader does not merge them, the last one read wins`,
      file: last.file,
      line: last.line,
    });
  }
  return out;
}
