/**
 * The one edit pptkit makes to a loader configuration file (`reserve`, `release`), the way
 * sysrc's `f_sysrc_set` edits rc.conf: only the last assignment of a variable changes, every
 * other line keeps its bytes.
 *
 * @module
 */

import { formatBsf, type PciAddress } from "../address.ts";
import { ExitCode, PptkitError } from "../errors.ts";
import type { Finding } from "../findings.ts";
import { amdviEnabled, tokenFinding, tunableNumber, vmmLoadedByLoader } from "./findings.ts";
import {
  isCleanToken,
  PPTDEVS_VARIABLES,
  readPptdevsValue,
  type ReservedDevice,
  reservedDevices,
} from "./kernel.ts";
import {
  type AssignmentLine,
  BOM,
  isWordChar,
  isWordStart,
  type LineEnd,
  type LoaderConf,
  parseLoaderConf,
  renderLoaderConf,
  skipBlanks,
} from "./lines.ts";
import { packPptdevs, type PptdevsLayout, pptdevsLayout, tokenKey } from "./packing.ts";
import {
  AMDVI_TUNABLES,
  type Assignment,
  duplicateFindings,
  effectiveAssignment,
  type LoaderValues,
  loaderValues,
} from "./values.ts";

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
  /**
   * The assignment in a file read after the target that keeps the request from taking effect
   * (a device added is not reserved once every file is read, one released still is, vmm_load or
   * AMD-Vi end up off); null when the request takes effect. The caller refuses such an edit:
   * the value that counts is in that file.
   */
  readonly lostTo: Assignment | null;
}

/**
 * Where the loader's pptdevs values live: the last file in loader order that sets (or tries to
 * set) `pptdevs`, `pptdevs2` or `pptdevs3`, so that an edit there is the one that counts; null
 * when no file does.
 */
export function pptdevsHome(files: readonly LoaderConf[]): string | null {
  for (let f = files.length - 1; f >= 0; f--) {
    for (const line of files[f].lines) {
      if (
        (line.kind === "assignment" || line.kind === "malformed") && line.key !== null &&
        (PPTDEVS_VARIABLES as readonly string[]).includes(line.key)
      ) {
        return files[f].path;
      }
    }
  }
  return null;
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
  return new PptkitError(ExitCode.DataError, message, hint, { file, line });
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
 *   the target's line of the variable before it, or at the top of the file (after the first
 *   line of a file that starts with a byte order mark); an emptied one is dropped, with every
 *   duplicate line of it in the target (a trailing comment stays as a comment line), or set to
 *   `""` when an earlier file sets it too and would otherwise take over again;
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
  const allBefore = loaderValues(files);
  const later = new Set(files.slice(index + 1).map((f) => f.path));
  const wanted = wantedValues(before, allBefore, later, current, layout, request);
  const text = applyEdits(conf, before, wanted.edits);
  const newConf = parseLoaderConf(text, target);
  const all = [...files.slice(0, index), newConf, ...files.slice(index + 1)];
  const afterValues = loaderValues(all);
  checkReadBack(loaderValues([...files.slice(0, index), newConf]), afterValues, layout, wanted);

  const had = tokenKeys(current);
  const want = tokenKeys(layout);
  const lostTo = lostAssignment(afterValues, later, request, wanted);
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
        managedKeys(conf, wanted.edits, request, afterValues),
      ),
      ...newDuplicates(allBefore, afterValues),
    ],
    lostTo,
  };
}

/**
 * The later file's assignment that undoes the request once every file is read (see
 * {@linkcode LoaderEdit.lostTo}), or null.
 */
function lostAssignment(
  after: LoaderValues,
  later: ReadonlySet<string>,
  request: LoaderEditRequest,
  wanted: WantedValues,
): Assignment | null {
  const lastLater = (keys: readonly string[]) => {
    let found: Assignment | null = null;
    for (const key of keys) {
      const a = effectiveAssignment(after, key);
      if (
        a !== undefined && later.has(a.file) && (found === null || isReadAfter(after, a, found))
      ) {
        found = a;
      }
    }
    return found;
  };
  // A pptdevs variable the edit writes that a later file sets: the new value never counts.
  const edited = lastLater(PPTDEVS_VARIABLES.filter((v) => wanted.edits.has(v)));
  if (edited !== null) return edited;
  const reserved = new Set(reservedDevices(after).map((d) => d.bsf));
  if (
    request.add.some((a) => !reserved.has(formatBsf(a) ?? "")) ||
    request.remove.some((a) => reserved.has(formatBsf(a) ?? ""))
  ) {
    const a = lastLater(PPTDEVS_VARIABLES);
    if (a !== null) return a;
  }
  if (request.add.length > 0 && !wanted.vmm && !vmmLoadedByLoader(after)) {
    const a = lastLater(["vmm_load"]);
    if (a !== null) return a;
  }
  if (request.amdvi && !amdviEnabled(after)) return lastLater(AMDVI_TUNABLES);
  return null;
}

/** True when the loader reads assignment `a` after `b`. */
function isReadAfter(values: LoaderValues, a: Assignment, b: Assignment): boolean {
  const fa = values.files.indexOf(a.file);
  const fb = values.files.indexOf(b.file);
  return fa > fb || (fa === fb && a.line > b.line);
}

/** The devices a layout reserves, as B/S/F. */
function tokenKeys(layout: PptdevsLayout): Set<string> {
  const out = new Set<string>();
  for (const v of PPTDEVS_VARIABLES) {
    for (const t of layout[v]) {
      const key = tokenKey(t);
      if (key !== null) out.add(key);
    }
  }
  return out;
}

/** What the edit sets, and which of the request's wishes it must see fulfilled. */
interface WantedValues {
  /** Variable -> new value, in the order new lines are written at the top of a file. */
  readonly edits: ReadonlyMap<string, string>;
  /** vmm_load must end up YES / AMD-Vi enabled once every file is read. */
  readonly vmm: boolean;
  readonly amdvi: boolean;
}

/**
 * The variables to set: the pptdevs values that change (refusing a line that cannot be
 * rewritten faithfully), `vmm_load="YES"` and AMD-Vi. vmm_load and AMD-Vi count once every
 * file is read: a later file may already set them (then nothing to do) or set them wrong (then
 * an edit here is useless: reported as overridden).
 */
function wantedValues(
  before: LoaderValues,
  allBefore: LoaderValues,
  later: ReadonlySet<string>,
  current: PptdevsLayout,
  layout: PptdevsLayout,
  request: LoaderEditRequest,
): WantedValues {
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
  const setLater = (key: string) => later.has(effectiveAssignment(allBefore, key)?.file ?? "");
  const vmm = request.add.length > 0 && !setLater("vmm_load");
  if (vmm && !vmmLoadedByLoader(allBefore)) edits.set("vmm_load", "YES");
  const amdvi = request.amdvi && !AMDVI_TUNABLES.some(setLater);
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
  return { edits, vmm, amdvi };
}

/** The target's new text: each edit on its variable's last line, new lines where they belong. */
function applyEdits(
  conf: LoaderConf,
  before: LoaderValues,
  edits: ReadonlyMap<string, string>,
): string {
  const target = conf.path;
  const rejectedHere = new Set(
    before.rejected.filter((r) => r.file === target).map((r) => r.line),
  );
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
    // An emptied variable is removed: every line of the target that sets it goes (a duplicate
    // would come back otherwise). Only when an earlier file sets it too is it set to "" instead,
    // since that file's value would take over again.
    const earlierFile = assigned.some((a) => a.file !== target);
    if (value === "" && !earlierFile) {
      for (const a of assigned) {
        const j = conf.lines.findIndex((l) => l.number === a.line);
        const dup = conf.lines[j];
        if (dup.kind !== "assignment") continue;
        if (dup.comment === null) dropped.add(j);
        else texts[j] = dup.text.slice(0, skipBlanks(dup.text, 0)) + dup.comment;
      }
    } else {
      texts[i] = withValue(line, value);
    }
  }

  // Assemble: top block, then every kept line followed by what goes after it. A file that
  // starts with a UTF-8 byte order mark keeps it byte for byte: the top block goes after its
  // first line, which the loader reads with the mark (lines.ts).
  const out: { text: string; eol: LineEnd; isNew: boolean }[] = [];
  const bomFirst = conf.lines.length > 0 && conf.lines[0].text.startsWith(BOM);
  if (!bomFirst) { for (const text of top) out.push({ text, eol, isNew: true }); }
  conf.lines.forEach((line, i) => {
    if (!dropped.has(i)) out.push({ text: texts[i], eol: line.eol, isNew: false });
    if (i === 0 && bomFirst) { for (const text of top) out.push({ text, eol, isNew: true }); }
    for (const text of after.get(i) ?? []) out.push({ text, eol, isNew: true });
  });
  for (let i = 0; i < out.length - 1; i++) if (out[i].eol === "") out[i].eol = eol;
  const last = out[out.length - 1];
  if (last?.isNew && conf.lines.length > 0 && conf.lines[conf.lines.length - 1].eol === "") {
    last.eol = "";
  }
  return out.map((l) => l.text + l.eol).join("");
}

/**
 * Reads the result back the way the loader and the kernel will, before anyone writes it: the
 * files up to the target give exactly the packed layout, and every file gives vmm_load and
 * AMD-Vi as asked. A mismatch is a bug in pptkit, never written.
 */
function checkReadBack(
  upToTarget: LoaderValues,
  afterValues: LoaderValues,
  layout: PptdevsLayout,
  wanted: WantedValues,
): void {
  const want = tokenKeys(layout);
  const got = reservedDevices(upToTarget).map((d) => d.bsf);
  const gotLayout = pptdevsLayout(upToTarget);
  if (
    got.length !== want.size || !got.every((b) => want.has(b)) ||
    !PPTDEVS_VARIABLES.every((v) => sameTokens(gotLayout[v], layout[v])) ||
    (wanted.vmm && !vmmLoadedByLoader(afterValues)) ||
    (wanted.amdvi && !amdviEnabled(afterValues))
  ) {
    throw new Error("editLoaderConf: the new text does not read back as intended");
  }
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
      message: `${key} is set in a file the loader reads after ${target}, ` +
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
