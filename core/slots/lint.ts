/**
 * The lint of a guest's whole `-s` list (a {@linkcode GuestLayout}): one home for it and its
 * wording, used by the verdict engine (so `plan`, `check --vm` and `hook prestart` say it) and by
 * `explain` for a logged bhyve command line. It applies the rules of core/slots/rules.ts
 * (`commandLineProblems`: slot fields, slot and function ranges, collisions, function 0, the
 * bridges' slots, `-S`) and judges how each passthru device is written: a spelling bhyve cannot
 * read, a PCI domain it cannot name, and, against the host it runs on, `pptN` and `pci...`
 * spellings too new for the host's bhyve.
 *
 * Who is named: the wrapper that builds the list, or "the command line" for one as it ran. What
 * each problem's fix is: pptkit's change to the config (`LintSubject.fix`) for a problem a
 * passthru line is part of; for a command line written by hand (`bhyve-run`, a logged one), how
 * to write it right; for the rest of a wrapper's own layout, none: the wrapper builds it. The
 * readers of a wrapper's config (core/vms/) judge the spelling of its devices themselves; only
 * the host's release is judged here for them.
 *
 * Pure.
 *
 * @module
 */

import { formatLabel, formatSelector, parseAddress, type PciAddress } from "../address.ts";
import type { Finding, FindingCode } from "../findings.ts";
import { parseRelease } from "../loader/order.ts";
import type { PciDevice } from "../pciconf.ts";
import { joinAnd } from "../text.ts";
import {
  describeLine,
  guestAddressText,
  type GuestLayout,
  redact,
  type Runner,
  type SlotLine,
} from "./layout.ts";
import {
  type CommandLineProblem,
  commandLineProblems,
  HOSTBRIDGE_SLOT,
  LPC_SLOT,
} from "./rules.ts";

/** The host a layout runs on: its release (null: unknown) and its devices (for `pptN`). */
export interface LintHost {
  readonly release: string | null;
  readonly devices: readonly PciDevice[];
}

/** What the lint says about one VM's command line. */
export interface LintSubject {
  readonly vm: string;
  readonly file: string | null;
  /** How to fix the layout (a `pptkit plan` command line), when pptkit can propose one. */
  readonly fix: string | undefined;
  /** The host: spellings are judged against its bhyve; absent, against none. */
  readonly host?: LintHost;
}

/** Runners whose config readers judge the spelling of each passthru device. */
const WRAPPERS: ReadonlySet<Runner> = new Set(["vm-bhyve", "Hoster", "CBSD"]);
/** Runners whose `-s` are written by hand: a problem gets how to write it right. */
const BY_HAND: ReadonlySet<Runner> = new Set(["bhyve", "bhyve-run"]);

/**
 * The release whose bhyve first reads `pptN` and `pci...` after `passthru,` (pci_passthru.c
 * `passthru_lookup_pptdev`: the first release of the explain catalogue's `bad-device-name`, which
 * a test keeps equal), and whether that boundary is verified. Not read from the catalogue
 * itself: `hook prestart` lints a layout too, and should not load 200 messages to do it.
 */
export const PPT_NAMES_SINCE: { readonly release: string; readonly verified: boolean } = {
  release: "14.0",
  verified: false,
};
const NAMES_SINCE = PPT_NAMES_SINCE.release;
const NAMES_VERIFIED = PPT_NAMES_SINCE.verified;

function before(release: string, since: string): boolean | null {
  const r = parseRelease(release);
  const s = parseRelease(since);
  if (r === null || s === null) return null;
  return r.major < s.major || (r.major === s.major && r.minor < s.minor);
}

/** The runner as a message names it. */
function who(layout: GuestLayout): string {
  return layout.runner === "bhyve" ? "the command line" : layout.runner;
}

/** Where a finding about a line points: the device of a passthru line, the config line. */
function place(line: SlotLine, file: string | null): Partial<Finding> {
  const address = line.passthru?.entry?.address;
  return {
    ...(address === undefined ? {} : { device: formatSelector(address) }),
    ...(file === null || line.line === undefined ? {} : { file, line: line.line }),
  };
}

/** The line a problem about several lines is filed under: a passthru one when there is one. */
function lead(lines: readonly SlotLine[]): SlotLine {
  return lines.find((l) => l.passthru?.entry) ?? lines.find((l) => l.passthru) ?? lines[0];
}

/** `-s 6:0,` of a line: its slot field as written, for a fix that keeps it. */
function fieldOf(line: SlotLine): string {
  const comma = line.arg.indexOf(",");
  return `-s ${comma < 0 ? line.arg : line.arg.slice(0, comma)},`;
}

/** How to write a command line right, for each problem (a command line written by hand). */
function byHandFix(p: CommandLineProblem<SlotLine>, vm: string): string | undefined {
  const plan = `pptkit plan ${vm}`;
  switch (p.kind) {
    case "slot-field":
      return "write -s slot[:function],emulation[,options], e.g. -s 6:0,passthru,1/0/0";
    case "function-range":
      return `give it a function 0-7: host functions above 7 need other guest functions (${plan} does it)`;
    case "slot-range":
      return `use a free guest slot 1-30 (${plan} finds one)`;
    case "collision":
      // pptkit places passthru devices around a wrapper's own; two of those are the writer's.
      return "give each device its own slot:function" +
        (p.devices.some((d) => d.passthru !== null)
          ? ` (${plan} --used-slots LIST leaves the wrapper's alone)`
          : "");
    case "no-function0": {
      const first = p.devices.find((d) => d.address !== undefined)?.address;
      return first === undefined
        ? `put one device of slot ${p.slot} at function 0`
        : `put ${formatLabel(first)} at function 0: -s ${p.bus}:${p.slot}:0,passthru,${
          formatLabel(first)
        }`;
    }
    case "reserved":
      return p.device.model === "lpc"
        ? "put the LPC bridge on bus 0: -s 31,lpc"
        : `use a free guest slot 1-30 (${plan} finds one)`;
    case "not-wired":
      return undefined;
  }
}

function problemFinding(
  p: CommandLineProblem<SlotLine>,
  layout: GuestLayout,
  subject: LintSubject,
): Finding {
  const runner = who(layout);
  // pptkit's change to the passthru lines fixes only what a passthru line is part of.
  const ours = "device" in p ? p.device.passthru !== null : p.devices.some((d) => d.passthru);
  const own = subject.fix !== undefined && ours
    ? subject.fix
    : BY_HAND.has(layout.runner)
    ? byHandFix(p, subject.vm)
    : undefined;
  const error = (code: FindingCode, message: string, at: SlotLine, fix = own): Finding => ({
    level: "error",
    code,
    message,
    ...(fix === undefined ? {} : { fix }),
    ...place(at, subject.file),
  });
  switch (p.kind) {
    case "slot-field":
      return error(
        "guest-slot-syntax",
        `${runner} passes -s ${redact(p.device.arg)}, whose slot bhyve cannot read ` +
          `("Invalid PCI slot info field"): ${p.device.problem}`,
        p.device,
      );
    case "function-range": {
      const d = p.device;
      return error(
        "guest-function-range",
        `${runner} would give ${describeLine(d)} guest function ${d.function} ` +
          `(${guestAddressText(d)}), but bhyve guest functions are 0-7`,
        d,
      );
    }
    case "slot-range": {
      const d = p.device;
      return error(
        "guest-slot-range",
        `${runner} would put ${describeLine(d)} at ${guestAddressText(d)}, but bhyve guest ` +
          "slots are 0-31 on buses 0-255",
        d,
      );
    }
    case "collision": {
      const [a, ...rest] = p.devices;
      const at = guestAddressText(a);
      return error(
        "slot-collision",
        `${runner} puts ${joinAnd([a, ...rest].map(describeLine))} all at ${at}: bhyve ` +
          `refuses the second ("pci slot ${at} already occupied!")`,
        lead(p.devices),
      );
    }
    case "no-function0": {
      const list = p.devices;
      const at = `${p.bus}:${p.slot}`;
      const ours = list.filter((l) => l.passthru !== null);
      // "without function 0 of that device" only when none of them is its host function 0.
      const message = ours.length === list.length && ours.every((l) => l.address?.function !== 0)
        ? `${subject.vm} passes ${
          joinAnd(ours.map((l) => l.passthru!.device))
        } without function 0 of that device: ${runner} puts ${
          ours.length > 1 ? "them" : "it"
        } at ${at}:${list.map((l) => l.function).join(",")} and nothing at ${at}:0, so the ` +
          "guest will not see the slot"
        : `${runner} puts ${joinAnd(list.map(describeLine))} at ${at} with nothing at ` +
          `function 0: the guest will not see the slot`;
      return error("missing-function0", message, lead(list));
    }
    case "reserved": {
      const d = p.device;
      const whose = d.model === "lpc"
        ? "but the LPC bridge works only on bus 0"
        : d.slot === HOSTBRIDGE_SLOT
        ? "the host bridge's slot"
        : `the LPC bridge's slot ${LPC_SLOT}`;
      return error(
        "slot-reserved",
        `${runner} puts ${describeLine(d)} at ${guestAddressText(d)}, ${whose}`,
        d,
      );
    }
    case "not-wired":
      return error(
        "not-wired",
        `${runner} runs ${subject.vm} without -S: bhyve refuses passthru ` +
          '("passthru requires guest memory to be wired")',
        lead(p.devices),
        "add -S to the bhyve command line",
      );
  }
}

/** A slot field bhyve reads only in part (`0x6` is slot 0): a warning, bhyve runs with it. */
function partialField(line: SlotLine, layout: GuestLayout, subject: LintSubject): Finding {
  return {
    level: "warn",
    code: "guest-slot-syntax",
    message: `${who(layout)} passes -s ${redact(line.arg)}: ${line.problem}`,
    ...(BY_HAND.has(layout.runner)
      ? { fix: "write the slot field in decimal, e.g. -s 6:0,passthru,1/0/0" }
      : {}),
    ...place(line, subject.file),
  };
}

/** The host address of a passthru line: as written, from its entry, else by its ppt name. */
export function passthruAddress(line: SlotLine, devices: readonly PciDevice[]): PciAddress | null {
  const p = line.passthru;
  if (p === null) return null;
  if (line.address !== undefined) return line.address;
  if (p.spelling !== "ppt") return null;
  return devices.find((d) => d.name === p.device)?.address ?? null;
}

/** What is wrong with how a passthru device is written (see the module comment). */
function spellingFindings(
  line: SlotLine,
  layout: GuestLayout,
  subject: LintSubject,
): Finding[] {
  const p = line.passthru!;
  const arg = `-s ${redact(line.arg)}`;
  const wrapper = WRAPPERS.has(layout.runner);
  const given = (fix: string): { fix?: string } =>
    subject.fix !== undefined ? { fix: subject.fix } : BY_HAND.has(layout.runner) ? { fix } : {};
  const error = (message: string, fix: string, level: Finding["level"] = "error"): Finding => ({
    level,
    code: "passthru-spelling",
    message,
    ...given(fix),
    ...place(line, subject.file),
  });
  if (p.spelling === "bsf") return [];
  if (p.spelling === "invalid") {
    if (wrapper) return [];
    const hint = bsfHint(p.device);
    return [error(
      `${arg}: bhyve cannot read the device "${p.device}" (passthru: invalid options)` +
        (hint === undefined ? "" : `: ${hint}`),
      "write the device as decimal B/S/F, e.g. -s 6:0,passthru,1/0/0 (pptkit parse converts " +
        "any spelling)",
    )];
  }
  if (p.spelling === "pci" && p.device.split(":").length === 4) {
    if (wrapper) return [];
    const bsf = p.address === null ? "?" : formatLabel(p.address);
    return [error(
      `${arg}: bhyve reads "${p.device}" as ${bsf} (pciB:S:F): a PCI domain cannot be named`,
      "pass a device of PCI domain 0, written as B/S/F",
    )];
  }
  const host = subject.host;
  if (host === undefined) return [];
  const release = host.release;
  const old = release === null ? null : before(release, NAMES_SINCE);
  if (old === false) return [];
  const since = `FreeBSD ${NAMES_SINCE}${NAMES_VERIFIED ? "" : " (UNVERIFIED boundary)"}`;
  const address = passthruAddress(line, host.devices);
  const fix = address === null
    ? "name the device by B/S/F (pptkit parse NAME shows it)"
    : `write it as B/S/F: ${fieldOf(line)}passthru,${formatLabel(address)}`;
  return [
    old === true
      ? error(
        `${arg}: bhyve of ${release} reads only B/S/F here; "${p.device}" needs ${since}`,
        fix,
      )
      : error(
        `${arg}: "${p.device}" needs the bhyve of ${since}; the host's release is unknown`,
        fix,
        "info",
      ),
  ];
}

/** What pptkit's B/S/F reader says about a device bhyve cannot read (`hint`), if anything. */
function bsfHint(device: string): string | undefined {
  try {
    parseAddress(device, "bsf");
  } catch (e) {
    return (e as { hint?: string }).hint;
  }
  return undefined;
}

/**
 * The lint of a whole command line as findings, in the order bhyve meets the problems: slot
 * fields it cannot read, the layout rules, the bridges' slots, fields it reads only in part,
 * the passthru spellings, `-S`.
 */
export function layoutLint(layout: GuestLayout, subject: LintSubject): Finding[] {
  const problems = commandLineProblems(layout.lines, layout.wired);
  const wired = problems.filter((p) => p.kind === "not-wired");
  return [
    ...problems.filter((p) => p.kind !== "not-wired").map((p) =>
      problemFinding(p, layout, subject)
    ),
    ...layout.lines.filter((l) => l.readable && l.problem !== null).map((l) =>
      partialField(l, layout, subject)
    ),
    ...layout.lines.filter((l) => l.passthru !== null).flatMap((l) =>
      spellingFindings(l, layout, subject)
    ),
    ...wired.map((p) => problemFinding(p, layout, subject)),
  ];
}
