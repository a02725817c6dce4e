/**
 * What `reserve` refuses, and how to get a device onto ppt(4): the risks of reserving a device
 * (each accepted by its own `--allow CODE`, some by nothing), and the wording of `not-on-ppt`
 * and of the reserve hint, shared by the verdict engine (core/verdict.ts), `reserve`
 * (app/reservation.ts) and `explain`.
 *
 * Pure.
 *
 * @module
 */

import type { Finding, FindingCode } from "./findings.ts";
import type { HostFacts, InventoryDevice } from "./inventory.ts";
import { deviceLabel } from "./pciconf.ts";

/** Findings `reserve` never overrides: pptdevs cannot name the device, or ppt(4) never takes it. */
export const NEVER_RESERVABLE: ReadonlySet<FindingCode> = new Set([
  "domain-unsupported",
  "not-endpoint",
]);
/**
 * The findings about a device itself that `reserve` refuses, whatever their level: the host needs
 * it (host-critical), it cannot work (no-msi, and the never-reservable ones), its VFs would go
 * (sriov-pf). Plugins' reports about a device are advice, never a refusal.
 */
const RESERVE_REFUSES: ReadonlySet<FindingCode> = new Set([
  ...NEVER_RESERVABLE,
  "host-critical",
  "no-msi",
  "sriov-pf",
]);

/** The risks `reserve --allow` accepts, one finding code each. */
export const ALLOWABLE_RISKS = ["host-critical", "no-msi", "sriov-pf", "arch-unsupported"] as const;

/**
 * What stands in the way of reserving a device, in the order `reserve` reports it: the host
 * itself (not amd64), then the device's own findings `reserve` refuses. A finding about one VM's
 * use of the device is not among them: reserving it is what fixes `not-on-ppt`. Each is
 * accepted only by its own `--allow CODE` ({@linkcode ALLOWABLE_RISKS}); the
 * {@linkcode NEVER_RESERVABLE} ones by nothing.
 */
export function reservationRisks(entry: InventoryDevice, host: HostFacts): Finding[] {
  return [
    ...host.findings.filter((f) => f.code === "arch-unsupported"),
    ...entry.findings.filter((f) => f.vm === undefined && RESERVE_REFUSES.has(f.code)),
  ];
}

/** `--allow host-critical,no-msi ` for the risks reserve would refuse; "" when there is none. */
export function allowOption(risks: readonly Finding[]): string {
  const codes = [...new Set(risks.map((f) => f.code))];
  return codes.length === 0 ? "" : `--allow ${codes.join(",")} `;
}

/**
 * How to get a device onto ppt(4): reserve it for the next boot, or bind it now (only while
 * vmm.ko is loaded, `HostFacts.vmmLoaded`: ppt(4) is part of it; null, unknown, offers no
 * `--now`). `allow` names the risks reserve would refuse.
 */
export function reserveHint(
  bsf: string,
  vmmLoaded: boolean | null,
  allow: readonly Finding[] = [],
): string {
  const flag = allowOption(allow);
  return `reserve it: pptkit reserve ${flag}${bsf} (takes effect at the next boot)` +
    (vmmLoaded === true ? `, or bind it now with: pptkit reserve --now ${flag}${bsf}` : "");
}

/**
 * `not-on-ppt`: a device a VM passes that ppt(4) does not have. One home for its wording, which
 * `explain` uses too; the fix offers `--now` only while the host's vmm.ko is loaded and names
 * the risks `reserve` would refuse.
 */
export function notOnPpt(
  entry: InventoryDevice,
  host: HostFacts,
): { message: string; fix: string } {
  const d = entry.device;
  const name = deviceLabel(d);
  const vmmLoaded = host.vmmLoaded;
  const risks = reservationRisks(entry, host);
  return {
    message: d.driver === "none"
      ? `${name} is not attached to ppt(4) (no driver has it)`
      : `${name} is not on ppt(4): ${d.name} (${d.driver}) has it`,
    fix: entry.reserved.inLoaderConf
      ? `it is in pptdevs (${entry.reserved.where}): reboot` +
        (vmmLoaded === true
          ? `, or bind it now with: pptkit reserve --now ${allowOption(risks)}${name}`
          : "")
      : reserveHint(name, vmmLoaded, risks),
  };
}
