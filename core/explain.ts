/**
 * What bhyve's passthru messages mean and what to do about them (`pptkit explain`).
 *
 * The known messages are bhyve's and the kernel's own printf formats (freebsd-facts §1.4, §3,
 * §4.1, §4.2; `usr.sbin/bhyve/pci_passthru.c`, `pci_emul.c`, `bhyverun.c`,
 * `sys/amd64/vmm/...`), matched with a small scanf-like reader: `%d` reads a decimal number,
 * `%x` a hex number, `%s` text up to the literal that follows (or the rest of the line). A
 * message is found anywhere in a line, so wrapper logs with their own prefixes work too. No
 * regular expression backtracks over the text.
 *
 * Where a message has more than one cause, the host facts decide: "PCI device at B/S/F is not
 * using the ppt(4) driver" is checked in the order of freebsd-facts §8 rule 13: is the device
 * on ppt(4), does another running VM hold it (locks, ps, /dev/vmm, VM configs), has the host an
 * IOMMU that vmm can use. Without host facts, the checks to run by hand are listed instead.
 *
 * Pure: text and facts in, explanations out.
 *
 * @module
 */

import { addressKey, formatBsf, parseAddress, type PciAddress } from "./address.ts";
import { PptkitError } from "./errors.ts";
import type { Inventory, InventoryDevice } from "./inventory.ts";
import { describeLock, isBusy, type LockFile, lockState } from "./ownership/locks.ts";
import type { RunningVms } from "./ownership/running.ts";
import { lines } from "./text.ts";

/** The outcome of one check against the host. */
export type CheckResult =
  /** Found on this host: this is (one of) the reasons. */
  | "cause"
  /** Checked on this host and fine: not the reason. */
  | "ok"
  /** The host facts cannot tell. */
  | "unknown"
  /** No host facts at all: check this by hand. */
  | "check";

/** One check of an explanation. */
export interface ExplainCheck {
  readonly result: CheckResult;
  readonly text: string;
  /** What to do when this is the cause. */
  readonly fix?: string;
}

/** One known message found in the text. */
export interface Explanation {
  /** Stable id of the message: `not-ppt`, `memory-not-wired`, ... */
  readonly id: string;
  /** 1-based lines it was found on (repeats of the same message are folded). */
  readonly lines: number[];
  /** The message as it appears in the text (from where it starts to the end of its line). */
  readonly text: string;
  /** Who prints it: `bhyve (pci_passthru.c)`, `kernel (vtd.c)`, ... */
  readonly source: string;
  /** The host device it is about, as B/S/F; null when it names none. */
  readonly device: string | null;
  /** What it means, in one or two sentences. */
  readonly meaning: string;
  /** Checks against the host, in the order they were made. */
  readonly checks: ExplainCheck[];
  /** What to do, most likely first. */
  readonly fixes: string[];
}

/** What `explain` knows about the host; null parts are unknown. */
export interface ExplainFacts {
  readonly inventory: Inventory;
  readonly locks: readonly LockFile[];
  readonly running: RunningVms;
  /** `hw.vmm.iommu.initialized`; null when unknown. */
  readonly iommuInitialized: boolean | null;
  /** Now, in ms since the epoch, and the hook's stale-lock age, for judging locks. */
  readonly now: number;
  readonly staleAfterMs: number;
}

// ---------------------------------------------------------------------------------------------
// Formats

type Part = { readonly literal: string } | { readonly spec: "d" | "x" | "s" };

/** Splits a printf format into literals and `%d` / `%x` / `%s` conversions. */
function compile(format: string): Part[] {
  const parts: Part[] = [];
  let literal = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i];
    const next = format[i + 1];
    if (ch === "%" && (next === "d" || next === "x" || next === "s")) {
      if (literal !== "") parts.push({ literal });
      literal = "";
      parts.push({ spec: next });
      i++;
    } else {
      literal += ch;
    }
  }
  if (literal !== "") parts.push({ literal });
  return parts;
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

function isHex(ch: string | undefined): boolean {
  return ch !== undefined &&
    (isDigit(ch) || (ch >= "a" && ch <= "f") || (ch >= "A" && ch <= "F"));
}

/** Matches `parts` at `pos` of `line`; the converted values, or null. */
function matchAt(parts: readonly Part[], line: string, pos: number): string[] | null {
  const values: string[] = [];
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k];
    if ("literal" in part) {
      if (!line.startsWith(part.literal, pos)) return null;
      pos += part.literal.length;
      continue;
    }
    const start = pos;
    if (part.spec === "d") {
      if (line[pos] === "-") pos++;
      const digits = pos;
      while (isDigit(line[pos])) pos++;
      if (pos === digits) return null;
    } else if (part.spec === "x") {
      if (line.startsWith("0x", pos)) pos += 2;
      const digits = pos;
      while (isHex(line[pos])) pos++;
      if (pos === digits) return null;
    } else {
      const next = parts[k + 1];
      if (next === undefined) {
        pos = line.length;
      } else if ("literal" in next) {
        const end = line.indexOf(next.literal, pos);
        if (end < 0) return null;
        pos = end;
      } else {
        return null; // two conversions in a row: not used by any known format
      }
    }
    values.push(line.slice(start, pos).trim());
  }
  return values;
}

/** A format found in a line: where it starts and its converted values. */
interface FormatMatch {
  readonly start: number;
  readonly values: string[];
}

/**
 * Finds a format anywhere in a line. A leading `%s` is the word just before the first literal
 * (bhyve prints `__func__` there).
 */
function findFormat(parts: readonly Part[], line: string): FormatMatch | null {
  const leading = parts.length > 1 && "spec" in parts[0] && parts[0].spec === "s";
  const rest = leading ? parts.slice(1) : parts;
  const first = rest[0];
  if (first === undefined || !("literal" in first)) return null;
  for (let at = line.indexOf(first.literal); at >= 0; at = line.indexOf(first.literal, at + 1)) {
    const values = matchAt(rest, line, at);
    if (values === null) continue;
    if (!leading) return { start: at, values };
    let start = at;
    while (start > 0 && line[start - 1] !== " " && line[start - 1] !== "\t") start--;
    return { start, values: [line.slice(start, at), ...values] };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The known messages

/** What an explainer returns for one match. */
interface Said {
  readonly device?: PciAddress | null;
  readonly meaning: string;
  readonly checks?: ExplainCheck[];
  readonly fixes: string[];
}

interface Known {
  readonly id: string;
  readonly source: string;
  /** Every spelling the message has had across releases. */
  readonly formats: readonly string[];
  readonly explain: (values: readonly string[], facts: ExplainFacts | null) => Said;
}

function bsfOf(values: readonly string[], at = 0): PciAddress | null {
  const [bus, slot, fn] = values.slice(at, at + 3).map(Number);
  if (![bus, slot, fn].every((n) => Number.isInteger(n) && n >= 0)) return null;
  if (bus > 255 || slot > 31 || fn > 255) return null;
  return { domain: 0, bus, slot, function: fn };
}

function label(address: PciAddress): string {
  return formatBsf(address) ?? `${address.bus}/${address.slot}/${address.function}`;
}

function deviceAt(facts: ExplainFacts | null, address: PciAddress | null): InventoryDevice | null {
  if (facts === null || address === null) return null;
  return facts.inventory.byKey.get(addressKey(address)) ?? null;
}

function reserveFix(bsf: string): string {
  return `reserve it: pptkit reserve ${bsf} (at the next boot), or bind it now: ` +
    `pptkit reserve --now ${bsf}`;
}

/** Is the device there and on ppt(4)? */
function pptCheck(facts: ExplainFacts, address: PciAddress): ExplainCheck {
  const bsf = label(address);
  const entry = deviceAt(facts, address);
  if (entry === null) {
    return {
      result: "cause",
      text: `${facts.inventory.hostDescription} has no PCI device at ${bsf}: the VM names a ` +
        "device that is not there",
      fix: "fix the address in the VM's config (see: pptkit list --all)",
    };
  }
  const d = entry.device;
  if (d.driver === "ppt") return { result: "ok", text: `${bsf} is ${d.name}: on ppt(4)` };
  const pending = entry.reserved.inLoaderConf
    ? ` (it is in pptdevs, ${entry.reserved.where}: the host has not rebooted since)`
    : "";
  return {
    result: "cause",
    text: d.driver === "none"
      ? `${bsf} is not on ppt(4): no driver is attached${pending}`
      : `${bsf} is not on ppt(4): ${d.name} (${d.driver}) has it${pending}`,
    fix: entry.reserved.inLoaderConf
      ? `reboot, or bind it now: pptkit reserve --now ${bsf}`
      : reserveFix(bsf),
  };
}

/** Does another running VM hold the device (locks, then configs of running VMs)? */
function holderCheck(facts: ExplainFacts, address: PciAddress): ExplainCheck {
  const bsf = label(address);
  const lock = facts.locks.find((l) => addressKey(l.address) === addressKey(address));
  if (lock !== undefined && lock.record !== null) {
    const state = lockState(lock, "", facts.running, facts.now, facts.staleAfterMs);
    if (isBusy(state)) {
      return {
        result: state === "live" ? "cause" : "unknown",
        text: describeLock(lock, state, facts.running, facts.now),
        fix: `stop VM ${lock.record.vm} first (bhyve refuses a device another VM owns: EBUSY)`,
      };
    }
  }
  const user = deviceAt(facts, address)?.usedBy.find((u) => u.running);
  if (user !== undefined) {
    return {
      result: "cause",
      text: `${bsf} is named by running VM ${user.vm} (${user.source})`,
      fix: `stop VM ${user.vm} first, or give this VM another device`,
    };
  }
  if (!facts.running.known) {
    return {
      result: "unknown",
      text: "which VMs run is unknown (no ps output, no /dev/vmm)",
      fix: `look for another bhyve with ${bsf}: ps -axww | grep 'bhyve: '`,
    };
  }
  const names = [...facts.running.names].sort();
  return {
    result: "ok",
    text: `no running VM holds ${bsf} (locks, ps, /dev/vmm` +
      (names.length > 0 ? `; running: ${names.join(", ")})` : "; no VM runs)"),
  };
}

/** Can vmm use an IOMMU? */
function iommuCheck(facts: ExplainFacts): ExplainCheck {
  const h = facts.inventory.host;
  const bad = h.findings.find((f) =>
    f.code === "no-iommu" || f.code === "amdvi-disabled" || f.code === "iommu-disabled"
  );
  if (bad !== undefined) return { result: "cause", text: bad.message, fix: bad.fix };
  if (h.iommu === "unknown") {
    return {
      result: "unknown",
      text: "whether the host has an IOMMU is unknown (no acpidump output)",
      fix: "look for the tables: acpidump -t | grep -E 'DMAR|IVRS'",
    };
  }
  const kind = h.iommu === "vt-d" ? "VT-d, DMAR table" : "AMD-Vi, IVRS table";
  if (facts.iommuInitialized === false) {
    return {
      result: "unknown",
      text: `the firmware describes an IOMMU (${kind}) but hw.vmm.iommu.initialized is 0: ` +
        "normal before the first passthrough VM; if it stays 0 after this failure, vmm " +
        "could not set up the IOMMU",
      fix: "check dmesg for DMAR / AMD-Vi messages and the firmware's VT-d / IOMMU setting",
    };
  }
  return { result: "ok", text: `the host has an IOMMU (${kind}) that vmm can use` };
}

/** The three checks of rule 13, or what to run by hand without facts. */
function notPptChecks(facts: ExplainFacts | null, address: PciAddress | null): ExplainCheck[] {
  if (facts === null || address === null) {
    const bsf = address === null ? "B/S/F" : label(address);
    const sel = address === null ? "pci0:B:S:F" : `pci0:${address.bus}:${address.slot}:` +
      `${address.function}`;
    return [
      {
        result: "check",
        text: `is ${bsf} on ppt(4)? pciconf -l ${sel} must say ppt`,
        fix: address === null ? undefined : reserveFix(bsf),
      },
      {
        result: "check",
        text: `does another running VM hold ${bsf}? ps -axww | grep 'bhyve: ', pptkit list`,
        fix: "stop that VM first",
      },
      {
        result: "check",
        text: "has the host an IOMMU? acpidump -t | grep -E 'DMAR|IVRS', sysctl hw.vmm.iommu",
        fix: "enable VT-d / AMD-Vi in the firmware; on AMD add hw.vmm.amdvi.enable=1 to " +
          "/boot/loader.conf",
      },
    ];
  }
  return [pptCheck(facts, address), holderCheck(facts, address), iommuCheck(facts)];
}

function fixesOf(checks: readonly ExplainCheck[]): string[] {
  const causes = checks.filter((c) => c.result === "cause" && c.fix !== undefined);
  const open = checks.filter((c) =>
    (c.result === "unknown" || c.result === "check") && c.fix !== undefined
  );
  return [...causes, ...(causes.length > 0 ? [] : open)].map((c) => c.fix!);
}

/** What errno numbers bhyve prints as `(%d)` mean, for memory setup. */
const MEMORY_ERRNO: Record<number, { name: string; meaning: string; fixes: string[] }> = {
  12: {
    name: "ENOMEM",
    meaning: "the host has not enough free memory to wire all of the guest's memory " +
      "(-S, which passthrough needs, wires every page up front)",
    fixes: [
      "give the VM less memory (-m), or free memory on the host (stop other VMs; cap the ZFS " +
      "ARC with vfs.zfs.arc_max)",
    ],
  },
  17: {
    name: "EEXIST",
    meaning: "a VM of this name already exists in the kernel with its memory set up: a bhyve " +
      "of the same name still runs, or a previous run left /dev/vmm/NAME behind",
    fixes: [
      "look for it: ls /dev/vmm and ps -axww | grep 'bhyve: NAME'",
      "if no bhyve of that name runs, destroy the leftover: bhyvectl --destroy --vm=NAME",
    ],
  },
  22: {
    name: "EINVAL",
    meaning: "the kernel refused the memory request: a leftover VM of this name was created " +
      "with other memory settings (size, or wired with -S versus not), or the size (-m) is " +
      "not one the kernel accepts",
    fixes: [
      "destroy a leftover VM of this name (bhyvectl --destroy --vm=NAME) and start again",
      "check -m: a plain size such as 8G",
    ],
  },
};

/** A short look at a `-s` argument bhyve refused: what is wrong with it. */
function slotProblem(opt: string): string | null {
  const comma = opt.indexOf(",");
  if (comma < 0) return `"${opt}" has no comma: write slot[:function],emulation[,options]`;
  const nums = opt.slice(0, comma).split(":");
  if (nums.length > 3 || nums.some((n) => n === "" || ![...n].every(isDigit))) {
    return `"${opt.slice(0, comma)}" is not slot, slot:function or bus:slot:function ` +
      "in decimal";
  }
  const [bus, slot, fn] = nums.length === 3
    ? nums.map(Number)
    : [0, Number(nums[0]), nums.length === 2 ? Number(nums[1]) : 0];
  if (bus > 255) return `bus ${bus} is out of range 0-255`;
  if (slot > 31) return `guest slot ${slot} is out of range 0-31`;
  if (fn > 7) {
    return `guest function ${fn} is out of range 0-7 (host functions above 7 ` +
      "must be renumbered in the guest; pptkit plan does it)";
  }
  return null;
}

/** Why bhyve could not read a passthru device argument, and the fix. */
function optionsAdvice(opts: string): ExplainCheck {
  const device = opts.split(",")[0];
  try {
    const token = parseAddress(device);
    if (token.address !== null && token.address.domain !== 0) {
      return {
        result: "cause",
        text: `"${device}" is in PCI domain ${token.address.domain}: bhyve can only pass ` +
          "devices of domain 0",
      };
    }
    const bsf = token.address === null ? null : formatBsf(token.address);
    if (bsf !== null && bsf !== device) {
      return {
        result: "cause",
        text: `"${device}" is a ${token.spelling} spelling this bhyve does not read`,
        fix: `write it as B/S/F: passthru,${bsf}`,
      };
    }
    return {
      result: "cause",
      text: `"${device}" is valid, but this bhyve does not read that form (old bhyve reads only ` +
        "B/S/F; pptN needs FreeBSD 14)",
      fix: "write the device as B/S/F, e.g. passthru,1/0/0",
    };
  } catch (e) {
    if (!(e instanceof PptkitError)) throw e;
    return { result: "cause", text: e.message, fix: e.hint ?? "write the device as B/S/F" };
  }
}

const PASSTHRU = "bhyve (pci_passthru.c)";

/** The PCI requester id vtd.c prints (`bus << 8 | slot << 3 | function`) as an address. */
function deviceOfRid(hex: string): PciAddress | null {
  const rid = parseInt(hex, 16);
  return Number.isNaN(rid)
    ? null
    : { domain: 0, bus: rid >> 8, slot: (rid >> 3) & 0x1f, function: rid & 7 };
}

const KNOWN: readonly Known[] = [
  {
    id: "not-ppt",
    source: PASSTHRU,
    formats: [
      "PCI device at %d/%d/%d is not using the ppt(4) driver",
      "PCI device at %d/%d/%d is not using the ppt driver",
    ],
    explain(values, facts) {
      const device = bsfOf(values);
      const checks = notPptChecks(facts, device);
      return {
        device,
        meaning: "bhyve could not give the device to the VM (vm_assign_pptdev failed). It " +
          "prints this same line whether the device is not on ppt(4), another VM owns it, or " +
          "the IOMMU refused it, so each is checked in turn",
        checks,
        fixes: fixesOf(checks),
      };
    },
  },
  {
    id: "assign-failed",
    source: PASSTHRU,
    formats: ["vm_assign_pptdev: %s"],
    explain(values, facts) {
      const why = values[0];
      const busy = why.startsWith("Device busy");
      const iommu = why.startsWith("Device not configured");
      const checks: ExplainCheck[] = [];
      if (facts !== null) {
        if (iommu) checks.push(iommuCheck(facts));
        if (busy) {
          const held = facts.locks.filter((l) =>
            l.record !== null && facts.running.names.has(l.record.vm)
          );
          for (const l of held) {
            checks.push({
              result: "unknown",
              text: describeLock(l, "live", facts.running, facts.now),
              fix: `if the VM wants ${label(l.address)}, stop VM ${l.record!.vm} first`,
            });
          }
        }
      }
      return {
        meaning: busy
          ? "another VM owns the device (EBUSY): ppt(4) gives a device to one VM at a time"
          : iommu
          ? "vmm could not create the VM's IOMMU domain (ENXIO): the IOMMU is missing or " +
            "did not initialise"
          : `the kernel refused to assign the device: ${why}`,
        checks,
        fixes: busy
          ? ["stop the VM that holds it (pptkit list shows Running in: VM)"]
          : iommu
          ? ["check the IOMMU: pptkit check (DMAR / IVRS table, hw.vmm.amdvi.enable=1 on AMD)"]
          : ["run pptkit check, and pptkit explain on the lines around this one"],
      };
    },
  },
  {
    id: "memory-not-wired",
    source: PASSTHRU,
    formats: ["passthru requires guest memory to be wired"],
    explain: () => ({
      meaning: "the VM was started without -S: a passthrough device does DMA into guest memory, " +
        "so all of it must be wired (bhyve(8))",
      fixes: [
        "add -S to the bhyve command line (pptkit plan VM --format args starts with it)",
        "vm-bhyve, CBSD and Hoster add -S themselves when the VM has passthru devices: check " +
        "that the device is in the VM's passthru list, not in custom bhyve options",
      ],
    }),
  },
  {
    id: "open-dev",
    source: PASSTHRU,
    formats: ["failed to open /dev/pci", "failed to open /dev/io", "failed to open /dev/mem"],
    explain: () => ({
      meaning: "bhyve could not open a device node that passthrough needs (/dev/pci read-write, " +
        "/dev/io, /dev/mem)",
      fixes: [
        "run bhyve as root, and not inside a jail: passthrough needs write access to /dev/pci " +
        "(vmm(4))",
      ],
    }),
  },
  {
    id: "invalid-options",
    source: PASSTHRU,
    formats: ['passthru: invalid options "%s"', "invalid passthru options"],
    explain(values) {
      const opts = values[0];
      const checks = opts === undefined ? [] : [optionsAdvice(opts)];
      return {
        meaning: "bhyve could not read the device part of -s ...,passthru,DEVICE: it accepts " +
          "B/S/F (1/0/0), pptN (ppt0, FreeBSD 14 and later) and pciB:S:F; older bhyve only B/S/F",
        checks,
        fixes: [
          ...fixesOf(checks),
          "write it like -s 6:0,passthru,1/0/0 (pptkit parse ADDR converts any spelling)",
        ],
      };
    },
  },
  {
    id: "missing-setting",
    source: PASSTHRU,
    formats: ["passthru: missing required %s setting"],
    explain: (values) => ({
      meaning: `the passthru device in the bhyve config has no ${values[0]}= setting: the ` +
        "config form needs bus=, slot= and func= together, or pptdev=",
      fixes: [
        "set all three: pci.0.6.0.bus=1, pci.0.6.0.slot=0, pci.0.6.0.func=0 (pptkit plan VM " +
        "--format bhyve-config writes them)",
      ],
    }),
  },
  {
    id: "bad-device-name",
    source: PASSTHRU,
    formats: ["Invalid passthru device name %s", "Passthru device name %s is too long"],
    explain: (values) => ({
      meaning: `"${values[0]}" is not a device name bhyve can look up: it wants a driver name ` +
        "and a unit, like ppt0",
      fixes: ["name the device by B/S/F instead (passthru,1/0/0): pptkit parse NAME shows it"],
    }),
  },
  {
    id: "device-not-found",
    source: PASSTHRU,
    formats: ["Passthru device %s not found"],
    explain(values, facts) {
      const name = values[0];
      const checks: ExplainCheck[] = [];
      if (facts !== null) {
        const ppt = facts.inventory.devices.filter((d) => d.device.driver === "ppt");
        checks.push({
          result: ppt.some((d) => d.device.name === name) ? "ok" : "cause",
          text: ppt.length === 0
            ? `${facts.inventory.hostDescription} has no ppt devices at all`
            : `the ppt devices now: ${
              ppt.map((d) => `${d.device.name} (${d.bsf ?? d.selector})`).join(", ")
            }`,
          fix: "name the device by B/S/F: unit numbers change between boots",
        });
      }
      return {
        meaning: `no device is called ${name} now; ppt unit numbers are handed out at boot, so ` +
          "they change when devices are added or removed",
        checks,
        fixes: ["name the device by B/S/F (passthru,1/0/0), which does not change"],
      };
    },
  },
  {
    id: "unsupported-domain",
    source: PASSTHRU,
    formats: ["Passthru device %s on unsupported domain"],
    explain: (values) => ({
      meaning: `${values[0]} is in a PCI domain other than 0: bhyve, pptdevs and the IOMMU ` +
        "code handle only domain 0",
      fixes: ["pass a device in domain 0 (pptkit list --all shows the domain in PCI ID Raw)"],
    }),
  },
  {
    id: "pci-getconf",
    source: PASSTHRU,
    formats: ["ioctl(PCIOCGETCONF): %s", "error returned from PCIOCGETCONF ioctl"],
    explain: () => ({
      meaning:
        "bhyve could not list the host's PCI devices through /dev/pci to look up a pptN name",
      fixes: [
        "run bhyve as root outside a jail, or name the device by B/S/F (passthru,1/0/0)",
      ],
    }),
  },
  {
    id: "msi-init",
    source: PASSTHRU,
    formats: ["failed to initialize MSI for PCI %d/%d/%d"],
    explain(values, facts) {
      const device = bsfOf(values);
      const entry = deviceAt(facts, device);
      const checks: ExplainCheck[] = [];
      if (entry !== null && entry.device.capabilitiesKnown) {
        const none = entry.device.msi === null && entry.device.msix === null;
        checks.push({
          result: none ? "cause" : "ok",
          text: none
            ? `${entry.bsf} has neither MSI nor MSI-X (pciconf -c)`
            : `${entry.bsf} has ${entry.device.msi !== null ? "MSI" : ""}` +
              `${entry.device.msi !== null && entry.device.msix !== null ? " and " : ""}` +
              `${entry.device.msix !== null ? "MSI-X" : ""} per pciconf -c`,
          fix: none ? "pick another device: bhyve needs MSI or MSI-X" : undefined,
        });
      }
      return {
        device,
        meaning: "bhyve could not set up the device's interrupt capabilities: it found neither " +
          "MSI nor MSI-X in the device's config space",
        checks,
        fixes: [
          ...fixesOf(checks),
          "check pciconf -lc for an MSI or MSI-X line; a device in a low-power state or " +
          "behind a misbehaving bridge may read as empty: reboot the host and try again",
        ],
      };
    },
  },
  {
    id: "bars-init",
    source: PASSTHRU,
    formats: [
      "failed to initialize BARs for PCI %d/%d/%d",
      "passthru device %d/%d/%d BAR %d: base %s or size %s not page aligned",
    ],
    explain: (values) => ({
      device: bsfOf(values),
      meaning: "bhyve could not map the device's memory regions (BARs) into the guest: a BAR " +
        "that is not page aligned, or more BAR space than the guest's PCI windows hold " +
        "(512 MiB below 4 GiB for 32-bit BARs, 32 GiB above for 64-bit ones)",
      fixes: [
        "look at the BARs: pciconf -lb; pass fewer devices with large BARs to one VM",
        "a GPU with a very large BAR may need a newer FreeBSD whose bhyve has a bigger 64-bit window",
      ],
    }),
  },
  {
    id: "msix-init",
    source: PASSTHRU,
    formats: [
      "failed to initialize MSI-X table for PCI %d/%d/%d: %d",
      "Failed to map PBA page for MSI-X on %d/%d/%d",
    ],
    explain: (values) => ({
      device: bsfOf(values),
      meaning: "bhyve could not map the device's MSI-X table or pending-bit array, which it " +
        "must emulate for the guest",
      fixes: [
        "run bhyve as root (it maps the table through /dev/mem)",
        "check pciconf -lc: the MSI-X line names the BAR that holds the table",
      ],
    }),
  },
  {
    id: "romfile",
    source: PASSTHRU,
    formats: [
      '%s: can\'t open romfile "%s"',
      '%s: can\'t fstat romfile "%s"',
      '%s: romfile "%s" is empty',
      '%s: unable to mmap romfile "%s" (%d)',
    ],
    explain: (values) => ({
      meaning: `bhyve could not read the option ROM file "${values[1]}" given with rom=`,
      fixes: [
        `check that ${values[1]} exists, is a non-empty regular file and is readable by root`,
        "give the full path in rom= (the VM's passthru options)",
      ],
    }),
  },
  {
    id: "rom-segment",
    source: PASSTHRU,
    formats: ["%s: failed to alloc rom segment"],
    explain: () => ({
      meaning: "bhyve had no room left in the guest's ROM space for the option ROM given with rom=",
      fixes: ["use a smaller ROM file, or give rom= to fewer devices of this VM"],
    }),
  },
  {
    id: "slot-syntax",
    source: "bhyve (pci_emul.c)",
    formats: ['Invalid PCI slot info field "%s"'],
    explain(values) {
      const problem = slotProblem(values[0]);
      return {
        meaning: "bhyve could not read a -s argument: it wants slot,emulation, " +
          "slot:function,emulation or bus:slot:function,emulation, decimal, slot 0-31, " +
          "function 0-7",
        checks: problem === null ? [] : [{ result: "cause", text: problem }],
        fixes: ["write it like -s 6:0,passthru,1/0/0 (pptkit plan VM --format args)"],
      };
    },
  },
  {
    id: "unknown-emulation",
    source: "bhyve (pci_emul.c)",
    formats: ['pci slot %d:%d:%d: unknown device "%s"'],
    explain: (values) => ({
      meaning: `bhyve has no device emulation called "${values[3]}"`,
      fixes: [
        values[3].startsWith("pass")
          ? "the emulation is spelled passthru: -s 6:0,passthru,1/0/0"
          : "check the spelling (bhyve -s help lists the emulations)",
      ],
    }),
  },
  {
    id: "slot-occupied",
    source: "bhyve (pci_emul.c)",
    formats: ["pci slot %d:%d:%d already occupied!"],
    explain: (values) => ({
      meaning: `two -s arguments use guest slot ${values[0]}:${values[1]}:${values[2]}`,
      fixes: [
        "give each device its own slot:function; pptkit plan VM --used-slots LIST leaves the " +
        "wrapper's slots (disks, NICs, lpc) alone",
      ],
    }),
  },
  {
    id: "memory-setup",
    source: "bhyve (bhyverun.c)",
    formats: ["Unable to setup memory (%d)"],
    explain(values, facts) {
      const errno = Number(values[0]);
      const known = MEMORY_ERRNO[errno];
      const checks: ExplainCheck[] = [];
      if (facts !== null && (errno === 17 || errno === 22) && facts.running.known) {
        const leftovers = [...facts.running.inKernel].filter((n) => !facts.running.pids.has(n));
        checks.push({
          result: leftovers.length > 0 ? "cause" : "ok",
          text: leftovers.length > 0
            ? `VMs in /dev/vmm without a bhyve process (leftovers): ${leftovers.join(", ")}`
            : "no VM is left in /dev/vmm without its bhyve",
          fix: leftovers.length > 0
            ? `destroy the leftover: bhyvectl --destroy --vm=${leftovers[0]}`
            : undefined,
        });
      }
      return {
        meaning: known === undefined
          ? `bhyve could not set up the guest's memory (errno ${errno})`
          : `bhyve could not set up the guest's memory (errno ${errno}, ${known.name}): ` +
            known.meaning,
        checks,
        fixes: [...fixesOf(checks), ...(known?.fixes ?? ["check -m and the host's free memory"])],
      };
    },
  },
  {
    id: "amdvi-disabled",
    source: "kernel (amdvi_hw.c)",
    formats: ["Found %d AMD-Vi/IOMMU device(s), use hw.vmm.amdvi.enable=1 to enable pass-through"],
    explain: (values) => ({
      meaning: `the host has ${values[0]} AMD-Vi unit(s) but vmm leaves AMD-Vi off unless ` +
        "hw.vmm.amdvi.enable=1: passthrough cannot work",
      fixes: [
        "add hw.vmm.amdvi.enable=1 to /boot/loader.conf and reboot (pptkit reserve adds it)",
      ],
    }),
  },
  {
    id: "iommu-host-domain",
    source: "kernel (iommu.c)",
    formats: ["iommu_init: unable to create a host domain"],
    explain: () => ({
      meaning: "vmm could not set up the IOMMU for the host when the first passthrough VM " +
        "started; no passthrough VM can start",
      fixes: [
        "check dmesg for DMAR / AMD-Vi errors, update the firmware, and check that VT-d / " +
        "IOMMU is enabled in its setup",
      ],
    }),
  },
  {
    id: "vtd-caching-mode",
    source: "kernel (vtd.c, panic)",
    formats: ["vtd_init: invalid caching mode"],
    explain: () => ({
      meaning: "the VT-d unit reports caching mode, which vmm does not support; this is what an " +
        "emulated IOMMU looks like when FreeBSD itself runs in a VM (nested virtualisation)",
      fixes: [
        "do not use bhyve passthrough inside a VM; or turn caching mode off in the outer " +
        "hypervisor's virtual IOMMU (QEMU: -device intel-iommu,caching-mode=off)",
      ],
    }),
  },
  {
    id: "vtd-not-in-scope",
    source: "kernel (vtd.c, panic)",
    formats: ["vtd_add_device: device %x is not in scope for any DMA remapping unit"],
    explain(values) {
      const device = deviceOfRid(values[0]);
      return {
        device,
        meaning: "the firmware's DMAR table covers no remapping unit for this device (PCI " +
          "requester id 0x" + values[0] + "): a firmware bug",
        fixes: [
          "update the firmware; until then do not pass this device (or its slot) through",
        ],
      };
    },
  },
  {
    id: "vtd-already-owned",
    source: "kernel (vtd.c, panic)",
    formats: ["vtd_add_device: device %x is already owned by domain %d"],
    explain(values) {
      const device = deviceOfRid(values[0]);
      return {
        device,
        meaning: `the device was added to a second IOMMU domain while domain ${values[1]} ` +
          "owned it: two VMs (or the host and a VM) were given the same device",
        fixes: [
          "start VMs through pptkit hook prestart so that one device goes to one VM at a time",
        ],
      };
    },
  },
  {
    id: "kenv-too-long",
    source: "kernel (kern_environment.c)",
    formats: ["WARNING: too long kenv string, ignoring %s"],
    explain: (values) => ({
      meaning: values[0].startsWith("pptdevs")
        ? "the loader passed a pptdevs value too long for the kernel environment: the kernel " +
          "dropped the whole variable, so none of its devices became ppt"
        : "a loader variable was too long for the kernel environment and was dropped whole",
      fixes: [
        "keep each pptdevs value within 128 characters and spread devices over pptdevs, " +
        "pptdevs2 and pptdevs3 (pptkit reserve does it), then reboot",
      ],
    }),
  },
  {
    id: "kenv-other",
    source: "kernel (kern_environment.c)",
    formats: [
      "WARNING: too many kenv strings, ignoring %s",
      "WARNING: malformed static env value, ignoring %s",
    ],
    explain: (values) => ({
      meaning: `the kernel ignored the loader variable ${values[0]}`,
      fixes: ["check /boot/loader.conf for the variable (pptkit check reads pptdevs)"],
    }),
  },
];

const COMPILED = KNOWN.map((k) => ({ known: k, formats: k.formats.map(compile) }));

/** The ids of every known message, for tests and help. */
export const KNOWN_IDS: readonly string[] = KNOWN.map((k) => k.id);

/**
 * Finds every known message in `text` (one bhyve line or a whole log) and explains it. Repeats
 * of the same message are folded into one explanation with all their line numbers.
 */
export function explainText(text: string, facts: ExplainFacts | null): Explanation[] {
  const out: Explanation[] = [];
  const seen = new Map<string, Explanation>();
  for (const [n, line] of lines(text)) {
    for (const { known, formats } of COMPILED) {
      let found: FormatMatch | null = null;
      for (const f of formats) {
        found = findFormat(f, line);
        if (found !== null) break;
      }
      if (found === null) continue;
      const key = `${known.id}\0${found.values.join("\0")}`;
      const again = seen.get(key);
      if (again !== undefined) {
        again.lines.push(n);
        break;
      }
      const said = known.explain(found.values, facts);
      const explanation: Explanation = {
        id: known.id,
        lines: [n],
        text: line.slice(found.start).trim(),
        source: known.source,
        device: said.device === undefined || said.device === null ? null : label(said.device),
        meaning: said.meaning,
        checks: said.checks ?? [],
        fixes: [...new Set(said.fixes)],
      };
      seen.set(key, explanation);
      out.push(explanation);
      break;
    }
  }
  return out;
}
