/**
 * The data `explain` answers with: checks against the host, explanations, and the host facts
 * it checks against.
 *
 * @module
 */

import type { Inventory } from "../inventory.ts";
import type { LockFile } from "../ownership/locks.ts";
import type { RunningVms } from "../ownership/running.ts";

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
