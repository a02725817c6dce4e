/**
 * The data `explain` answers with: checks against the host, explanations of messages, what
 * the log as a whole says (its wrapper, where bhyve's stderr went, the bhyve command lines and
 * their lint, the boot messages), and the host facts it checks against.
 *
 * @module
 */

import type { Finding } from "../findings.ts";
import type { Inventory } from "../inventory.ts";
import type { LockFile } from "../ownership/locks.ts";
import type { RunningVms } from "../ownership/running.ts";
import type { PluginHooks } from "../plugins/api.ts";
import type { CheckName, ErrnoName, Origin, Role, Wrapper } from "./catalogue/schema.ts";

/** The outcome of one check against the host. */
export type CheckResult =
  /** Found on this host (or in the log): this is (one of) the reasons. */
  | "cause"
  /** Checked and fine: not the reason. */
  | "ok"
  /** The facts at hand cannot tell. */
  | "unknown"
  /** pptkit cannot check this: check it by hand. */
  | "check";

/** One check of an explanation. */
export interface ExplainCheck {
  readonly result: CheckResult;
  readonly text: string;
  /** What to do when this is the cause. */
  readonly fix?: string;
  /** The catalogue's check it evaluates. */
  readonly check?: CheckName;
}

/** The errno that picked the causes, and where it came from. */
export interface ExplainErrno {
  readonly name: ErrnoName | null;
  readonly number: number | null;
  readonly text: string;
  /** The line it was printed on (the message's own, or a linked one). */
  readonly line: number;
}

/** One known message found in the text. */
export interface Explanation {
  /** Stable id of the message: `not-ppt`, `memory-not-wired`, ... */
  readonly id: string;
  /** 1-based lines it was found on (repeats of the same message are folded). */
  readonly lines: number[];
  /** The message as it appears in the text (from where it starts to the end of its line). */
  readonly text: string;
  /** Who prints it: `bhyve (pci_passthru.c)`, `kernel (vtd.c)`, `vm-bhyve (lib/vm-run)`. */
  readonly source: string;
  /** The host device it is about, as B/S/F; null when it names none. */
  readonly device: string | null;
  /** What it means, in one or two sentences. */
  readonly meaning: string;
  /** Checks against the host and the log, in the order they were made. */
  readonly checks: ExplainCheck[];
  /** What to do, most likely first. */
  readonly fixes: string[];
  readonly role: Role;
  readonly origin: Origin;
  /** Where the message is printed: repository, file, function, commit read. */
  readonly where: {
    readonly repo: string;
    readonly file: string;
    readonly function: string;
    readonly commit: string;
  };
  /** The wording matched, with the releases that print it. */
  readonly format: {
    readonly text: string;
    readonly first: string | null;
    readonly last: string | null;
    readonly verified: boolean;
  };
  /** The errno the causes were narrowed with; null when none was printed. */
  readonly errno: ExplainErrno | null;
  /** bhyve's exit status, for a wrapper's exit line. */
  readonly status: number | null;
  /** The VM that holds the device, when that is the cause. */
  readonly holder: string | null;
  /** The index of the bhyve command line it belongs to in the log's list; null when none. */
  readonly commandLine: number | null;
}

/** A bhyve command line found in the text, and its lint. */
export interface CommandLineReport {
  readonly lines: readonly number[];
  /** The catalogue entry that logged it, or `command` for a line that runs bhyve. */
  readonly source: string;
  readonly vm: string | null;
  readonly text: string;
  readonly wired: boolean;
  /** Each passthru device: as written, its guest address, its host address (B/S/F). */
  readonly passthru: readonly {
    readonly device: string;
    readonly guest: string;
    readonly bsf: string | null;
  }[];
  /** The lint's findings; empty when the command line is fine. */
  readonly findings: readonly Finding[];
  /** True when the device facts came from a host; false: only the command line was read. */
  readonly checkedOnHost: boolean;
}

/** Which driver took a device at boot, from the text's boot messages. */
export interface BootDriver {
  readonly line: number;
  /** `ppt0`, `igb1`. */
  readonly name: string;
  readonly driver: string;
  readonly bsf: string;
  /** True when `on pciN` was taken as bus N (no host fact named the device). */
  readonly assumed: boolean;
}

/** What the boot messages of the text say. */
export interface DmesgReport {
  /** Every PCI device that attached, in order. */
  readonly attached: readonly BootDriver[];
  /** Devices meant for ppt(4) (pptdevs of the text, else of the host) and who took each. */
  readonly pptdevs: readonly {
    readonly bsf: string;
    readonly driver: string | null;
    readonly line: number | null;
    /** Why it matters, when something else than ppt took it; null when ppt did. */
    readonly problem: string | null;
    readonly fix: string | null;
  }[];
  /** IOMMU units found at boot. */
  readonly iommu: readonly {
    readonly line: number;
    readonly name: string;
    readonly kind: string;
  }[];
  /** IOMMU faults, with the device and who had it. */
  readonly faults: readonly {
    readonly line: number;
    readonly id: string;
    readonly device: string | null;
    readonly holder: string | null;
  }[];
}

/** What the log as a whole says. */
export interface LogReport {
  /** The wrapper whose log it is, and the first line that says so; null when none. */
  readonly wrapper: Wrapper | null;
  readonly wrapperLine: number | null;
  /** Where this wrapper puts bhyve's own stderr, for this log (with the VM's paths). */
  readonly stderr: string | null;
  readonly commandLines: readonly CommandLineReport[];
  readonly dmesg: DmesgReport;
}

/** Everything explain found in a text. */
export interface ExplainReport {
  readonly messages: readonly Explanation[];
  readonly log: LogReport;
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
  /** The loaded plugins, for the lint's device facts (a GPU without its audio); null: none. */
  readonly plugins?: PluginHooks | null;
}
