/**
 * The `quirks` plugin: what each kind of quirk rule (core/plugins/quirks.ts) does in each
 * command. It runs after every code plugin.
 *
 * | kind | about the device (list, show, check) | about a VM (check --vm, plan, hook prestart) |
 * | --- | --- | --- |
 * | `note`, `works`, `guest-driver` | info | nothing: the VM may start, the guest is the guest's |
 * | `reset-bug` | info, always | warn when the device moves between guests: another VM's config names it, or another VM's lock file does (a stale lock a wrapper left behind) |
 * | `needs-rom` | info, always | warn when the VM's entry has no `rom` option; the fix names the option in the VM's wrapper |
 * | `host-hang` | error when the rule names this device by the id its report shows, else warn | warn (inspect findings never veto) |
 * | `needs-release` | warn when `uname -r` is older than `minRelease`, else info | the same warning |
 * | `same-function`, `keep-together` | nothing | the guest slot grouping (plan) |
 * | `splittable` | nothing | info in the plan when no code plugin says so already |
 *
 * A VM-level finding names the rule that is most specific for the device (a device id before a
 * class); `show` lists every rule.
 *
 * @module
 */

import { formatLabel, formatSelector } from "../address.ts";
import type { Finding, Level } from "../findings.ts";
import type { PciDevice } from "../pciconf.ts";
import { definePlugin, type GroupEntry, type Plugin, type PrestartVm } from "./api.ts";
import {
  hostRelease,
  observedText,
  quirkLabel,
  quirkMatches,
  type QuirkRule,
  quirkSpecificity,
  releaseAtLeast,
  releaseNumber,
  sortedReleases,
} from "./quirks.ts";

/** `(seen with FreeBSD 14.3-RELEASE, vm-bhyve) (source: URL)` */
function cited(rule: QuirkRule): string {
  const seen = observedText(rule.observed);
  return (seen === "" ? "" : ` (seen with ${seen})`) + ` (source: ${rule.source})`;
}

/** The first release of `minRelease` that a host of `release` (older than all) can go to. */
function upgradeTarget(release: string, minRelease: readonly string[]): string {
  const major = hostRelease(release)?.[0] ?? 0;
  const sorted = sortedReleases(minRelease);
  return sorted.find((r) => releaseNumber(r)![0] >= major) ?? sorted[sorted.length - 1];
}

/** What a rule says about one device, for list, show and check; null for grouping kinds. */
function deviceFinding(rule: QuirkRule, device: PciDevice, release: string | null): Finding | null {
  const label = formatLabel(device.address);
  const at = { device: formatSelector(device.address) };
  const info = (code: Finding["code"], extra = "", fix?: string): Finding => ({
    level: "info",
    code,
    message: `${rule.message}${extra}${cited(rule)}`,
    ...(fix === undefined ? {} : { fix }),
    ...at,
  });
  switch (rule.rule) {
    case "note":
      return info("quirk");
    case "works":
      return info("works");
    case "guest-driver":
      return info("guest-driver");
    case "reset-bug":
      return info(
        "reset-bug",
        "",
        `reboot the host before ${label} goes to another guest, or keep it with one VM`,
      );
    case "needs-rom":
      return info(
        "needs-rom",
        "",
        `give the VM's entry for ${label} a rom option (pptkit check --vm VM says how)`,
      );
    case "host-hang": {
      // Only a report that shows this very device is worth failing `check` for.
      const level: Level = rule.device !== null && rule.ids !== "product" ? "error" : "warn";
      return {
        level,
        code: "host-hang",
        message: `${rule.message}${cited(rule)}`,
        fix: `keep a console on the host when a guest with ${label} starts; to stop passing ` +
          `it: pptkit release ${label}`,
        ...at,
      };
    }
    case "needs-release": {
      if (rule.minRelease === null) return info("needs-release");
      const wanted = rule.minRelease.join(", ");
      const has = release === null ? null : releaseAtLeast(release, rule.minRelease);
      if (has === null) {
        return info("needs-release", `: needs ${wanted} or later; this host's release is unknown`);
      }
      if (has) return info("needs-release", `: this host runs ${release}, which has it`);
      return {
        level: "warn",
        code: "needs-release",
        message: `${rule.message}: this host runs ${release}, older than ${wanted}${cited(rule)}`,
        fix: `upgrade the host: freebsd-update -r ${upgradeTarget(release!, rule.minRelease)}` +
          "-RELEASE upgrade",
        ...at,
      };
    }
    default:
      return null;
  }
}

/** How the VM's wrapper spells a rom option for one device. */
function romFix(vm: PrestartVm, e: GroupEntry, label: string): { message: string; fix: string } {
  const missing = `${vm.name} passes ${label} without a rom option`;
  const native = `"options": {"${label}": {"rom": "/path/to/rom"}}`;
  switch (vm.source) {
    case "vm-bhyve":
      return {
        message: missing,
        fix: `beside the passthruN="${e.entry.token.text}" line (${vm.file}:${e.entry.line}) ` +
          `add passthruN_options="rom=/path/to/rom" (pptkit plan and freebsd/vm-bhyve pass it ` +
          "to bhyve)",
      };
    case "hoster":
      return {
        message: `${missing} (Hoster's vm_config.json has no device options)`,
        fix: `start ${vm.name} from a native pptkit config with ${native} and run it with ` +
          "bhyve-run",
      };
    case "cbsd":
      return {
        message: `${vm.name} passes ${label}, and pptkit cannot read CBSD's rom setting for it`,
        fix: `check with: cbsd bhyve-ppt mode=list; set it with: cbsd bhyve-ppt mode=attach ` +
          `ppt=${label} jname=${vm.name} rom=/path/to/rom`,
      };
    case "--devices":
      return {
        message: `${missing} (--devices carries no options)`,
        fix: `name the devices in /usr/local/etc/pptkit/vms/${vm.name}.jsonc with ${native}`,
      };
    default:
      return {
        message: missing,
        fix: vm.file ? `add ${native} to ${vm.file}` : `add ${native} to the VM's config`,
      };
  }
}

/** What the most specific rule of a kind says about one VM's use of one device. */
function vmFindings(vm: PrestartVm, e: GroupEntry, rules: readonly QuirkRule[], ctx: {
  usersOf: (d: PciDevice) => readonly { vm: string }[];
  lockedBy: (d: PciDevice) => string | null;
}): Finding[] {
  const d = e.device!;
  const label = formatLabel(d.address);
  const at = { device: formatSelector(d.address) };
  const out: Finding[] = [];
  const reset = rules.find((r) => r.rule === "reset-bug");
  if (reset !== undefined) {
    const holder = ctx.lockedBy(d);
    const others = [...new Set(ctx.usersOf(d).map((u) => u.vm))].filter((v) => v !== vm.name);
    const why = holder !== null && holder !== vm.name
      ? `${label} was last locked by VM ${holder} and goes to ${vm.name} now`
      : others.length > 0
      ? `${label} is also configured for VM ${others.join(", ")}, so it moves between guests`
      : null;
    if (why !== null) {
      out.push({
        level: "warn",
        code: "reset-bug",
        message: `${why}: ${reset.message}${cited(reset)}`,
        fix: `reboot the host before ${vm.name} uses ${label} after another guest, or keep ` +
          `${label} with one VM`,
        ...at,
      });
    }
  }
  const rom = rules.find((r) => r.rule === "needs-rom");
  if (rom !== undefined && e.entry.options.rom === undefined) {
    const { message, fix } = romFix(vm, e, label);
    out.push({
      level: "warn",
      code: "needs-rom",
      message: `${message}: ${rom.message}${cited(rom)}`,
      fix,
      ...at,
    });
  }
  return out;
}

/**
 * The quirk rules as one plugin named `quirks` (it runs after every code plugin). A `splittable`
 * rule says so in the plan only for devices that no code plugin with a group hook advises on
 * (`advisedElsewhere`), so that the same advice is not given twice.
 */
export function quirksPlugin(
  rules: readonly QuirkRule[],
  advisedElsewhere: (device: PciDevice) => boolean = () => false,
): Plugin {
  const rulesFor = (d: PciDevice) =>
    rules.filter((r) => quirkMatches(r, d))
      .map((r, i) => [r, i] as const)
      .sort(([a, i], [b, j]) => quirkSpecificity(b) - quirkSpecificity(a) || i - j)
      .map(([r]) => r);
  return definePlugin({
    name: "quirks",
    version: "2",
    description: "declarative rules of quirks.jsonc and quirks.d",
    matches: (d) => rules.some((r) => quirkMatches(r, d)),
    inspect(device, ctx) {
      const out: Finding[] = [];
      for (const r of rulesFor(device)) {
        const f = deviceFinding(r, device, ctx.release);
        if (f !== null) out.push(f);
      }
      return out;
    },
    group(entries, ctx) {
      return entries.map((e) => {
        if (e.device === null) return e;
        let out = e;
        for (const r of rulesFor(e.device)) {
          const reason = `${r.message} (quirk ${quirkLabel(r)}, ${r.file}:${r.line})`;
          // A code plugin that already chose the same grouping keeps its (fuller) reason.
          if (
            (r.rule === "same-function" || r.rule === "keep-together") && out.grouping !== r.rule
          ) {
            out = { ...out, grouping: r.rule, reason };
          } else if (
            r.rule === "splittable" && out.grouping === "auto" && !out.entry.token.split &&
            !advisedElsewhere(e.device)
          ) {
            ctx.report({
              level: "info",
              code: "quirk",
              message: `${out.entry.token.text} may also be split into its own guest slot: ` +
                `${r.message} (source: ${r.source})`,
              device: formatSelector(e.device.address),
            });
          }
        }
        return out;
      });
    },
    prestart(vm, ctx) {
      return vm.entries.flatMap((e) =>
        e.device === null ? [] : vmFindings(vm, e, rulesFor(e.device), ctx)
      );
    },
  });
}
