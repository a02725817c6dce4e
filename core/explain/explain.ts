/**
 * What bhyve's, the kernel's and the wrappers' passthrough messages mean and what to do about
 * them (`pptkit explain`), for one line or a whole log.
 *
 * The messages are the catalogue's (core/explain/catalogue/: every wording with the source and
 * the releases that print it), found in each line by a scanf-like reader (scanner.ts) after the
 * line's log frame is taken off (logline.ts). The log is read as a whole (log.ts):
 * - a `Device emulation initialization error: <strerror>` line gives its errno to the message
 *   just before it (for "not using the ppt(4) driver", ENOENT, EBUSY or ENXIO), and the errno
 *   narrows the causes to those it allows;
 * - a kernel line (AMD-Vi left off, vmm not loaded, pptdevs dropped at boot, which driver took a
 *   device) answers a check before the host facts are asked;
 * - the bhyve command lines the wrappers log are linted (lint.ts) and each message is checked
 *   against the command line of its start; another command line that passes the same device
 *   names its holder;
 * - the wrapper that wrote the log says where bhyve's own messages went.
 * Each cause names a check (checks.ts) evaluated against the host facts and the log, in the
 * catalogue's order.
 *
 * Pure: text and facts in, a report out.
 *
 * @module
 */

import {
  addressKey,
  bsfAddress,
  formatLabel,
  type PciAddress,
  tryParseAddress,
} from "../address.ts";
import type { Finding } from "../findings.ts";
import { guestAddressText } from "../slots/layout.ts";
import { CATALOGUE, sourceLabel } from "./catalogue/index.ts";
import {
  attachAddress,
  causesFor,
  type Checked,
  fixFor,
  lostAtBootFix,
  runCheck,
} from "./checks.ts";
import { lintCommand, type LintHost } from "./lint.ts";
import { commandFor, type LogFacts, readLog, stderrNote } from "./log.ts";
import type { Match } from "./match.ts";
import type {
  CommandLineReport,
  DmesgReport,
  ExplainCheck,
  ExplainErrno,
  ExplainFacts,
  ExplainReport,
  Explanation,
} from "./types.ts";

/** The ids of every known message, for tests and help. */
export const KNOWN_IDS: readonly string[] = CATALOGUE.map((e) => e.id);

/** The id of bhyve's `Device emulation initialization error` line. */
const DEVINIT = "device-emulation-init";
/** How far after its message the devinit line may come. */
const DEVINIT_GAP = 3;

/** Statuses a guest ends with normally. */
const NORMAL_STATUS: Record<number, string> = {
  0: "the guest rebooted",
  1: "the guest powered off",
  2: "the guest halted",
  143: "bhyve was terminated (SIGTERM)",
};

/** The device a match names: B/S/F, a requester id, a selector, or an address as written. */
function deviceOf(m: Match, facts: ExplainFacts | null): PciAddress | null {
  const f = m.fields;
  if (f.bus !== undefined && f.slot !== undefined && f.function !== undefined) {
    return bsfAddress(Number(f.bus), Number(f.slot), Number(f.function));
  }
  if (f.rid !== undefined) {
    const rid = parseInt(f.rid.startsWith("0x") ? f.rid.slice(2) : f.rid, 16);
    return Number.isNaN(rid)
      ? null
      : { domain: 0, bus: rid >> 8, slot: (rid >> 3) & 0x1f, function: rid & 7 };
  }
  const text = f.selector ?? f.device;
  if (text === undefined) return null;
  const token = tryParseAddress(text.split(/[\s,\]]/)[0]);
  if (token === undefined) return null;
  if (token.address !== null) return token.address;
  const named = facts?.inventory.devices.find((d) => d.device.name === token.name);
  return named?.device.address ?? null;
}

function statusOf(m: Match): number | null {
  const s = m.fields.status;
  if (s !== undefined && s !== "" && [...s].every((c) => c >= "0" && c <= "9")) return Number(s);
  return m.format.status ?? null;
}

/** The errno each message gets from a devinit line after it (by the message's line). */
function devinitErrnos(log: LogFacts): Map<number, ExplainErrno> {
  const out = new Map<number, ExplainErrno>();
  const ms = log.matches;
  ms.forEach((m, i) => {
    if (m.entry.id !== DEVINIT || m.errno === null) return;
    for (let k = i - 1; k >= 0 && m.line - ms[k].line <= DEVINIT_GAP; k--) {
      const before = ms[k];
      if (before.entry.origin !== "bhyve") continue;
      if (before.entry.devinitErrno === true && before.errno === null) {
        out.set(before.line, { ...m.errno, line: m.line });
      }
      break;
    }
  });
  return out;
}

function fixesOf(checks: readonly ExplainCheck[]): string[] {
  const causes = checks.filter((c) => c.result === "cause" && c.fix !== undefined);
  const open = checks.filter((c) =>
    (c.result === "unknown" || c.result === "check") && c.fix !== undefined
  );
  return [...causes, ...(causes.length > 0 ? [] : open)].map((c) => c.fix!);
}

/** The checks of an exit line: nothing to check for a normal end. */
function exitChecks(status: number | null): ExplainCheck[] | null {
  if (status === null || status === 4) return null;
  if (NORMAL_STATUS[status] !== undefined) {
    return [{ result: "ok", text: `status ${status}: ${NORMAL_STATUS[status]}: nothing failed` }];
  }
  if (status === 3) {
    return [{
      result: "cause",
      text: "status 3: a triple fault: the guest crashed (not a start-up failure)",
      fix: "look at the guest's console and its kernel's messages",
    }];
  }
  if (status > 128) {
    return [{
      result: "cause",
      text: `status ${status}: bhyve was killed by signal ${status - 128}`,
      fix: "find what sent the signal (the wrapper's stop, the OOM killer)",
    }];
  }
  return null;
}

interface Group {
  readonly first: Match;
  readonly lines: number[];
}

/** Folds repeats: the same message with the same values is one explanation. */
function groups(log: LogFacts): Group[] {
  const out: Group[] = [];
  const byKey = new Map<string, Group>();
  const add = (m: Match, key: string) => {
    const g = byKey.get(key);
    if (g !== undefined) {
      g.lines.push(m.line);
      return;
    }
    const fresh = { first: m, lines: [m.line] };
    byKey.set(key, fresh);
    out.push(fresh);
  };
  for (const m of log.matches) add(m, `${m.entry.id}\0${m.values.join("\0")}`);
  for (const m of log.carriers) add(m, m.entry.id);
  return out.sort((a, b) => a.first.line - b.first.line);
}

function explain(
  g: Group,
  log: LogFacts,
  facts: ExplainFacts | null,
  lints: readonly (readonly Finding[])[],
  linked: ReadonlyMap<number, ExplainErrno>,
): Explanation {
  const m = g.first;
  const entry = m.entry;
  const device = deviceOf(m, facts);
  const own = m.errno === null ? null : { ...m.errno, line: m.line };
  const errno = own ?? linked.get(m.line) ?? null;
  const index = entry.role === "command-line"
    ? log.commands.findIndex((c) => c.lines.includes(m.line))
    : commandFor(log, m.line);
  const commandLine = index === null || index < 0 ? null : index;
  const command = commandLine === null ? null : log.commands[commandLine];
  const status = entry.role === "exit" ? statusOf(m) : null;
  const ctx = {
    facts,
    log,
    entry,
    match: m,
    device,
    errno,
    command,
    lint: commandLine === null ? null : lints[commandLine],
  };
  let checks: Checked[] = [];
  if (entry.role !== "command-line" && entry.role !== "carrier") {
    const normal = entry.role === "exit" ? exitChecks(status) : null;
    if (normal !== null) {
      checks = normal;
    } else {
      const narrowed = causesFor(entry, errno);
      for (const cause of narrowed.length > 0 ? narrowed : entry.causes) {
        const checked = runCheck(cause, ctx);
        // An information line reports what the host shows, not what to check by hand.
        if (entry.role === "info" && checked.result === "check") continue;
        checks.push(checked);
        // The line before explains this one: the other causes are what it would mean alone.
        if (cause.check === "earlier-line" && checked.result === "cause") break;
      }
    }
  }
  const fixes = fixesOf(checks);
  // A normal exit or an information line the host agrees with needs nothing done.
  const fine = (entry.role === "exit" || entry.role === "info") && checks.length > 0 &&
    checks.every((c) => c.result === "ok");
  if (fixes.length === 0 && !fine && entry.role !== "carrier" && entry.role !== "command-line") {
    fixes.push(fixFor(entry.fix, ctx));
  }
  const f = m.format;
  return {
    id: entry.id,
    lines: g.lines,
    text: m.text,
    source: sourceLabel(entry),
    device: device === null ? null : formatLabel(device),
    meaning: entry.meaning,
    checks: checks.map(({ holder: _holder, ...c }) => c),
    fixes: [...new Set(fixes)],
    role: entry.role,
    origin: entry.origin,
    where: { ...entry.source },
    format: { text: f.text, first: f.first, last: f.last, verified: f.verified },
    errno,
    status,
    holder: checks.find((c) => c.result === "cause" && c.holder !== undefined)?.holder ?? null,
    commandLine,
  };
}

function commandReport(
  log: LogFacts,
  lints: readonly (readonly Finding[])[],
  host: boolean,
): CommandLineReport[] {
  return log.commands.map((c, i) => ({
    lines: c.lines,
    source: c.source,
    vm: c.vm,
    text: c.text,
    wired: c.wired,
    passthru: c.passthru.map((p) => ({
      device: p.passthru!.device,
      guest: p.readable ? guestAddressText(p) : p.arg.split(",")[0],
      bsf: p.address === undefined ? null : formatLabel(p.address),
    })),
    findings: lints[i],
    checkedOnHost: host,
  }));
}

/** Which driver took each device, pptdevs against the boot messages, IOMMU units, faults. */
function dmesgReport(
  log: LogFacts,
  facts: ExplainFacts | null,
  messages: readonly Explanation[],
): DmesgReport {
  const inventory = facts?.inventory ?? null;
  const attached = log.attached.map((a) => {
    const { address, assumed } = attachAddress(a, inventory);
    return { line: a.line, name: a.name, driver: a.driver, bsf: formatLabel(address), assumed };
  });
  let wanted: PciAddress[] = log.pptdevs.flatMap((p) => [...p.devices]);
  if (wanted.length === 0 && inventory !== null) {
    wanted = inventory.devices.filter((d) => d.reserved.atBoot === true).map((d) =>
      d.device.address
    );
  }
  const pptdevs = attached.length === 0 ? [] : wanted.map((address) => {
    const bsf = formatLabel(address);
    const took = [...attached].reverse().find((a) => a.bsf === bsf) ?? null;
    const problem = took === null
      ? `${bsf} is in pptdevs but no driver attached to it in these boot messages`
      : took.driver === "ppt"
      ? null
      : `${bsf} is in pptdevs but at boot ${took.name} took it (line ${took.line})`;
    const fix = problem === null
      ? null
      : took === null
      ? `check the address: pciconf -l ${`pci0:${address.bus}:${address.slot}:${address.function}`}`
      : lostAtBootFix(
        bsf,
        inventory?.host ?? null,
        inventory?.byKey.get(addressKey(address)) ?? null,
      );
    return { bsf, driver: took?.name ?? null, line: took?.line ?? null, problem, fix };
  });
  const faultIds = new Set([
    "dmar-fault",
    "amdvi-io-page-fault",
    "amdvi-hw-error",
    "amdvi-iotlb-timeout",
    "amdiommu-page-fault",
    "vtd-not-in-scope",
    "vtd-already-owned",
  ]);
  const faults = messages.filter((x) => faultIds.has(x.id)).map((x) => {
    const d = x.device === null ? null : tryParseAddress(x.device)?.address ?? null;
    const users = d === null || inventory === null
      ? []
      : inventory.byKey.get(`${d.domain}:${d.bus}:${d.slot}:${d.function}`)?.usedBy ?? [];
    return {
      line: x.lines[0],
      id: x.id,
      device: x.device,
      holder: users.find((u) => u.running)?.vm ?? users[0]?.vm ?? null,
    };
  });
  return {
    attached,
    pptdevs,
    iommu: log.iommuUnits.map((u) => ({ line: u.line, name: u.name, kind: u.kind })),
    faults,
  };
}

/**
 * Finds every known message in `text` (one line or a whole log) and explains it, with what the
 * log as a whole says. Repeats of the same message are folded into one explanation.
 */
export function explainText(text: string, facts: ExplainFacts | null): ExplainReport {
  const log = readLog(text);
  const host: LintHost = { inventory: facts?.inventory ?? null, plugins: facts?.plugins ?? null };
  const lints = log.commands.map((c) => lintCommand(c, host));
  const linked = devinitErrnos(log);
  const messages = groups(log).map((g) => explain(g, log, facts, lints, linked));
  return {
    messages,
    log: {
      wrapper: log.wrapper?.name ?? null,
      wrapperLine: log.wrapper?.line ?? null,
      stderr: stderrNote(log),
      commandLines: commandReport(log, lints, facts !== null),
      dmesg: dmesgReport(log, facts, messages),
    },
  };
}

/** True when the report found anything: a message, a command line, boot facts. */
export function foundAnything(report: ExplainReport): boolean {
  const d = report.log.dmesg;
  return report.messages.length > 0 || report.log.commandLines.length > 0 ||
    d.iommu.length > 0 || d.pptdevs.length > 0 || d.attached.some((a) => a.driver === "ppt");
}
