/**
 * The checks about the message's device: on this host, on ppt(4), in pptdevs, held by another
 * VM, in domain 0, an endpoint, with MSI, with FLR. Each asks the log first (a boot line that
 * says which driver took it, a devctl line, another VM's command line), then the host facts.
 *
 * @module
 */

import { addressKey } from "../address.ts";
import type { InventoryDevice } from "../inventory.ts";
import { describeLock, isBusy, lockState } from "../ownership/locks.ts";
import { notOnPpt, reserveHint } from "../reservability.ts";
import {
  bootDriver,
  bsfOf,
  byHand,
  type CheckContext,
  type CheckFn,
  devctlFailed,
  deviceAt,
  droppedCause,
  fixFor,
  lostAtBootFix,
  selectorOf,
} from "./check_context.ts";
import { describeErrno } from "./errno.ts";

// ---------------------------------------------------------------------------------------------
// The checks

export const devicePresent: CheckFn = (cause, ctx) => {
  if (ctx.device === null) return byHand(cause, ctx, "the message names no device");
  const bsf = bsfOf(ctx);
  if (ctx.facts === null) {
    const boot = bootDriver(ctx);
    if (boot !== null) {
      return {
        result: "ok",
        text: `at boot ${boot.name} took ${bsf} (line ${boot.line}): the device is there`,
      };
    }
    const devctl = devctlFailed(ctx);
    if (devctl !== null && devctl.errno?.name === "ENOENT") {
      return {
        result: "cause",
        text:
          `line ${devctl.line}: devctl found no device ${devctl.fields.selector} (ENOENT): there is no device at ${bsf}, or vmm.ko (which has ppt(4)) is not loaded`,
        fix: fixFor(cause.fix, ctx),
      };
    }
    return byHand(cause, ctx, `is there a device at ${bsf}? pciconf -l ${selectorOf(ctx)}`);
  }
  const entry = deviceAt(ctx.facts, ctx.device);
  if (entry === null) {
    return {
      result: "cause",
      text:
        `${ctx.facts.inventory.hostDescription} has no PCI device at ${bsf}: the VM names a device that is not there`,
      fix: "fix the address in the VM's config (see: pptkit list --all)",
    };
  }
  const d = entry.device;
  return {
    result: "ok",
    text: `${bsf} is there: ${d.name} (${[d.vendor, d.model].filter((x) => x).join(" ")})`,
  };
};

export const deviceOnPpt: CheckFn = (cause, ctx) => {
  if (ctx.device === null) return byHand(cause, ctx, "the message names no device");
  const bsf = bsfOf(ctx);
  const boot = bootDriver(ctx);
  const atBoot = boot === null ? "" : ` (at boot ${boot.name} took it, line ${boot.line})`;
  if (ctx.facts === null) {
    // Without the host's facts whether vmm.ko is loaded is unknown: the hints offer no --now.
    if (boot !== null && boot.driver !== "ppt") {
      return {
        result: "cause",
        text: `at boot ${boot.name} took ${bsf} (line ${boot.line}), not ppt(4)`,
        fix: reserveHint(bsf, null),
      };
    }
    const devctl = devctlFailed(ctx);
    if (devctl !== null && boot === null) {
      return {
        result: "cause",
        text: `line ${devctl.line}: devctl could not bind ${bsf} to ppt(4): ${
          devctl.errno === null ? "" : describeErrno(devctl.errno)
        }`,
        fix: reserveHint(bsf, null),
      };
    }
    if (boot !== null) {
      return {
        result: "unknown",
        text:
          `at boot ${boot.name} took ${bsf} (line ${boot.line}); whether ppt(4) still has it needs pciconf -l ${
            selectorOf(ctx)
          }`,
        fix: reserveHint(bsf, null),
      };
    }
    return byHand(cause, ctx, `pciconf -l ${selectorOf(ctx)} must show pptN`);
  }
  const entry = deviceAt(ctx.facts, ctx.device);
  if (entry === null) {
    return { result: "unknown", text: `there is no device at ${bsf} to be on ppt(4)` };
  }
  if (entry.device.driver === "ppt") {
    return { result: "ok", text: `${bsf} is ${entry.device.name}: on ppt(4) now${atBoot}` };
  }
  const { message, fix } = notOnPpt(entry, ctx.facts.inventory.host);
  return { result: "cause", text: message + atBoot, fix };
};

export const deviceInPptdevs: CheckFn = (cause, ctx) => {
  const dropped = droppedCause(
    cause,
    ctx,
    "dropped {var} at boot, so none of its devices went to ppt(4)",
  );
  if (dropped !== null) return dropped;
  if (ctx.device === null) return byHand(cause, ctx, "the message names no device");
  const bsf = bsfOf(ctx);
  const entry = deviceAt(ctx.facts, ctx.device);
  if (ctx.facts === null || entry === null) {
    const listed = ctx.log.pptdevs.find((p) =>
      p.devices.some((a) => addressKey(a) === addressKey(ctx.device!))
    );
    const boot = bootDriver(ctx);
    if (listed !== undefined && boot !== null && boot.driver !== "ppt") {
      return {
        result: "cause",
        text:
          `${bsf} is in pptdevs (line ${listed.line}) but at boot ${boot.name} took it (line ${boot.line})`,
        fix: 'load vmm from the loader (vmm_load="YES" in /boot/loader.conf) and reboot',
      };
    }
    return byHand(cause, ctx, `kenv pptdevs; has the host rebooted since ${bsf} was added?`);
  }
  if (entry.device.driver === "ppt") return { result: "ok", text: `${bsf} is on ppt(4)` };
  const r = entry.reserved;
  const host = ctx.facts.inventory.host;
  if (r.atBoot === true) {
    return {
      result: "cause",
      text:
        `${bsf} was in pptdevs at this boot (kenv) but ppt(4) did not get it: ${entry.device.name} took it first`,
      fix: lostAtBootFix(bsf, host, entry),
    };
  }
  if (r.inLoaderConf) {
    return {
      result: "cause",
      text: `${bsf} is in pptdevs (${r.where}) but was not at this boot`,
      fix: notOnPpt(entry, host).fix,
    };
  }
  return { result: "ok", text: `${bsf} is not in pptdevs, so no reboot is pending for it` };
};

/** Another command line of the same text that passes the device under another VM's name. */
function holderInLog(ctx: CheckContext): { vm: string; line: number } | null {
  if (ctx.device === null) return null;
  const key = addressKey(ctx.device);
  const own = ctx.command?.vm ?? null;
  for (const c of ctx.log.commands) {
    if (c.vm === null || c.vm === own) continue;
    if (c.passthru.some((p) => p.address !== undefined && addressKey(p.address) === key)) {
      return { vm: c.vm, line: c.lines[0] };
    }
  }
  return null;
}

export const deviceHeld: CheckFn = (cause, ctx) => {
  if (ctx.device === null) return byHand(cause, ctx, "the message names no device");
  const bsf = bsfOf(ctx);
  const busy = ctx.errno?.name === "EBUSY";
  const inLog = holderInLog(ctx);
  if (inLog !== null) {
    return {
      result: "cause",
      text: `VM ${inLog.vm}'s bhyve (line ${inLog.line}) passes ${bsf} too`,
      fix: `stop VM ${inLog.vm} first, or give one of the VMs another device`,
      holder: inLog.vm,
    };
  }
  const facts = ctx.facts;
  if (facts === null) {
    return byHand(cause, ctx, `ps -axww | grep 'bhyve: ' and pptkit list show who holds ${bsf}`);
  }
  const own = ctx.command?.vm ?? "";
  const lock = facts.locks.find((l) => addressKey(l.address) === addressKey(ctx.device!));
  if (lock !== undefined && lock.record !== null) {
    const state = lockState(lock, own, facts.running, facts.now, facts.staleAfterMs);
    if (isBusy(state)) {
      return {
        result: state === "live" ? "cause" : "unknown",
        text: describeLock(lock, state, facts.running, facts.now),
        fix: `stop VM ${lock.record.vm} first (bhyve refuses a device another VM owns: EBUSY)`,
        holder: lock.record.vm,
      };
    }
  }
  const user = deviceAt(facts, ctx.device)?.usedBy.find((u) => u.running && u.vm !== own);
  if (user !== undefined) {
    return {
      result: "cause",
      text: `${bsf} is named by running VM ${user.vm} (${user.source})`,
      fix: `stop VM ${user.vm} first, or give this VM another device`,
      holder: user.vm,
    };
  }
  if (!facts.running.known) {
    return {
      result: "unknown",
      text: "which VMs run is unknown (no ps output, no /dev/vmm)",
      fix: `look for another bhyve with ${bsf}: ps -axww | grep 'bhyve: '`,
    };
  }
  const leftovers = [...facts.running.inKernel].filter((n) =>
    !facts.running.pids.has(n) && n !== own
  );
  if (busy) {
    return {
      result: "unknown",
      text: `the kernel answered EBUSY, but no running VM of this host holds ${bsf} now` +
        (leftovers.length > 0
          ? `; VMs left in /dev/vmm without a bhyve: ${leftovers.join(", ")}`
          : ""),
      fix: leftovers.length > 0
        ? `destroy the leftover: bhyvectl --destroy --vm=${leftovers[0]}`
        : "look for the VM that had it then: ls /dev/vmm",
    };
  }
  const names = [...facts.running.names].sort();
  return {
    result: "ok",
    text: `no running VM holds ${bsf} (locks, ps, /dev/vmm` +
      (names.length > 0 ? `; running: ${names.join(", ")})` : "; no VM runs)"),
  };
};

/** The device the message names, also when it names it as pptN. */
function namedDevice(ctx: CheckContext): InventoryDevice | null {
  const byAddress = deviceAt(ctx.facts, ctx.device);
  if (byAddress !== null || ctx.facts === null) return byAddress;
  const name = ctx.match.fields.device;
  return name === undefined
    ? null
    : ctx.facts.inventory.devices.find((d) => d.device.name === name) ?? null;
}

export const deviceDomain0: CheckFn = (cause, ctx) => {
  const entry = namedDevice(ctx);
  if (entry === null) return byHand(cause, ctx, "pciconf -l shows the domain: pciD:B:S:F");
  const d = entry.device;
  return d.address.domain === 0 ? { result: "ok", text: `${entry.selector} is in PCI domain 0` } : {
    result: "cause",
    text:
      `${entry.selector} is in PCI domain ${d.address.domain}: bhyve can pass only devices of domain 0`,
    fix: fixFor(cause.fix, ctx),
  };
};

export const deviceEndpoint: CheckFn = (cause, ctx) => {
  const entry = namedDevice(ctx);
  if (entry === null) return byHand(cause, ctx, "pciconf -l shows hdr=0x01 for a bridge");
  const bridge = entry.findings.find((f) => f.code === "not-endpoint");
  return bridge === undefined
    ? { result: "ok", text: `${bsfOf(ctx)} is an endpoint (header type 0)` }
    : { result: "cause", text: bridge.message, fix: bridge.fix ?? cause.fix };
};

export const deviceMsi: CheckFn = (cause, ctx) => {
  const entry = namedDevice(ctx);
  if (entry === null || !entry.device.capabilitiesKnown) {
    return byHand(cause, ctx, `pciconf -lc ${selectorOf(ctx)} shows MSI / MSI-X lines`);
  }
  const { msi, msix } = entry.device;
  if (msi === null && msix === null) {
    return {
      result: "cause",
      text: `${bsfOf(ctx)} has neither MSI nor MSI-X (pciconf -c)`,
      fix: fixFor(cause.fix, ctx),
    };
  }
  const has = [msi !== null ? "MSI" : null, msix !== null ? "MSI-X" : null].filter((x) => x).join(
    " and ",
  );
  return { result: "ok", text: `${bsfOf(ctx)} has ${has} (pciconf -c)` };
};

export const deviceFlr: CheckFn = (cause, ctx) => {
  const entry = namedDevice(ctx);
  if (entry === null || !entry.device.capabilitiesKnown) {
    return byHand(cause, ctx, `pciconf -lc ${selectorOf(ctx)} shows FLR on the PCI-Express line`);
  }
  return entry.device.pcie?.flr === true
    ? { result: "ok", text: `${bsfOf(ctx)} has a function level reset (FLR)` }
    : {
      result: "cause",
      text: `${
        bsfOf(ctx)
      } has no function level reset (FLR): it may keep doing DMA across VM restarts`,
      fix: fixFor(cause.fix, ctx),
    };
};
