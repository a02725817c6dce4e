/**
 * CBSD VM usage (cbsd/cbsd 007ddb5).
 *
 * CBSD keeps passthru assignments in the table `bhyveppt` of `${cbsd_workdir}/var/db/local.sqlite`
 * (`cbsd_workdir` from /etc/rc.conf, which cbsd.conf sources; no default there, initenv offers
 * /usr/jails): `subr/bhyve.subr` `compile_pci_passthru_args` passes each row of the VM, in
 * attach order. pptkit reads the table with the sqlite3 command CBSD depends on (capture
 * `cbsd-bhyveppt`: `sqlite3 -readonly -batch -json DB "SELECT * FROM bhyveppt ORDER BY rowid;"`,
 * one JSON object a line, nothing at all for no rows; `jname` `0` or empty means unassigned).
 *
 * Without sqlite3 or the database it falls back to `cbsd bhyve-ppt mode=list`, in the three
 * forms CBSD printed (colour sequences removed first; the generation is read from the text):
 * - up to 13.0.18: `B/S/F :  device :  vendor : VM`, `-` for no VM;
 * - 13.0.19 to 13.2.1: the same with `\-` for no VM;
 * - 13.2.2 and later: `column -t` tables under `Host PCI Bus (N):` and `Configured PCI Passthru
 *   devices (M):` (columns PCI, DRIVER, DEVICE, CLASS, SUBCLASS, VM, VENDOR), coloured even
 *   when piped; that listing shows only the last of consecutive ppt devices, so fewer rows than
 *   M means devices whose VM pptkit cannot know (a warning).
 *
 * Each VM's `jails-system/VM/bhyve.conf` (written at every `cbsd bstart`, sh `key='value'`)
 * gives the slots of its last start, for CBSD's layout (core/slots/wrappers/cbsd.ts).
 *
 * @module
 */

import { tryParseAddress } from "../address.ts";
import type { Finding } from "../findings.ts";
import type { Host } from "../host/host.ts";
import { compareText, lines } from "../text.ts";
import type { CbsdGuest, CbsdLastStart, CbsdPpt } from "./guest.ts";
import { readRcConf, readShAssignments } from "./sh.ts";
import {
  checkVmName,
  configFinding,
  duplicateEntries,
  type Entry,
  readWhileScanning,
  type VmConfig,
  type VmScan,
} from "./types.ts";

/** How findings and VM configs name the listing source. */
export const CBSD_LIST_COMMAND = "cbsd bhyve-ppt mode=list";
/** cbsd_workdir when rc.conf does not set it (initenv's default). */
export const CBSD_DEFAULT_WORKDIR = "/usr/jails";

/** Drops `ESC [ ... letter` sequences (CBSD colours its output, even into a pipe). */
function stripColour(text: string): string {
  if (!text.includes("\u001b")) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 27 && text[i + 1] === "[") {
      let j = i + 2;
      while (j < text.length && !isLetter(text.charCodeAt(j))) j++;
      i = j;
      continue;
    }
    out += text[i];
  }
  return out;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** One device row of a listing or of the table: its B/S/F text, VM, class, line. */
interface Row {
  readonly ppt: string;
  readonly vm: string | null;
  readonly class: string | null;
  readonly line: number;
}

/** `-`, `\-`, `0`, empty: no VM. */
function vmOf(cell: string | null | undefined): string | null {
  const v = (cell ?? "").trim();
  return v === "" || v === "-" || v === "\\-" || v === "0" ? null : v;
}

const TITLE = "Configured PCI Passthru devices (";

/** The rows of a 13.2.2+ table listing, and what it says it hides. */
function readTables(text: string, file: string): { rows: Row[]; findings: Finding[] } {
  const rows: Row[] = [];
  const findings: Finding[] = [];
  let declared: number | null = null;
  let titleLine = 0;
  let state: "before" | "title" | "header" | "rows" = "before";
  let vmColumn = -1;
  for (const [n, raw] of lines(text)) {
    const line = raw.trim();
    if (line.startsWith(TITLE)) {
      const close = line.indexOf(")", TITLE.length);
      declared = Number(line.slice(TITLE.length, close));
      titleLine = n;
      state = "title";
      continue;
    }
    if (state === "title" && line.startsWith("PCI ")) {
      const cells = line.split(/ {2,}/);
      vmColumn = cells.indexOf("VM");
      state = "header";
      continue;
    }
    if (state === "header" || state === "rows") {
      if (line === "") {
        if (state === "rows") break;
        continue;
      }
      state = "rows";
      const cells = line.split(/ {2,}/);
      const token = tryParseAddress(cells[0], "bsf");
      if (token?.address == null || token.spelling !== "bsf") {
        findings.push(
          configFinding(file, n, `bad B/S/F "${cells[0]}" in CBSD's ppt list`, undefined, "warn"),
        );
        continue;
      }
      rows.push({
        ppt: cells[0],
        vm: vmColumn < 0 ? null : vmOf(cells[vmColumn]),
        class: cells[3] ?? null,
        line: n,
      });
    }
  }
  if (declared !== null && vmColumn < 0) {
    findings.push(configFinding(
      file,
      titleLine,
      "this CBSD listing has no VM column (mode=list jname=...): it tells no VM's devices",
      `run ${CBSD_LIST_COMMAND} without jname=`,
      "warn",
    ));
  } else if (declared !== null && declared > rows.length) {
    findings.push(configFinding(
      file,
      titleLine,
      `CBSD's listing shows ${rows.length} of its ${declared} ppt devices (since 13.2.2 it ` +
        "shows only the last of consecutive ppt devices): pptkit cannot tell which VMs use " +
        `the other ${declared - rows.length}`,
      "pkg install sqlite3: pptkit then reads CBSD's bhyveppt table instead",
      "warn",
    ));
  }
  return { rows, findings };
}

/** The rows of a ` : ` listing (CBSD 13.2.1 and older). */
function readColonLines(text: string, file: string): { rows: Row[]; findings: Finding[] } {
  const rows: Row[] = [];
  const findings: Finding[] = [];
  for (const [n, raw] of lines(text)) {
    const fields = raw.split(" : ").map((f) => f.trim());
    if (fields.length < 4) continue;
    const token = tryParseAddress(fields[0], "bsf");
    if (token === undefined || token.address === null || token.spelling !== "bsf") {
      findings.push(configFinding(
        file,
        n,
        `bad B/S/F "${fields[0]}" in CBSD's ppt list`,
        undefined,
        "warn",
      ));
      continue;
    }
    rows.push({ ppt: fields[0], vm: vmOf(fields[fields.length - 1]), class: null, line: n });
  }
  return { rows, findings };
}

/** One VM config per VM the rows name, each device with its row's position and line. */
function vmsOf(rows: readonly Row[], file: string): VmConfig[] {
  const byVm = new Map<string, Row[]>();
  for (const row of rows) {
    if (row.vm === null) continue;
    byVm.set(row.vm, [...(byVm.get(row.vm) ?? []), row]);
  }
  const vms: VmConfig[] = [];
  for (const [vm, mine] of [...byVm].sort((a, b) => compareText(a[0], b[0]))) {
    const entries: Entry[] = [];
    const ppts: CbsdPpt[] = [];
    const own: Finding[] = [];
    for (const row of mine) {
      const token = tryParseAddress(row.ppt, "bsf");
      const address = token?.spelling === "bsf" ? token.address : null;
      ppts.push({ ppt: row.ppt, class: row.class, address, line: row.line });
      if (token === undefined || address === null) {
        own.push(configFinding(
          file,
          row.line,
          `CBSD passes "${row.ppt}" to bhyve as typed at attach: pptkit reads B/S/F only`,
          `cbsd bhyve-ppt mode=detach ppt=${row.ppt}, then attach it as B/S/F`,
        ));
        continue;
      }
      entries.push({ token, address, line: row.line, options: {}, order: ppts.length - 1 });
    }
    const unique = duplicateEntries(entries, file);
    vms.push({
      vm,
      source: "cbsd",
      file,
      passthru: unique.entries,
      options: {},
      findings: [...own, ...unique.findings],
      guest: { kind: "cbsd", ppts, lastStart: null },
    });
  }
  return vms;
}

/** Parses `cbsd bhyve-ppt mode=list` output of any generation into one config per VM. */
export function parseCbsdPptList(text: string, file = CBSD_LIST_COMMAND): VmScan {
  const plain = stripColour(text);
  const read = plain.includes(TITLE) ? readTables(plain, file) : readColonLines(plain, file);
  const findings = [...read.findings];
  return { vms: vmsOf(read.rows, file), findings };
}

/** How VM configs from the bhyveppt table name their source. */
export function bhyvepptSource(db: string): string {
  return `CBSD bhyveppt table of ${db}`;
}

/**
 * Parses the `cbsd-bhyveppt` capture (sqlite3 -json of `SELECT * FROM bhyveppt`): a JSON array,
 * one row a line, or nothing at all for an empty table. Returns null when it is not that.
 */
export function parseBhyveppt(text: string, file: string): VmScan | null {
  if (text.trim() === "") return { vms: [], findings: [] };
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(rows)) return null;
  const out: Row[] = [];
  const findings: Finding[] = [];
  rows.forEach((row, i) => {
    const r = row as Record<string, unknown> | null;
    if (typeof r !== "object" || r === null || typeof r.ppt !== "string") {
      findings.push(
        configFinding(file, i + 1, "a bhyveppt row without a ppt column", undefined, "warn"),
      );
      return;
    }
    const cls = typeof r.class === "string" ? r.class : null;
    out.push({
      ppt: r.ppt,
      vm: vmOf(typeof r.jname === "string" ? r.jname : null),
      class: cls,
      line: i + 1,
    });
  });
  return { vms: vmsOf(out, file), findings };
}

/** `cbsd_workdir` from /etc/rc.conf (the only file cbsd.conf sources), with where it came from. */
export async function cbsdWorkdir(
  host: Pick<Host, "readText">,
): Promise<{ workdir: string; origin: string | null }> {
  const found = await readRcConf(
    (path) => host.readText(path).catch(() => null),
    ["/etc/rc.conf"],
    "cbsd_workdir",
  );
  // Only an absolute path: the database path goes to sqlite3 as an argument.
  if (found === null || found.expands || !found.value.startsWith("/")) {
    return { workdir: CBSD_DEFAULT_WORKDIR, origin: null };
  }
  return { workdir: found.value.replace(/\/+$/, ""), origin: found.origin };
}

/** Reads a VM's `jails-system/VM/bhyve.conf`, the bus map of its last start; null when none. */
export async function readLastStart(
  host: Pick<Host, "readText">,
  workdir: string,
  vm: string,
  findings: Finding[],
): Promise<CbsdLastStart | null> {
  const file = `${workdir}/jails-system/${vm}/bhyve.conf`;
  const text = await readWhileScanning(host, file, findings);
  if (text === null) return null;
  const args = new Map<string, string>();
  const values = new Map<string, string>();
  for (const a of readShAssignments(text)) {
    values.set(a.name, a.value);
    if (a.name.endsWith("_args")) args.set(a.name, a.value);
  }
  return { file, args, values };
}

/**
 * Reads CBSD's VMs: the bhyveppt table through sqlite3, else the listing; each with the bus map
 * of its last start (`only`: just that VM). `found` is false when CBSD is absent.
 */
export async function readCbsdVms(
  host: Pick<Host, "capture" | "readText" | "kind">,
  only?: string,
): Promise<VmScan & { found: boolean }> {
  const { workdir, origin } = await cbsdWorkdir(host);
  const db = `${workdir}/var/db/local.sqlite`;
  const findings: Finding[] = [];
  let scan: VmScan | null = null;
  // CBSD does not run without cbsd_workdir in rc.conf ("no workdir"): on a live host without
  // it there is no table to ask sqlite3 for (a snapshot says what it captured).
  const table = origin === null && host.kind === "live"
    ? null
    : await host.capture("cbsd-bhyveppt", db).catch(() => null);
  if (table !== null) scan = parseBhyveppt(table, bhyvepptSource(db));
  if (scan === null) {
    const text = await host.capture("cbsd").catch(() => null);
    if (text === null) return { vms: [], findings: [], found: false };
    scan = parseCbsdPptList(text);
  }
  if (origin === null && scan.vms.length > 0) {
    findings.push({
      level: "info",
      code: "vm-config",
      message: `cbsd_workdir is not set in /etc/rc.conf: pptkit takes ${CBSD_DEFAULT_WORKDIR}, ` +
        "the default of cbsd initenv",
    });
  }
  const vms: VmConfig[] = [];
  for (const vm of scan.vms) {
    if (only !== undefined && vm.vm !== only) continue;
    // The name becomes a path component of jails-system/VM/bhyve.conf.
    const safe = (() => {
      try {
        checkVmName(vm.vm);
        return true;
      } catch {
        return false;
      }
    })();
    const lastStart = safe ? await readLastStart(host, workdir, vm.vm, findings) : null;
    const guest = vm.guest as CbsdGuest;
    vms.push({ ...vm, guest: { ...guest, lastStart } });
  }
  return { vms, findings: [...scan.findings, ...findings], found: true };
}
