/**
 * Findings (DESIGN §7): the one type every check returns.
 *
 * Every finding has a stable `code` that scripts can match on, a level, a one-line message that
 * names the device (as B/S/F, or the selector when the device has no B/S/F), and a `fix` when
 * there is one. A finding about a line of a file carries `file` and `line` as data, and its
 * message does not repeat them: renderers print the location once. A finding about one VM's
 * use of a device carries `vm`. Findings are data: `check` prints them, `list --json` carries
 * them, `hook prestart` vetoes on the error-level ones.
 *
 * @module
 */

/** How bad a finding is: `error` blocks passthrough, `warn` may, `info` explains. */
export type Level = "error" | "warn" | "info";

/** The stable codes of DESIGN §7 (and a few more that pptkit reports). */
export type FindingCode =
  | "no-iommu"
  | "iommu-unknown"
  | "iommu-disabled"
  | "amdvi-disabled"
  | "vmm-not-from-loader"
  | "no-msi"
  | "not-endpoint"
  | "domain-unsupported"
  | "not-on-ppt"
  | "reboot-pending"
  | "pptdevs-syntax"
  | "pptdevs-too-long"
  | "pptdevs4-ignored"
  | "pptdevs-duplicate"
  | "pptdevs-multi-domain"
  | "loader-conf-duplicate"
  | "loader-conf-overridden"
  | "loader-order-assumed"
  | "loader-conf-unknown"
  | "unknown-device"
  | "conflict"
  | "held-by-vm"
  | "lock-stale"
  | "lock-unreadable"
  | "lock-future"
  | "missing-function0"
  | "guest-function-range"
  | "slot-collision"
  | "slot-reserved"
  | "slot-full"
  | "partial-device"
  | "no-flr"
  | "host-critical"
  | "capabilities-unknown"
  | "guest-renumbered"
  | "slot-moved"
  | "vm-config"
  | "plugin"
  | "quirk"
  | "works"
  | "reset-bug"
  | "host-hang"
  | "guest-driver"
  | "needs-rom"
  | "needs-release"
  // explain's lint of a logged bhyve command line (core/explain/lint.ts)
  | "not-wired"
  | "passthru-spelling"
  | "guest-slot-range"
  | "guest-slot-syntax"
  | "arch-unsupported"
  | "sriov-pf"
  | "sriov-vf"
  | "loader-conf-typo"
  | "loader-conf-bom"
  | "still-used"
  // the lint of the whole -s list a VM runs with (core/slots/layout.ts)
  | "wrapper-layout";

export interface Finding {
  readonly level: Level;
  readonly code: FindingCode;
  /** One line, lower case, no final period; names the device or file it is about. */
  readonly message: string;
  /** The exact change that resolves it, when there is one. */
  readonly fix?: string;
  /** Selector of the device it is about (`pci0:1:0:0`), when it is about one device. */
  readonly device?: string;
  /** File and 1-based line it is about, when it is about a line of a file. */
  readonly file?: string;
  readonly line?: number;
  /** The VM whose use of the device it is about, when it is about one VM. */
  readonly vm?: string;
}

/** Order of severity, for sorting and for "worst level" questions. */
const LEVEL_RANK: Record<Level, number> = { error: 0, warn: 1, info: 2 };

/** Sorts findings worst first, keeping the order of equal levels. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => LEVEL_RANK[a.level] - LEVEL_RANK[b.level]);
}

/** True when any finding is error-level. */
export function hasError(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.level === "error");
}

/** `/boot/loader.conf:5: ` for a finding or error about a line of a file, else "". */
export function locationPrefix(place: { readonly file?: string; readonly line?: number }): string {
  return place.file === undefined
    ? ""
    : `${place.file}${place.line === undefined ? "" : `:${place.line}`}: `;
}

/**
 * A finding or error as the user reads it: its location once, then the message (a message
 * that names its file already, `VM a: /vm/a.conf:3: ...`, gets no second location).
 */
export function withLocation(
  place: { readonly file?: string; readonly line?: number; readonly message: string },
): string {
  const { file, line, message } = place;
  const named = file !== undefined &&
    (line === undefined ? message.includes(file) : message.includes(`${file}:${line}: `));
  return (named ? "" : locationPrefix(place)) + message;
}
