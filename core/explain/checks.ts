/**
 * The checks `explain` makes against the host for a message with more than one cause, and the
 * helpers its catalogue entries share.
 *
 * @module
 */

import {
  addressKey,
  bsfAddress,
  formatBsf,
  formatLabel,
  MAX_BUS,
  MAX_GUEST_FUNCTION,
  parseAddress,
  type PciAddress,
} from "../address.ts";
import { PptkitError } from "../errors.ts";
import type { InventoryDevice } from "../inventory.ts";
import { describeLock, isBusy, lockState } from "../ownership/locks.ts";
import { LPC_SLOT } from "../slots/rules.ts";
import { isHostVeto, notOnPpt, reserveHint } from "../verdict.ts";
import { isDigit } from "./scanner.ts";
import type { ExplainCheck, ExplainFacts } from "./types.ts";

/** The device of three numbers a message printed (`%d/%d/%d`), when they can be one. */
export function bsfOf(values: readonly string[], at = 0): PciAddress | null {
  const [bus, slot, fn] = values.slice(at, at + 3).map(Number);
  return bsfAddress(bus, slot, fn);
}

export function deviceAt(
  facts: ExplainFacts | null,
  address: PciAddress | null,
): InventoryDevice | null {
  if (facts === null || address === null) return null;
  return facts.inventory.byKey.get(addressKey(address)) ?? null;
}

/** Is the device there and on ppt(4)? */
function pptCheck(facts: ExplainFacts, address: PciAddress): ExplainCheck {
  const bsf = formatLabel(address);
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
  const { message, fix } = notOnPpt(entry);
  return { result: "cause", text: message, fix };
}

/** Does another running VM hold the device (locks, then configs of running VMs)? */
function holderCheck(facts: ExplainFacts, address: PciAddress): ExplainCheck {
  const bsf = formatLabel(address);
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
export function iommuCheck(facts: ExplainFacts): ExplainCheck {
  const h = facts.inventory.host;
  const bad = h.findings.find(isHostVeto);
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
export function notPptChecks(
  facts: ExplainFacts | null,
  address: PciAddress | null,
): ExplainCheck[] {
  if (facts === null || address === null) {
    const bsf = address === null ? "B/S/F" : formatLabel(address);
    const sel = address === null ? "pci0:B:S:F" : `pci0:${address.bus}:${address.slot}:` +
      `${address.function}`;
    return [
      {
        result: "check",
        text: `is ${bsf} on ppt(4)? pciconf -l ${sel} must say ppt`,
        fix: address === null ? undefined : reserveHint(bsf),
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

export function fixesOf(checks: readonly ExplainCheck[]): string[] {
  const causes = checks.filter((c) => c.result === "cause" && c.fix !== undefined);
  const open = checks.filter((c) =>
    (c.result === "unknown" || c.result === "check") && c.fix !== undefined
  );
  return [...causes, ...(causes.length > 0 ? [] : open)].map((c) => c.fix!);
}

/** What errno numbers bhyve prints as `(%d)` mean, for memory setup. */
export const MEMORY_ERRNO: Record<number, { name: string; meaning: string; fixes: string[] }> = {
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
export function slotProblem(opt: string): string | null {
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
  if (bus > MAX_BUS) return `bus ${bus} is out of range 0-${MAX_BUS}`;
  if (slot > LPC_SLOT) return `guest slot ${slot} is out of range 0-${LPC_SLOT}`;
  if (fn > MAX_GUEST_FUNCTION) {
    return `guest function ${fn} is out of range 0-${MAX_GUEST_FUNCTION} (host functions ` +
      `above ${MAX_GUEST_FUNCTION} must be renumbered in the guest; pptkit plan does it)`;
  }
  return null;
}

/** Why bhyve could not read a passthru device argument, and the fix. */
export function optionsAdvice(opts: string): ExplainCheck {
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

export const PASSTHRU = "bhyve (pci_passthru.c)";

/** The PCI requester id vtd.c prints (`bus << 8 | slot << 3 | function`) as an address. */
export function deviceOfRid(hex: string): PciAddress | null {
  const rid = parseInt(hex, 16);
  return Number.isNaN(rid)
    ? null
    : { domain: 0, bus: rid >> 8, slot: (rid >> 3) & 0x1f, function: rid & 7 };
}
