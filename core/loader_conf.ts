/**
 * The loader.conf engine (DESIGN §8): a line model of loader.conf files that renders back byte
 * for byte, the loader's reading of them (file order, last assignment wins, quoting), the
 * kernel's reading of `pptdevs`, findings about both, packing of devices into `pptdevs`,
 * `pptdevs2` and `pptdevs3`, and the one edit pptkit makes.
 *
 * Pure: text in, data out; errors are {@linkcode PptkitError}s. `core/host.ts` reads and writes
 * the files, the CLI prints.
 *
 * How the Lua loader reads a line (freebsd/freebsd-src `stand/lua/config.lua`, facts §1.4):
 * - the file is split on `\n` only; a `\r` is just another blank (`%s`), so CRLF files work;
 * - blank lines and lines starting (after blanks) with `#` are skipped;
 * - `name = "value"` or `name = word`, blanks allowed around `=`; the quoted value runs to the
 *   next `"` (it may hold `#` and blanks), a word is `[-A-Za-z0-9][-A-Za-z0-9_.]*`; after the
 *   value only blanks or a `# comment` may follow, anything else makes the line "Malformed";
 * - a name is `[A-Za-z0-9][A-Za-z0-9_.-]*`; `X_load`, `X_name`, ... (module settings) also
 *   allow a name starting with `_`, `-` or `.`;
 * - a plain variable's value then goes through `processEnvVar`: `\` takes the next character
 *   literally, `$name` / `${name}` expand from the loader environment, a trailing `\` or `$` makes
 *   the loader refuse the value ("Failed to parse variable") and leave the variable alone;
 * - module settings keep the value as written; `X_load` is stored upper-cased;
 * - every accepted assignment replaces the previous value: the last one read wins.
 * So `pptdevs=1/0/0` (unquoted, `/` is not a word character) is a malformed line that sets
 * nothing: device lists must be quoted.
 *
 * How the kernel reads `pptdevs` (`vmm_is_pptdev` in `sys/amd64/vmm/vmm.c`, facts §1.2): only
 * `pptdevs`, `pptdevs2`, `pptdevs3`; each value is cut at single ASCII spaces and every piece is
 * read with `sscanf("%d/%d/%d")`, which skips leading blanks, accepts a sign, stops at the first
 * character it cannot use and ignores the rest. {@linkcode readPptdevsValue} does exactly that,
 * so pptkit and the kernel agree on what a value reserves.
 *
 * No regular expressions: every line is read with index loops.
 *
 * @module
 */

import { formatBsf, formatSelector, parseAddress, type PciAddress } from "./address.ts";
import { dataError, ExitCode, PptkitError, usageError } from "./errors.ts";
import type { Finding } from "./eligibility.ts";

// ---------------------------------------------------------------------------------------------
// Paths and limits

/** The administrator's loader configuration: pptkit's default target. */
export const LOADER_CONF = "/boot/loader.conf";
/** `loader_conf_dirs`: its `*.conf` files are read after loader.conf. */
export const LOADER_CONF_DIR = "/boot/loader.conf.d";
/** `local_loader_conf_files`: read last from 14.1 on, before loader.conf.d before that. */
export const LOADER_CONF_LOCAL = "/boot/loader.conf.local";

/** The only variables the kernel reads for reservations, in the order it scans them. */
export const PPTDEVS_VARIABLES = ["pptdevs", "pptdevs2", "pptdevs3"] as const;
/** One of {@linkcode PPTDEVS_VARIABLES}. */
export type PptdevsVariable = typeof PPTDEVS_VARIABLES[number];

/**
 * Longest `pptdevs*` value pptkit writes or accepts without a finding: the 128-character limit
 * vmm(4) documents (`KENV_MVALLEN`; quotes not counted).
 */
export const PPTDEVS_VALUE_LIMIT = 128;

/**
 * Longest `name=value` string the kernel keeps from the loader: `init_dynamic_kenv_from()` drops
 * (not truncates) a string when `strlen + 1 > KENV_MNAMELEN + 1 + KENV_MVALLEN + 1` = 258, with
 * "WARNING: too long kenv string, ignoring". UNVERIFIED by a boot test (facts §1.4).
 */
export const KENV_BOOT_STRING_LIMIT = 257;

/** The AMD-Vi switch and its `TUNABLE_INT` alias (`sys/amd64/vmm/amd/amdvi_hw.c`). */
export const AMDVI_TUNABLES = ["hw.vmm.amdvi.enable", "hw.vmm.amdvi_enable"] as const;

/** Module setting suffixes (`vmm_load`, ...): the loader stores their values unprocessed. */
const MODULE_SUFFIXES = ["_load", "_name", "_type", "_flags", "_before", "_after", "_error"];

// ---------------------------------------------------------------------------------------------
// Line model

/** A line terminator as found in the file; `""` only for a last line without a newline. */
export type LineEnd = "\n" | "\r\n" | "";

/** Why the loader rejects a line ("Malformed line" at boot). */
export type LineProblem =
  | "unterminated-quote"
  | "unquoted-value"
  | "empty-value"
  | "text-after-value"
  | "missing-equals"
  | "bad-name";

interface LineBase {
  /** 1-based line number. */
  readonly number: number;
  /** The line without its terminator, exactly as in the file. */
  readonly text: string;
  readonly eol: LineEnd;
}

/** `name=value`, `name = "value"  # comment`. */
export interface AssignmentLine extends LineBase {
  readonly kind: "assignment";
  readonly key: string;
  /** The value as written: between the quotes, or the bare word. */
  readonly raw: string;
  readonly quoted: boolean;
  /** Offsets of {@linkcode raw} in {@linkcode text}, for edits that keep everything else. */
  readonly valueStart: number;
  readonly valueEnd: number;
  /** Trailing `# comment` (from `#`), or null. */
  readonly comment: string | null;
}

export interface CommentLine extends LineBase {
  readonly kind: "comment";
}

export interface BlankLine extends LineBase {
  readonly kind: "blank";
}

/** A line the loader rejects; kept verbatim. */
export interface MalformedLine extends LineBase {
  readonly kind: "malformed";
  /** The variable it tries to set, when that much can be read. */
  readonly key: string | null;
  readonly problem: LineProblem;
  /** Why, in a few words: `unterminated quote`. */
  readonly reason: string;
}

export type LoaderLine = AssignmentLine | CommentLine | BlankLine | MalformedLine;

/** One loader.conf file as lines. */
export interface LoaderConf {
  /** Host path (`/boot/loader.conf`), used in messages and findings. */
  readonly path: string;
  readonly lines: readonly LoaderLine[];
}

/** Lua `%s` (C isspace): space, \t, \n, \v, \f, \r. */
function isBlank(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** `[%w%d-_.]`: characters of a variable name. */
function isNameChar(code: number): boolean {
  return isAlnum(code) || code === 45 || code === 95 || code === 46;
}

/** `[-%w%d]`: first character of an unquoted value (WORDEXPR). */
function isWordStart(code: number): boolean {
  return isAlnum(code) || code === 45;
}

/** `[-%w%d_.]`: further characters of an unquoted value. */
function isWordChar(code: number): boolean {
  return isNameChar(code);
}

function isModuleSetting(key: string): boolean {
  for (const suffix of MODULE_SUFFIXES) {
    if (key.length > suffix.length && key.endsWith(suffix)) return true;
  }
  return false;
}

/** A name the loader accepts: alnum first, or any name character for module settings. */
function isLoaderName(key: string): boolean {
  return isAlnum(key.charCodeAt(0)) || isModuleSetting(key);
}

function skipBlanks(text: string, i: number): number {
  while (i < text.length && isBlank(text.charCodeAt(i))) i++;
  return i;
}

type Classified =
  | Omit<AssignmentLine, keyof LineBase>
  | Omit<CommentLine, keyof LineBase>
  | Omit<BlankLine, keyof LineBase>
  | Omit<MalformedLine, keyof LineBase>;

function malformed(key: string | null, problem: LineProblem, reason: string): Classified {
  return { kind: "malformed", key, problem, reason };
}

/** Reads one line the way `config.parse` does. */
function classifyLine(text: string): Classified {
  let i = skipBlanks(text, 0);
  if (i === text.length) return { kind: "blank" };
  if (text.charCodeAt(i) === 35) return { kind: "comment" };
  const keyStart = i;
  while (i < text.length && isNameChar(text.charCodeAt(i))) i++;
  const key = text.slice(keyStart, i);
  i = skipBlanks(text, i);
  if (key === "" || text.charCodeAt(i) !== 61) {
    return malformed(key === "" ? null : key, "missing-equals", "not a name=value line");
  }
  if (!isLoaderName(key)) {
    return malformed(
      key,
      "bad-name",
      `variable name ${JSON.stringify(key)} must start with a letter or digit`,
    );
  }
  i = skipBlanks(text, i + 1);
  let valueStart: number;
  let valueEnd: number;
  let quoted: boolean;
  if (text.charCodeAt(i) === 34) {
    const close = text.indexOf('"', i + 1);
    if (close < 0) return malformed(key, "unterminated-quote", "unterminated quote");
    valueStart = i + 1;
    valueEnd = close;
    quoted = true;
    i = close + 1;
  } else {
    if (i === text.length) return malformed(key, "empty-value", "no value after =");
    if (!isWordStart(text.charCodeAt(i))) {
      return malformed(key, "unquoted-value", unquotedReason(text, i));
    }
    valueStart = i;
    while (i < text.length && isWordChar(text.charCodeAt(i))) i++;
    valueEnd = i;
    quoted = false;
  }
  const raw = text.slice(valueStart, valueEnd);
  const rest = skipBlanks(text, i);
  if (rest < text.length && text.charCodeAt(rest) !== 35) {
    return quoted
      ? malformed(
        key,
        "text-after-value",
        `text after the closing quote: ${JSON.stringify(text.slice(rest))}`,
      )
      : malformed(key, "unquoted-value", unquotedReason(text, valueStart));
  }
  const comment = rest < text.length ? text.slice(rest) : null;
  return { kind: "assignment", key, raw, quoted, valueStart, valueEnd, comment };
}

/** Explains an unquoted value that is not one loader word. */
function unquotedReason(text: string, start: number): string {
  let end = text.indexOf("#", start);
  if (end < 0) end = text.length;
  const value = text.slice(start, end).trimEnd();
  return `unquoted value ${JSON.stringify(value)} is not one word (letters, digits, - _ .): ` +
    "it must be in double quotes";
}

/**
 * Parses one loader.conf file into lines, keeping every line's exact text and terminator so that
 * {@linkcode renderLoaderConf} gives back the same string for any input. Lines end at `\n`
 * (with `\r\n` kept as one terminator), as the loader splits them; a lone `\r` stays in the text.
 * A NUL byte is an input error (exit 65) naming the file and line.
 */
export function parseLoaderConf(text: string, path: string): LoaderConf {
  const lines: LoaderLine[] = [];
  let start = 0;
  let number = 1;
  const push = (end: number, eol: LineEnd) => {
    const lineText = text.slice(start, end);
    lines.push({ number, text: lineText, eol, ...classifyLine(lineText) } as LoaderLine);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) {
      throw dataError(
        `${path}:${number}: NUL byte in loader configuration`,
        "loader.conf must be plain text; inspect it with hexdump -C and remove the NUL bytes",
        { file: path, line: number },
      );
    }
    if (c === 10) {
      const crlf = i > start && text.charCodeAt(i - 1) === 13;
      push(crlf ? i - 1 : i, crlf ? "\r\n" : "\n");
      start = i + 1;
      number++;
    }
  }
  if (start < text.length) push(text.length, "");
  return { path, lines };
}

/** The file's text: every line and its terminator, byte for byte. */
export function renderLoaderConf(conf: LoaderConf): string {
  let out = "";
  for (const line of conf.lines) out += line.text + line.eol;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Values

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
function at(a: { file: string; line: number }): string {
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
    const earlier = list.slice(0, -1).map(at);
    const dropIns = list.filter((a) => a.file.startsWith(LOADER_CONF_DIR + "/")).length;
    const unsorted = dropIns > 1
      ? `; ${LOADER_CONF_DIR} files are read in directory order, not sorted`
      : "";
    out.push({
      level: "warn",
      code: "loader-conf-duplicate",
      message: `${key} is set ${list.length} times: ${at(last)} overrides ${earlier.join(", ")}` +
        unsorted,
      fix: `keep one ${key} line: the loader does not merge them, the last one read wins`,
      file: last.file,
      line: last.line,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Read order

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

// ---------------------------------------------------------------------------------------------
// The kernel's reading of pptdevs

/** One piece of a pptdevs value, as `vmm_is_pptdev` cuts and reads it. */
export interface KernelToken {
  /** The piece between single spaces (may hold tabs: they are not separators). */
  readonly text: string;
  /** Offset of the piece in the value. */
  readonly start: number;
  /** The numbers `sscanf("%d/%d/%d")` converted, 0 to 3 of them. */
  readonly numbers: readonly number[];
  /** What the kernel matches: B/S/F when three numbers were read and each is in range, else null. */
  readonly address: PciAddress | null;
  /** Text after the third number, which the kernel ignores ("" when none or not 3 numbers). */
  readonly ignored: string;
}

/** Kernel `isspace`: space and \t..\r. */
function isKernelSpace(code: number): boolean {
  return isBlank(code);
}

/**
 * `sscanf(s, "%d/%d/%d")` of the kernel's libkern: `%d` skips blanks, takes an optional sign and
 * at least one decimal digit; `/` must match exactly. Returns the numbers read and where reading
 * stopped. A number beyond int range is undefined behaviour in C; here it ends the scan (it can
 * never match a device anyway).
 */
function scanBsf(s: string): { numbers: number[]; end: number } {
  const numbers: number[] = [];
  let i = 0;
  for (let n = 0; n < 3; n++) {
    if (n > 0) {
      if (s.charCodeAt(i) !== 47) break;
      i++;
    }
    let j = i;
    while (j < s.length && isKernelSpace(s.charCodeAt(j))) j++;
    let sign = 1;
    if (s.charCodeAt(j) === 43 || s.charCodeAt(j) === 45) {
      if (s.charCodeAt(j) === 45) sign = -1;
      j++;
    }
    const digits = j;
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    if (j === digits) break;
    const value = sign * Number(s.slice(digits, j));
    if (value > 2147483647 || value < -2147483648) break;
    numbers.push(value);
    i = j;
  }
  return { numbers, end: i };
}

/**
 * Reads a pptdevs value exactly as the kernel does: cut at each single ASCII space (empty pieces,
 * from double, leading or trailing spaces, read as nothing and are left out), each piece through
 * `sscanf("%d/%d/%d")`. Use it for loader.conf values and for `kenv` values alike.
 */
export function readPptdevsValue(value: string): KernelToken[] {
  const out: KernelToken[] = [];
  let start = 0;
  while (start < value.length) {
    let end = value.indexOf(" ", start);
    if (end < 0) end = value.length;
    const text = value.slice(start, end);
    if (text !== "") {
      const { numbers, end: stop } = scanBsf(text);
      let address: PciAddress | null = null;
      if (numbers.length === 3) {
        const [bus, slot, fn] = numbers;
        if (bus >= 0 && bus <= 255 && slot >= 0 && slot <= 31 && fn >= 0 && fn <= 255) {
          address = { domain: 0, bus, slot, function: fn };
        }
      }
      out.push({
        text,
        start,
        numbers,
        address,
        ignored: numbers.length === 3 ? text.slice(stop) : "",
      });
    }
    start = end + 1;
  }
  return out;
}

/** True when a token is a plain decimal B/S/F that the kernel reads whole. */
function isCleanToken(token: KernelToken): boolean {
  return token.address !== null && token.text === formatBsf(token.address);
}

/** A device the kernel reserves, and where the reservation comes from. */
export interface ReservedDevice {
  readonly address: PciAddress;
  /** `1/0/0`. */
  readonly bsf: string;
  readonly variable: PptdevsVariable;
  /** The token as written (`1/0/0`, or `01/0/0`, `1/0/0\t2/0/0` that the kernel reads as 1/0/0). */
  readonly token: string;
  /** The file and line of the effective assignment; null for a `kenv` value. */
  readonly file: string | null;
  readonly line: number | null;
}

/** `/boot/loader.conf:1 pptdevs`: where a reservation comes from (`kenv pptdevs` for kenv). */
export function reservationWhere(device: ReservedDevice): string {
  return device.file === null
    ? `kenv ${device.variable}`
    : `${device.file}:${device.line} ${device.variable}`;
}

/** The value of a pptdevs variable and where it comes from. */
interface PptdevsSource {
  readonly variable: PptdevsVariable;
  readonly value: string;
  readonly file: string | null;
  readonly line: number | null;
}

function reservedFrom(sources: readonly PptdevsSource[]): ReservedDevice[] {
  const seen = new Set<string>();
  const out: ReservedDevice[] = [];
  for (const source of sources) {
    for (const token of readPptdevsValue(source.value)) {
      if (token.address === null) continue;
      const bsf = formatBsf(token.address)!;
      if (seen.has(bsf)) continue;
      seen.add(bsf);
      out.push({
        address: token.address,
        bsf,
        variable: source.variable,
        token: token.text,
        file: source.file,
        line: source.line,
      });
    }
  }
  return out;
}

/** True when the kernel drops this `name=value` at boot as too long. */
function droppedAtBoot(variable: string, value: string): boolean {
  return variable.length + 1 + value.length > KENV_BOOT_STRING_LIMIT;
}

/**
 * The devices the kernel will reserve at the next boot from these loader files, each with the
 * variable and file:line it comes from, in the kernel's scan order, each device once. A value the
 * kernel drops at boot as too long reserves nothing.
 */
export function reservedDevices(values: LoaderValues): ReservedDevice[] {
  const sources: PptdevsSource[] = [];
  for (const variable of PPTDEVS_VARIABLES) {
    const a = effectiveAssignment(values, variable);
    if (a === undefined || droppedAtBoot(variable, a.value)) continue;
    sources.push({ variable, value: a.value, file: a.file, line: a.line });
  }
  return reservedFrom(sources);
}

/** The devices the running kernel reserved, from `kenv` (see {@linkcode parseKenv}). */
export function kenvReservedDevices(kenv: ReadonlyMap<string, string>): ReservedDevice[] {
  const sources: PptdevsSource[] = [];
  for (const variable of PPTDEVS_VARIABLES) {
    const value = kenv.get(variable);
    if (value !== undefined) sources.push({ variable, value, file: null, line: null });
  }
  return reservedFrom(sources);
}

/**
 * Output of `kenv` (one `name="value"` per line) -> map. Values are printed unescaped, so the
 * value is everything between the first `="` and the last `"` of the line. Lines without `=` are
 * skipped; a repeated name keeps its last value.
 */
export function parseKenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    out.set(line.slice(0, eq), value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Findings

function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Collapses blanks to single spaces: the value a user with tabs or double spaces meant. */
function singleSpaced(value: string): string {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && isBlank(value.charCodeAt(i))) i++;
    const start = i;
    while (i < value.length && !isBlank(value.charCodeAt(i))) i++;
    if (i > start) out.push(value.slice(start, i));
  }
  return out.join(" ");
}

/** The hint address.ts gives for a token it cannot read as B/S/F, if any. */
function addressHint(text: string): string | undefined {
  try {
    parseAddress(text, "bsf");
    return undefined;
  } catch (e) {
    return e instanceof PptkitError ? e.hint : undefined;
  }
}

/** A `pptdevs-syntax` finding for one token the kernel does not read as written. */
function tokenFinding(variable: string, a: Assignment, token: KernelToken): Finding | null {
  if (isCleanToken(token)) return null;
  const where = `${at(a)}: ${variable} token ${JSON.stringify(token.text)}`;
  const base = { code: "pptdevs-syntax" as const, file: a.file, line: a.line };
  if (token.numbers.length === 3 && token.address === null) {
    const [bus, slot, fn] = token.numbers;
    const what = bus < 0 || bus > 255
      ? `bus ${bus} is out of range 0-255`
      : slot < 0 || slot > 31
      ? `slot ${slot} is out of range 0-31`
      : `function ${fn} is out of range 0-255`;
    return {
      ...base,
      level: "error",
      message: `${where}: ${what}, no device can match it`,
      fix: "remove it, or write the device's B/S/F as pciconf -l shows it",
    };
  }
  // Blanks other than a single space do not separate tokens: what the user meant is the
  // token cut at every blank.
  const meant = singleSpaced(token.text);
  if (meant.includes(" ")) {
    const got = token.address === null ? null : formatBsf(token.address)!;
    const lost = readPptdevsValue(meant).filter((t) => t.address !== null)
      .map((t) => formatBsf(t.address!)!).filter((b) => b !== got);
    return {
      ...base,
      level: lost.length > 0 || got === null ? "error" : "warn",
      message: `${where}: a tab is not a separator: the kernel ` +
        (got === null
          ? (lost.length > 0
            ? `reads one bad token, so it never sees ${joinAnd(lost)}`
            : "reads one bad token and ignores it")
          : `reserves ${got}` + (lost.length > 0 ? ` and never sees ${joinAnd(lost)}` : "")),
      fix: `separate devices with single spaces: ${JSON.stringify(meant)}`,
      ...(token.address === null ? {} : { device: formatSelector(token.address) }),
    };
  }
  if (token.address !== null) {
    const bsf = formatBsf(token.address)!;
    return {
      ...base,
      level: "warn",
      message: token.ignored === ""
        ? `${where}: the kernel reads it as ${bsf}`
        : `${where}: the kernel reserves ${bsf} and ignores ${JSON.stringify(token.ignored)}`,
      fix: `write it as ${bsf}`,
      device: formatSelector(token.address),
    };
  }
  // Nothing usable: the kernel silently skips the token.
  const t = token.text;
  const hint = addressHint(t);
  let problem: string;
  if (t.includes("0x") || t.includes("0X")) {
    problem = "is hexadecimal: the kernel reads decimal only and ignores it";
  } else if (t.includes(":")) {
    problem = "is not B/S/F (pptdevs takes no pci domain prefix): the kernel ignores it";
  } else {
    problem = "is not a B/S/F: the kernel ignores it";
  }
  return {
    ...base,
    level: "error",
    message: `${where} ${problem}`,
    fix: hint ?? "write the device as decimal bus/slot/function like 2/0/0, or remove it",
  };
}

/** True for names that look like a pptdevs variable but that the kernel never reads. */
function isIgnoredPptdevsName(key: string): boolean {
  return key.startsWith("pptdev") && !(PPTDEVS_VARIABLES as readonly string[]).includes(key);
}

/**
 * Findings about the pptdevs variables of these files, as the kernel will read them:
 * - `pptdevs-syntax`: a token the kernel does not read as written (tab, hex, `pci0:` prefix,
 *   junk, trailing text, out of range), a pptdevs line the loader rejects, a value using `\`/`$`;
 * - `pptdevs-too-long`: a value over 128 characters (error when the kernel drops it at boot);
 * - `pptdevs4-ignored`: `pptdevs4`, `pptdevs0`, `pptdev`, ...: variables the kernel never reads;
 * - `pptdevs-duplicate`: one device listed twice.
 */
export function pptdevsFindings(values: LoaderValues): Finding[] {
  const out: Finding[] = [];
  for (const r of values.rejected) {
    if (r.key === null || !r.key.startsWith("pptdev")) continue;
    out.push({
      level: "error",
      code: "pptdevs-syntax",
      message: `${at(r)}: the loader rejects this ${r.key} line (${r.reason}): it sets nothing`,
      fix: `write it as ${r.key}="1/0/0 2/0/0": decimal B/S/F in double quotes, single spaces`,
      file: r.file,
      line: r.line,
    });
  }
  const firstSeen = new Map<string, { variable: string; a: Assignment }>();
  for (const variable of PPTDEVS_VARIABLES) {
    const a = effectiveAssignment(values, variable);
    if (a === undefined) continue;
    if (a.expands) {
      out.push({
        level: "warn",
        code: "pptdevs-syntax",
        message: `${at(a)}: ${variable} uses \\ or $ (${JSON.stringify(a.raw)}): ` +
          "its value depends on the loader environment",
        fix: "write the devices out literally",
        file: a.file,
        line: a.line,
      });
    }
    const tokens = readPptdevsValue(a.value);
    if (a.value.length > PPTDEVS_VALUE_LIMIT) {
      const dropped = droppedAtBoot(variable, a.value);
      out.push({
        level: dropped ? "error" : "warn",
        code: "pptdevs-too-long",
        message: `${at(a)}: ${variable} is ${a.value.length} characters, over the ` +
          `${PPTDEVS_VALUE_LIMIT}-character limit of vmm(4)` +
          (dropped
            ? `: the kernel drops it at boot, so none of its ${tokens.length} devices is reserved`
            : ""),
        fix: `move devices to the next of pptdevs, pptdevs2, pptdevs3 so that each value has ` +
          `at most ${PPTDEVS_VALUE_LIMIT} characters`,
        file: a.file,
        line: a.line,
      });
    }
    for (const token of tokens) {
      const f = tokenFinding(variable, a, token);
      if (f !== null) out.push(f);
      if (token.address === null) continue;
      const bsf = formatBsf(token.address)!;
      const first = firstSeen.get(bsf);
      if (first === undefined) {
        firstSeen.set(bsf, { variable, a });
        continue;
      }
      out.push({
        level: "warn",
        code: "pptdevs-duplicate",
        message: `${at(a)}: ${bsf} is listed twice: in ${first.variable} (${at(first.a)}) ` +
          `and in ${variable} (${at(a)})`,
        fix: `remove one ${bsf}: it wastes room in the 128-character values`,
        device: formatSelector(token.address),
        file: a.file,
        line: a.line,
      });
    }
  }
  const reserved = new Set(reservedDevices(values).map((d) => d.bsf));
  for (const [key, list] of values.assignments) {
    if (!isIgnoredPptdevsName(key)) continue;
    const a = list[list.length - 1];
    const lost = readPptdevsValue(a.value).filter((t) => t.address !== null)
      .map((t) => formatBsf(t.address!)!).filter((b) => !reserved.has(b));
    out.push({
      level: lost.length > 0 ? "error" : "warn",
      code: "pptdevs4-ignored",
      message: `${at(a)}: the kernel never reads ${key} (only pptdevs, pptdevs2 and pptdevs3)` +
        (lost.length > 0
          ? `: ${joinAnd(lost)} ${lost.length === 1 ? "is" : "are"} not reserved`
          : ""),
      fix: lost.length > 0
        ? `move the devices into pptdevs, pptdevs2 or pptdevs3: pptkit reserve ${lost.join(" ")}`
        : `remove the ${key} line`,
      file: a.file,
      line: a.line,
    });
  }
  return out;
}

/**
 * `pptdevs-multi-domain`: `vmm_is_pptdev` compares bus/slot/function only, so a token matches
 * the device with that B/S/F in every PCI domain. `hostDevices` are the addresses pciconf lists.
 */
export function multiDomainFindings(
  reserved: readonly ReservedDevice[],
  hostDevices: readonly PciAddress[],
): Finding[] {
  const byBsf = new Map<string, PciAddress[]>();
  for (const d of hostDevices) {
    const key = `${d.bus}/${d.slot}/${d.function}`;
    const list = byBsf.get(key) ?? [];
    list.push(d);
    byBsf.set(key, list);
  }
  const out: Finding[] = [];
  for (const r of reserved) {
    const matches = byBsf.get(r.bsf) ?? [];
    const domains = new Set(matches.map((d) => d.domain));
    if (domains.size < 2) continue;
    const where = r.file === null ? `kenv ${r.variable}` : `${r.file}:${r.line}`;
    out.push({
      level: "warn",
      code: "pptdevs-multi-domain",
      message: `${where}: ${r.variable} token ${r.bsf} matches ${matches.length} devices, ` +
        `${joinAnd(matches.map(formatSelector))}: the kernel ignores the PCI domain, so ppt(4) ` +
        "claims every one of them",
      fix: `remove ${r.bsf} from ${r.variable} and bind ${formatSelector(r.address)} at runtime ` +
        "instead (pptkit reserve --now, devctl set driver)",
      device: formatSelector(r.address),
      ...(r.file === null ? {} : { file: r.file, line: r.line! }),
    });
  }
  return out;
}

/**
 * What the kernel's `getenv_int` makes of a tunable: `strtoq(value, 0)` (blanks, sign, `0x` hex,
 * `0` octal, decimal) and at most one `k`/`m`/`g`/`t` suffix. null when it cannot read it, in
 * which case the tunable keeps its default.
 */
export function tunableNumber(value: string): number | null {
  let i = skipBlanks(value, 0);
  let sign = 1;
  if (value[i] === "+" || value[i] === "-") {
    if (value[i] === "-") sign = -1;
    i++;
  }
  let base = 10;
  if (value[i] === "0" && (value[i + 1] === "x" || value[i + 1] === "X")) {
    base = 16;
    i += 2;
  } else if (value[i] === "0") {
    base = 8;
  }
  const start = i;
  let n = 0;
  for (; i < value.length; i++) {
    const d = parseInt(value[i], base);
    if (Number.isNaN(d)) break;
    n = n * base + d;
  }
  if (i === start) return null;
  const rest = value.slice(i);
  const scale: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  const factor = scale[rest.toLowerCase()];
  return factor === undefined ? null : sign * n * factor;
}

/** True when the loader will load vmm.ko: the effective `vmm_load` is YES (any case). */
export function vmmLoadedByLoader(values: LoaderValues): boolean {
  return effectiveAssignment(values, "vmm_load")?.value === "YES";
}

/**
 * `vmm-not-from-loader` when no effective `vmm_load="YES"`: without vmm.ko at boot, ppt(4) cannot
 * win against host drivers and pptdevs does nothing. Error when pptdevs reserves devices, warn
 * otherwise. null when vmm is loaded by the loader.
 */
export function vmmLoadFinding(values: LoaderValues): Finding | null {
  if (vmmLoadedByLoader(values)) return null;
  const a = effectiveAssignment(values, "vmm_load");
  const reserving = reservedDevices(values).length > 0;
  return {
    level: reserving ? "error" : "warn",
    code: "vmm-not-from-loader",
    message:
      (a === undefined
        ? 'the loader does not load vmm: no vmm_load="YES" in the loader configuration'
        : `${at(a)}: vmm_load is ${JSON.stringify(a.raw)}, the loader does not load vmm`) +
      (reserving ? ": pptdevs has no effect without it" : ""),
    fix: `set vmm_load="YES" in ${a?.file ?? LOADER_CONF} and reboot (pptkit reserve does it)`,
    ...(a === undefined ? {} : { file: a.file, line: a.line }),
  };
}

/**
 * Whether the loader configuration enables AMD-Vi: `hw.vmm.amdvi.enable` or its alias
 * `hw.vmm.amdvi_enable` set to a non-zero number. Both feed one kernel variable and which one
 * wins when both are set is UNVERIFIED, so a conflict (one non-zero, the other zero or
 * unreadable) counts as not enabled.
 */
export function amdviEnabled(values: LoaderValues): boolean {
  let on = false;
  for (const name of AMDVI_TUNABLES) {
    const a = effectiveAssignment(values, name);
    if (a === undefined) continue;
    const n = tunableNumber(a.value);
    if (n === null || n === 0) return false;
    on = true;
  }
  return on;
}

/**
 * `amdvi-disabled` for a host with AMD-Vi (an IVRS table) whose loader configuration does not
 * enable it: vmm then leaves the IOMMU off and every passthrough fails. null otherwise.
 */
export function amdviFinding(values: LoaderValues, hostHasAmdVi: boolean): Finding | null {
  if (!hostHasAmdVi || amdviEnabled(values)) return null;
  const set = AMDVI_TUNABLES.map((name) => effectiveAssignment(values, name))
    .filter((a): a is Assignment => a !== undefined && tunableNumber(a.value) !== 1);
  const a = set[set.length - 1];
  return {
    level: "error",
    code: "amdvi-disabled",
    message: a === undefined
      ? "this host has AMD-Vi but hw.vmm.amdvi.enable is not set: vmm leaves the IOMMU off " +
        "and passthrough fails"
      : `${at(a)}: this host has AMD-Vi but ${a.key} is ${JSON.stringify(a.raw)}: vmm leaves ` +
        "the IOMMU off and passthrough fails",
    fix: `set hw.vmm.amdvi.enable=1 in ${a?.file ?? LOADER_CONF} and reboot ` +
      "(pptkit reserve does it)",
    ...(a === undefined ? {} : { file: a.file, line: a.line }),
  };
}

// ---------------------------------------------------------------------------------------------
// Packing

/** The tokens of `pptdevs`, `pptdevs2` and `pptdevs3`, in order. */
export type PptdevsLayout = Readonly<Record<PptdevsVariable, readonly string[]>>;

/** The layout a set of loader values gives: the kernel's pieces of each effective value. */
export function pptdevsLayout(values: LoaderValues): PptdevsLayout {
  const tokens = (v: PptdevsVariable) => {
    const a = effectiveAssignment(values, v);
    return a === undefined ? [] : readPptdevsValue(a.value).map((t) => t.text);
  };
  return { pptdevs: tokens("pptdevs"), pptdevs2: tokens("pptdevs2"), pptdevs3: tokens("pptdevs3") };
}

/** B/S/F of a device for pptdevs; devices outside domain 0 cannot be named there. */
function pptdevsBsf(a: PciAddress): string {
  const bsf = formatBsf(a);
  if (bsf === null) {
    throw dataError(
      `cannot reserve ${formatSelector(a)}: pptdevs can only name devices in PCI domain 0`,
      "bhyve can pass through only devices in domain 0",
    );
  }
  return bsf;
}

/** The device a token reserves (as the kernel reads it), as B/S/F. */
function tokenKey(token: string): string | null {
  const t = readPptdevsValue(token)[0];
  return t?.address ? formatBsf(t.address) : null;
}

function valueLength(tokens: readonly string[]): number {
  let n = tokens.length > 0 ? tokens.length - 1 : 0;
  for (const t of tokens) n += t.length;
  return n;
}

/**
 * Puts devices into `pptdevs`, `pptdevs2`, `pptdevs3` so that every value has at most `limit`
 * characters. Existing tokens stay in their variable and position; removals drop every token the
 * kernel reads as a removed device; a device already listed is not added again (and a later
 * duplicate is dropped); new devices are appended to the first variable with room. A value that
 * is already over the limit gives up its last tokens, which are placed like new ones.
 * When the three variables are full, throws a {@linkcode PptkitError} (exit 65) naming how many
 * devices do not fit.
 */
export function packPptdevs(
  current: PptdevsLayout,
  add: readonly PciAddress[],
  remove: readonly PciAddress[],
  limit: number = PPTDEVS_VALUE_LIMIT,
): PptdevsLayout {
  const adding = add.map(pptdevsBsf);
  const removing = new Set(remove.map(pptdevsBsf));
  const both = adding.filter((b) => removing.has(b));
  if (both.length > 0) throw usageError(`${both[0]} is both reserved and released`);
  const seen = new Set<string>();
  const lists = PPTDEVS_VARIABLES.map((v) => {
    const kept: string[] = [];
    for (const token of current[v]) {
      const key = tokenKey(token);
      if (key !== null && (removing.has(key) || seen.has(key))) continue;
      if (key !== null) seen.add(key);
      kept.push(token);
    }
    return kept;
  });
  const pending: string[] = [];
  for (const list of lists) {
    const spilled: string[] = [];
    while (list.length > 0 && valueLength(list) > limit) spilled.unshift(list.pop()!);
    pending.push(...spilled);
  }
  for (const bsf of adding) {
    if (seen.has(bsf)) continue;
    seen.add(bsf);
    pending.push(bsf);
  }
  const unfit: string[] = [];
  for (const token of pending) {
    const list = lists.find((l) => valueLength(l) + (l.length > 0 ? 1 : 0) + token.length <= limit);
    if (list === undefined) unfit.push(token);
    else list.push(token);
  }
  if (unfit.length > 0) {
    const n = unfit.length;
    throw dataError(
      `pptdevs, pptdevs2 and pptdevs3 are full: ${n} device${n === 1 ? " does" : "s do"} ` +
        `not fit (${unfit.join(" ")})`,
      `each value holds at most ${limit} characters and the kernel reads no other variable: ` +
        "bind the rest at runtime with --now (devctl, not kept across reboots), or release " +
        "devices you no longer pass through",
    );
  }
  return { pptdevs: lists[0], pptdevs2: lists[1], pptdevs3: lists[2] };
}

// ---------------------------------------------------------------------------------------------
// Editing

/** What `reserve` / `release` ask of the loader configuration. */
export interface LoaderEditRequest {
  /** Devices to reserve (domain 0). Non-empty also ensures `vmm_load="YES"`. */
  readonly add: readonly PciAddress[];
  /** Devices to release. */
  readonly remove: readonly PciAddress[];
  /** Ensure `hw.vmm.amdvi.enable=1` (AMD hosts). */
  readonly amdvi: boolean;
}

/** The result of {@linkcode editLoaderConf}. */
export interface LoaderEdit {
  /** The target file. */
  readonly path: string;
  /** False when the request changes nothing (then `text === oldText`). */
  readonly changed: boolean;
  readonly oldText: string;
  /** The new text of the target file. */
  readonly text: string;
  /** B/S/F newly put into pptdevs*, and taken out of it. */
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** pptdevs, pptdevs2, pptdevs3 as the target file leaves them. */
  readonly layout: PptdevsLayout;
  /** What the kernel will reserve at the next boot, reading every file with the new text. */
  readonly reserved: readonly ReservedDevice[];
  /**
   * `loader-conf-overridden` (warn): a file read after the target also sets a variable pptkit
   * manages, so it wins; `loader-conf-duplicate` (warn): the edit added a second assignment.
   */
  readonly findings: readonly Finding[];
}

/** The line end a file uses: CRLF when most of its lines end so, else LF. */
function fileEol(conf: LoaderConf): "\n" | "\r\n" {
  let crlf = 0;
  let lf = 0;
  for (const line of conf.lines) {
    if (line.eol === "\r\n") crlf++;
    else if (line.eol === "\n") lf++;
  }
  return crlf > lf ? "\r\n" : "\n";
}

function sameTokens(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

function refuse(file: string, line: number, message: string, hint: string): PptkitError {
  return new PptkitError(ExitCode.DataError, `${file}:${line}: ${message}`, hint, { file, line });
}

/** Index of the last line of `conf` that sets (or tries to set) `key`, or -1. */
function lastLineOf(conf: LoaderConf, key: string): number {
  for (let i = conf.lines.length - 1; i >= 0; i--) {
    const line = conf.lines[i];
    if ((line.kind === "assignment" || line.kind === "malformed") && line.key === key) return i;
  }
  return -1;
}

/** True when a value can stay unquoted: one loader word. */
function isLoaderWord(value: string): boolean {
  if (value === "" || !isWordStart(value.charCodeAt(0))) return false;
  for (let i = 1; i < value.length; i++) if (!isWordChar(value.charCodeAt(i))) return false;
  return true;
}

/** The line with its value replaced; quoting kept, added when the value needs it. */
function withValue(line: AssignmentLine, value: string): string {
  const quote = !line.quoted && !isLoaderWord(value);
  const written = quote ? `"${value}"` : value;
  return line.text.slice(0, line.valueStart) + written + line.text.slice(line.valueEnd);
}

/** A new line in the guide's spelling: `pptdevs="1/0/0"`, `vmm_load="YES"`, `hw.vmm.amdvi.enable=1`. */
function newLine(key: string, value: string): string {
  return (AMDVI_TUNABLES as readonly string[]).includes(key)
    ? `${key}=${value}`
    : `${key}="${value}"`;
}

/**
 * Computes the new text of one loader configuration file for `reserve` / `release`, the way
 * sysrc's `f_sysrc_set` edits rc.conf: only the last assignment of a variable changes, every
 * other line keeps its bytes, order, comments, quoting and line end (a CRLF file stays CRLF).
 *
 * `files` are the parsed files in loader order (see {@linkcode loaderFileOrder}); `target` is the
 * path of the one to edit and must be among them (pass `parseLoaderConf("", path)` for a file
 * that does not exist yet). The current pptdevs values are what the loader has read once it has
 * read the target; the new ones come from {@linkcode packPptdevs}. Then:
 * - a changed `pptdevsN` is rewritten in the target's last `pptdevsN` line; a new one goes after
 *   the target's line of the variable before it, or at the top of the file; an emptied one is
 *   dropped (its trailing comment, if any, stays as a comment line), or set to `""` when an
 *   earlier line or file sets it too and would otherwise take over again;
 * - with devices to add, `vmm_load="YES"` is ensured; with `amdvi`, `hw.vmm.amdvi.enable=1`;
 *   new lines go at the top, in the guide's order (pptdevs, pptdevs2, pptdevs3, vmm_load, amdvi).
 * Written values are quoted, decimal B/S/F, single spaces, free of `"`, `\` and `$`.
 * Refuses (exit 65, nothing changes) when a line it must change is one the loader rejects, or
 * holds a token or `\`/`$` it cannot rewrite faithfully; and when the devices do not fit.
 * The result is read back and checked before it is returned; the same request twice gives
 * `changed: false` the second time.
 */
export function editLoaderConf(
  files: readonly LoaderConf[],
  target: string,
  request: LoaderEditRequest,
): LoaderEdit {
  const index = files.findIndex((f) => f.path === target);
  if (index < 0) throw new Error(`editLoaderConf: ${target} is not among the files given`);
  const conf = files[index];
  const oldText = renderLoaderConf(conf);
  const before = loaderValues(files.slice(0, index + 1));
  const current = pptdevsLayout(before);
  const layout = packPptdevs(current, request.add, request.remove);
  const rejectedHere = new Set(
    before.rejected.filter((r) => r.file === target).map((r) => r.line),
  );

  // The variables to set, in the order new lines are written at the top of a file.
  const edits = new Map<string, string>();
  for (const v of PPTDEVS_VARIABLES) {
    if (sameTokens(current[v], layout[v])) continue;
    const a = effectiveAssignment(before, v);
    if (a !== undefined && a.expands) {
      throw refuse(
        a.file,
        a.line,
        `cannot update ${v}: its value uses \\ or $ (${JSON.stringify(a.raw)})`,
        "write the devices out literally, then run pptkit again",
      );
    }
    for (const token of readPptdevsValue(layout[v].join(" "))) {
      if (isCleanToken(token)) continue;
      // Only tokens that were already there can be unclean: name the line they come from.
      const from = PPTDEVS_VARIABLES.find((u) => current[u].includes(token.text)) ?? v;
      const source = effectiveAssignment(before, from)!;
      const why = tokenFinding(from, source, token);
      throw refuse(
        source.file,
        source.line,
        `cannot update ${v}: token ${JSON.stringify(token.text)} is not a plain B/S/F`,
        `${why?.fix ?? "write it as decimal B/S/F"}, then run pptkit again`,
      );
    }
    edits.set(v, layout[v].join(" "));
  }
  // vmm_load and AMD-Vi count once every file is read: a later file may already set them (then
  // nothing to do) or set them wrong (then an edit here is useless: reported as overridden).
  const allBefore = loaderValues(files);
  const later = new Set(files.slice(index + 1).map((f) => f.path));
  const setLater = (key: string) => later.has(effectiveAssignment(allBefore, key)?.file ?? "");
  const wantVmm = request.add.length > 0 && !setLater("vmm_load");
  if (wantVmm && !vmmLoadedByLoader(allBefore)) edits.set("vmm_load", "YES");
  const wantAmdvi = request.amdvi && !AMDVI_TUNABLES.some(setLater);
  if (request.amdvi && !amdviEnabled(allBefore)) {
    let present = false;
    for (const name of AMDVI_TUNABLES) {
      const a = effectiveAssignment(allBefore, name);
      if (a === undefined) continue;
      present = true;
      const n = tunableNumber(a.value);
      if (!later.has(a.file) && (n === null || n === 0)) edits.set(name, "1");
    }
    if (!present) edits.set(AMDVI_TUNABLES[0], "1");
  }

  const eol = fileEol(conf);
  const texts = conf.lines.map((l) => l.text);
  const dropped = new Set<number>();
  const after = new Map<number, string[]>();
  const top: string[] = [];
  for (const [key, value] of edits) {
    const assigned = before.assignments.get(key) ?? [];
    const i = lastLineOf(conf, key);
    if (i < 0) {
      // An emptied variable that only this file could have set: nothing to write.
      if (value === "" && assigned.length === 0) continue;
      const rank = (PPTDEVS_VARIABLES as readonly string[]).indexOf(key);
      let anchor = -1;
      for (let r = rank - 1; r >= 0 && anchor < 0; r--) {
        anchor = lastLineOf(conf, PPTDEVS_VARIABLES[r]);
      }
      if (anchor >= 0 && conf.lines[anchor].kind === "assignment") {
        after.set(anchor, [...after.get(anchor) ?? [], newLine(key, value)]);
      } else {
        top.push(newLine(key, value));
      }
      continue;
    }
    const line = conf.lines[i];
    if (line.kind !== "assignment" || rejectedHere.has(line.number)) {
      const reason = line.kind === "malformed"
        ? line.reason
        : before.rejected.find((r) => r.file === target && r.line === line.number)?.reason ?? "";
      throw refuse(
        target,
        line.number,
        `cannot update ${key}: the loader rejects this line (${reason})`,
        "fix or remove the line by hand (today it sets nothing), then run pptkit again",
      );
    }
    // Other accepted assignments of the variable are earlier ones: dropping this line would
    // bring them back, so an emptied variable is then set to "" instead.
    const earlier = assigned.length > 1;
    if (value === "" && !earlier) {
      if (line.comment === null) dropped.add(i);
      else texts[i] = line.text.slice(0, skipBlanks(line.text, 0)) + line.comment;
    } else {
      texts[i] = withValue(line, value);
    }
  }

  // Assemble: top block, then every kept line followed by what goes after it.
  const out: { text: string; eol: LineEnd; isNew: boolean }[] = [];
  for (const text of top) out.push({ text, eol, isNew: true });
  conf.lines.forEach((line, i) => {
    if (!dropped.has(i)) out.push({ text: texts[i], eol: line.eol, isNew: false });
    for (const text of after.get(i) ?? []) out.push({ text, eol, isNew: true });
  });
  for (let i = 0; i < out.length - 1; i++) if (out[i].eol === "") out[i].eol = eol;
  const last = out[out.length - 1];
  if (last?.isNew && conf.lines.length > 0 && conf.lines[conf.lines.length - 1].eol === "") {
    last.eol = "";
  }
  const text = out.map((l) => l.text + l.eol).join("");
  const newConf = parseLoaderConf(text, target);

  // Read the result back the way the loader and the kernel will, before anyone writes it.
  const check = loaderValues([...files.slice(0, index), newConf]);
  const want = new Set<string>();
  for (const v of PPTDEVS_VARIABLES) {
    for (const t of layout[v]) {
      const key = tokenKey(t);
      if (key !== null) want.add(key);
    }
  }
  const got = reservedDevices(check).map((d) => d.bsf);
  const gotLayout = pptdevsLayout(check);
  const all = [...files.slice(0, index), newConf, ...files.slice(index + 1)];
  const afterValues = loaderValues(all);
  if (
    got.length !== want.size || !got.every((b) => want.has(b)) ||
    !PPTDEVS_VARIABLES.every((v) => sameTokens(gotLayout[v], layout[v])) ||
    (wantVmm && !vmmLoadedByLoader(afterValues)) ||
    (wantAmdvi && !amdviEnabled(afterValues))
  ) {
    throw new Error(`editLoaderConf: the new ${target} does not read back as intended`);
  }

  const had = new Set<string>();
  for (const v of PPTDEVS_VARIABLES) {
    for (const t of current[v]) {
      const key = tokenKey(t);
      if (key !== null) had.add(key);
    }
  }
  return {
    path: target,
    changed: text !== oldText,
    oldText,
    text,
    added: [...want].filter((b) => !had.has(b)),
    removed: [...had].filter((b) => !want.has(b)),
    layout,
    reserved: reservedDevices(afterValues),
    findings: [
      ...overrideFindings(
        afterValues,
        files,
        index,
        managedKeys(conf, edits, request, afterValues),
      ),
      ...newDuplicates(allBefore, afterValues),
    ],
  };
}

/**
 * `loader-conf-overridden`: a file read after the target sets a variable that the edit changes or
 * that the target sets, so the target's value never counts.
 */
function overrideFindings(
  values: LoaderValues,
  files: readonly LoaderConf[],
  index: number,
  keys: ReadonlySet<string>,
): Finding[] {
  const target = files[index].path;
  const later = new Set(files.slice(index + 1).map((f) => f.path));
  const out: Finding[] = [];
  for (const key of keys) {
    const last = effectiveAssignment(values, key);
    if (last === undefined || !later.has(last.file)) continue;
    out.push({
      level: "warn",
      code: "loader-conf-overridden",
      message: `${at(last)}: ${key} is set in a file the loader reads after ${target}, ` +
        `so this value wins over ${target}`,
      fix: `set ${key} in one file only: remove it from ${last.file}, or edit that file ` +
        `with --loader-conf ${last.file}`,
      file: last.file,
      line: last.line,
    });
  }
  return out;
}

/**
 * The variables pptkit manages that the edit changes, that the target sets, or that the request
 * needs and that do not end up right once every file is read.
 */
function managedKeys(
  conf: LoaderConf,
  edits: ReadonlyMap<string, string>,
  request: LoaderEditRequest,
  after: LoaderValues,
): Set<string> {
  const keys = new Set(edits.keys());
  if (request.add.length > 0 && !vmmLoadedByLoader(after)) keys.add("vmm_load");
  if (request.amdvi && !amdviEnabled(after)) AMDVI_TUNABLES.forEach((name) => keys.add(name));
  const managed: readonly string[] = [...PPTDEVS_VARIABLES, "vmm_load", ...AMDVI_TUNABLES];
  for (const line of conf.lines) {
    if (line.kind === "assignment" && managed.includes(line.key)) keys.add(line.key);
  }
  return keys;
}

/** Duplicate findings for variables the edit gave one more assignment. */
function newDuplicates(before: LoaderValues, after: LoaderValues): Finding[] {
  const count = (values: LoaderValues, key: string) => values.assignments.get(key)?.length ?? 0;
  return duplicateFindings(after, (key) => count(after, key) > count(before, key));
}
