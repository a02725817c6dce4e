/**
 * The checks about the host and the start: vmm, the IOMMU, AMD-Vi, pptdevs (asking the kernel's
 * lines of the log first), and those the log itself answers: -S and the lint of the command
 * line, where the wrapper put bhyve's messages, the line just before, and the causes pptkit
 * cannot check.
 *
 * @module
 */

import { formatLabel } from "../address.ts";
import { type Finding, withLocation } from "../findings.ts";
import { WRAPPER_LOGS } from "./catalogue/logs.ts";
import {
  byHand,
  type CheckContext,
  type CheckFn,
  droppedCause,
  errnoSays,
  fixFor,
  logLine,
  NOT_LOADED_AT_BOOT,
  VMM_FAILURES,
} from "./check_context.ts";
import { type LoggedCommand, parseCommand } from "./cmdline.ts";
import { lintCommand } from "./lint.ts";
import { fill, stderrNote } from "./log.ts";
import type { Match } from "./match.ts";

export const vmmFromLoader: CheckFn = (cause, ctx) => {
  const said = logLine(ctx, NOT_LOADED_AT_BOOT);
  if (said !== null) {
    return {
      result: "cause",
      text: `line ${said.line} says vmm was not loaded (${said.text})`,
      fix: fixFor(cause.fix, ctx),
    };
  }
  if (ctx.facts === null) return byHand(cause, ctx, "grep vmm_load /boot/loader.conf");
  const h = ctx.facts.inventory.host;
  const late = h.findings.find((f) => f.code === "vmm-not-from-loader");
  if (late !== undefined) {
    return { result: "cause", text: late.message, fix: late.fix ?? cause.fix };
  }
  if (h.vmmFromLoader === false) {
    return {
      result: "cause",
      text: 'the loader files do not load vmm (no vmm_load="YES")',
      fix: fixFor(cause.fix, ctx),
    };
  }
  if (h.vmmFromLoader === true) {
    return { result: "ok", text: 'the loader loads vmm at boot (vmm_load="YES")' };
  }
  return { result: "unknown", text: "no loader.conf could be read", fix: fixFor(cause.fix, ctx) };
};

export const vmmLoaded: CheckFn = (cause, ctx) => {
  const said = logLine(ctx, VMM_FAILURES);
  if (said !== null) {
    return {
      result: "cause",
      text: `line ${said.line}: ${said.text}`,
      fix: fixFor(said.entry.fix, ctx),
    };
  }
  if (ctx.facts === null) return byHand(cause, ctx, "kldstat -m vmm; dmesg | grep -E 'vmx|SVM'");
  const loaded = ctx.facts.inventory.host.vmmLoaded;
  if (loaded === false) {
    return { result: "cause", text: "vmm.ko is not loaded (kldstat)", fix: fixFor(cause.fix, ctx) };
  }
  if (loaded === true) return { result: "ok", text: "vmm.ko is loaded (kldstat)" };
  return {
    result: "unknown",
    text: "whether vmm.ko is loaded is unknown (no kldstat output)",
    fix: fixFor(cause.fix, ctx),
  };
};

export const iommuPresent: CheckFn = (cause, ctx) => {
  const unit = ctx.log.iommuUnits.find((u) => u.kind !== "amd-iommu");
  const ivrs = logLine(ctx, ["ivrs-info", "amdvi-disabled"]);
  const seen = unit !== undefined
    ? `line ${unit.line}: the kernel found IOMMU unit ${unit.name}`
    : ivrs !== null
    ? `line ${ivrs.line}: the kernel read the firmware's AMD-Vi (IVRS) table`
    : null;
  const facts = ctx.facts;
  if (facts !== null && facts.inventory.host.iommu !== "unknown") {
    const h = facts.inventory.host;
    if (h.iommu === "none") {
      const f = h.findings.find((x) => x.code === "no-iommu");
      return {
        result: "cause",
        text: f?.message ?? "no DMAR or IVRS table",
        fix: f?.fix ?? fixFor(cause.fix, ctx),
      };
    }
    const kind = h.iommu === "vt-d" ? "VT-d, DMAR table" : "AMD-Vi, IVRS table";
    return {
      result: "ok",
      text: `the host has an IOMMU (${kind})${seen === null ? "" : `; ${seen}`}`,
    };
  }
  if (seen !== null) return { result: "ok", text: seen };
  return facts === null ? byHand(cause, ctx, "acpidump -t | grep -E 'DMAR|IVRS'") : {
    result: "unknown",
    text: "whether the host has an IOMMU is unknown (no acpidump output)",
    fix: "look for the tables: acpidump -t | grep -E 'DMAR|IVRS'",
  };
};

export const iommuEnabled: CheckFn = (cause, ctx) => {
  if (ctx.facts === null) return byHand(cause, ctx, "sysctl hw.vmm.iommu");
  const h = ctx.facts.inventory.host;
  const off = h.findings.find((f) => f.code === "iommu-disabled");
  if (off !== undefined) return { result: "cause", text: off.message, fix: off.fix ?? cause.fix };
  if (ctx.facts.iommuInitialized === false) {
    return {
      result: "unknown",
      text:
        "hw.vmm.iommu.initialized is 0: normal before the first passthrough VM; if it stays 0 after this failure, vmm could not set up the IOMMU",
      fix: "check dmesg for DMAR / AMD-Vi messages and the firmware's VT-d / IOMMU setting",
    };
  }
  if (ctx.facts.iommuInitialized === true) {
    return { result: "ok", text: "vmm uses the IOMMU (hw.vmm.iommu.initialized is 1)" };
  }
  return {
    result: "unknown",
    text: "hw.vmm.iommu is unknown (no sysctl output)",
    fix: fixFor(cause.fix, ctx),
  };
};

export const amdviEnabled: CheckFn = (cause, ctx) => {
  const said = logLine(ctx, ["amdvi-disabled"]);
  if (said !== null) {
    return {
      result: "cause",
      text:
        `line ${said.line}: the kernel found AMD-Vi units and left them off (hw.vmm.amdvi.enable=0)`,
      fix: fixFor(BYHAND_AMDVI, ctx),
    };
  }
  if (ctx.facts === null) return byHand(cause, ctx, "sysctl hw.vmm.amdvi.enable");
  const h = ctx.facts.inventory.host;
  if (h.iommu === "vt-d") {
    return { result: "ok", text: "an Intel host (DMAR table): hw.vmm.amdvi.enable does not apply" };
  }
  const off = h.findings.find((f) => f.code === "amdvi-disabled");
  if (off !== undefined || h.amdviEnabled === false) {
    return {
      result: "cause",
      text: off?.message ?? "hw.vmm.amdvi.enable is not 1",
      fix: off?.fix ?? fixFor(cause.fix, ctx),
    };
  }
  if (h.amdviEnabled === true) return { result: "ok", text: "hw.vmm.amdvi.enable=1" };
  return h.iommu === "none"
    ? { result: "ok", text: "no IVRS table: hw.vmm.amdvi.enable does not apply" }
    : {
      result: "unknown",
      text: "whether AMD-Vi is enabled is unknown",
      fix: fixFor(cause.fix, ctx),
    };
};
const BYHAND_AMDVI =
  "add hw.vmm.amdvi.enable=1 to /boot/loader.conf and reboot (pptkit reserve adds it)";

const PPTDEVS_CODES = new Set([
  "pptdevs-syntax",
  "pptdevs-too-long",
  "pptdevs4-ignored",
  "pptdevs-duplicate",
]);

export const pptdevsSyntax: CheckFn = (cause, ctx) => {
  const dropped = droppedCause(cause, ctx, "ignored {var} at boot");
  if (dropped !== null) return dropped;
  if (ctx.facts === null) return byHand(cause, ctx, "pptkit check reads pptdevs");
  const bad = ctx.facts.inventory.host.findings.find((f) => PPTDEVS_CODES.has(f.code));
  if (bad !== undefined) {
    return { result: "cause", text: withLocation(bad), fix: bad.fix ?? cause.fix };
  }
  return { result: "ok", text: "pptdevs of the loader files reads fine" };
};

function cmdLine(c: LoggedCommand): string {
  return c.lines.length === 1 ? `line ${c.lines[0]}` : `lines ${c.lines.join(", ")}`;
}

export const wiredMemory: CheckFn = (cause, ctx) => {
  const c = ctx.command;
  const wrapper = ctx.log.wrapper?.name;
  const how = wrapper === undefined ? null : fill(WRAPPER_LOGS[wrapper].wired, c, ctx.log.vm);
  if (c === null) {
    return {
      result: "check",
      text: `${cause.text} (the bhyve command line is not in this text)`,
      fix: how ?? fixFor(cause.fix, ctx),
    };
  }
  if (c.wired) return { result: "ok", text: `-S is on the bhyve command line (${cmdLine(c)})` };
  return {
    result: "cause",
    text: c.passthru.length > 0
      ? `the bhyve command line (${cmdLine(c)}) has passthru devices but no -S`
      : `the bhyve command line (${cmdLine(c)}) has neither -S nor passthru devices`,
    fix: how ?? fixFor(cause.fix, ctx),
  };
};

/** The lint of the `-s` argument a message quotes, when its command line is not in the text. */
function quotedArgument(ctx: CheckContext): Finding | null {
  const slot = ctx.match.fields["slot-option"];
  const device = ctx.match.fields["device-option"];
  if (slot === undefined && device === undefined) return null;
  const arg = slot ?? `6:0,passthru,${device}`;
  const command = parseCommand(`-S -s ${arg}`, [ctx.match.line], "message");
  const found = lintCommand(command, { inventory: ctx.facts?.inventory ?? null, plugins: null });
  return found.find((f) => f.level === "error") ?? found[0] ?? null;
}

export const commandLine: CheckFn = (cause, ctx) => {
  const c = ctx.command;
  const quoted = c === null ? quotedArgument(ctx) : null;
  if (quoted !== null) {
    return { result: "cause", text: quoted.message, fix: quoted.fix ?? fixFor(cause.fix, ctx) };
  }
  if (c === null || ctx.lint === null) {
    return {
      result: "check",
      text: `${cause.text} (the bhyve command line is not in this text)`,
      fix: fixFor(cause.fix, ctx),
    };
  }
  const problems = ctx.lint.filter((f) => f.level === "error");
  if (problems.length === 0) {
    const warnings = ctx.lint.filter((f) => f.level === "warn").length;
    return {
      result: "ok",
      text: `the bhyve command line (${cmdLine(c)}) has no error in pptkit's lint` +
        (c.passthru.length > 0
          ? ` (${c.passthru.length} passthru device${c.passthru.length > 1 ? "s" : ""})`
          : "") +
        (warnings > 0 ? `; ${warnings} warning${warnings > 1 ? "s" : ""}, listed with it` : ""),
    };
  }
  const bsf = ctx.device === null ? null : formatLabel(ctx.device);
  const first = problems.find((f) => bsf !== null && f.message.includes(bsf)) ?? problems[0];
  const more = problems.length > 1
    ? ` (and ${problems.length - 1} more, listed with the command line)`
    : "";
  return {
    result: "cause",
    text: `the bhyve command line (${cmdLine(c)}): ${first.message}${more}`,
    fix: first.fix ?? cause.fix,
  };
};

export const wrapperStderr: CheckFn = (cause, ctx) => {
  const said = ctx.log.matches.find((m) =>
    m.entry.origin === "bhyve" && (m.entry.role === "error" || m.entry.role === "warning")
  );
  if (said !== undefined) {
    return {
      result: "cause",
      text: `bhyve said why on line ${said.line}: ${said.text}`,
      fix: `see the explanation of line ${said.line}`,
    };
  }
  const w = ctx.log.wrapper?.name;
  if (w === undefined) {
    return {
      result: "check",
      text: `${cause.text}: bhyve's own message (its stderr) is not in this text`,
      fix: fixFor(cause.fix, ctx),
    };
  }
  return {
    result: "cause",
    text: `bhyve's own message is not in this text: ${stderrNote(ctx.log)}`,
    fix: fill(WRAPPER_LOGS[w].reveal, ctx.command, ctx.log.vm),
  };
};

export const earlierLine: CheckFn = (cause, ctx) => {
  const line = ctx.match.line;
  let found: Match | null = null;
  for (const m of ctx.log.matches) {
    if (m.line >= line) break;
    if (line - m.line <= 5 && ctx.entry.related.includes(m.entry.id)) found = m;
  }
  if (found === null) {
    return {
      result: "unknown",
      text: `${cause.text}: no such line just before it in this text`,
      fix: fixFor(cause.fix, ctx),
    };
  }
  return {
    result: "cause",
    text: `line ${found.line} says why: ${found.text}`,
    fix: `see the explanation of line ${found.line}`,
  };
};

/** A cause pptkit cannot check; the errno may still decide it. */
export const unchecked: CheckFn = (cause, ctx) => {
  const said = errnoSays(cause, ctx);
  if (said !== null) return said;
  if (cause.check === "rom-file") {
    const path = ctx.match.fields.path;
    return byHand(cause, ctx, path === undefined ? "ls -l the rom= file" : `ls -l ${path}`);
  }
  if (cause.check === "guest-memory") {
    const m = ctx.command?.options.get("m")?.[0];
    return byHand(
      cause,
      ctx,
      m === undefined ? "the VM's -m and the host's free memory" : `the VM asks for -m ${m}`,
    );
  }
  if (cause.check === "errno" && ctx.errno === null && cause.errno !== undefined) {
    return byHand(cause, ctx, `if the errno was ${cause.errno.join(" or ")}`);
  }
  return byHand(cause, ctx);
};
